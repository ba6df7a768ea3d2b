// Command ecr-credential-provider is a kubelet image credential provider
// for Amazon ECR: kubelet runs it for each image that matches the
// provider's matchImages globs, writes a CredentialProviderRequest to its
// stdin, and reads a CredentialProviderResponse holding the registry's
// user name and password from its stdout.
//
// One run: read the request from stdin; map the image to its registry,
// region and ECR API endpoint; find AWS credentials; call ECR
// GetAuthorizationToken, signed with Signature Version 4; write the
// decoded token to stdout with a cache duration of half its remaining life.
//
// Usage:
//
//	ecr-credential-provider [get-credentials]
//	ecr-credential-provider --version
//	ecr-credential-provider --help
//
// The word get-credentials, which kubelet configs commonly pass in args,
// is accepted and ignored.
//
// Credentials come from the AWS SDKs' default chain, first match wins:
// the environment; web identity (IRSA); the shared profile (static keys,
// role_arn with source_profile, credential_source or
// web_identity_token_file, credential_process); container credentials (ECS,
// EKS Pod Identity); EC2 instance metadata, IMDSv2 only. When kubelet sends
// the pod's service-account token (KEP-4412) and a role is named for it, the
// token is exchanged for that role's credentials instead.
//
// Environment, with the AWS SDKs' meanings:
//
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//	    static credentials
//	AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME
//	    web identity; the session name also names per-pod sessions
//	AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, HOME
//	    the shared profile
//	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI,
//	AWS_CONTAINER_AUTHORIZATION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
//	    container credentials
//	AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT,
//	AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
//	    the instance metadata service
//	AWS_ECR_ROLE_ARN
//	    the pods' role when no service-account annotation names one
//	AWS_REGION, AWS_DEFAULT_REGION
//	    the region of a registry that is not an ECR host (a mirror), and
//	    of STS calls for registries without one
//	AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT
//	    "true" or "false"; a FIPS or dual-stack registry host implies them
//	AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_ECR_PUBLIC, AWS_ENDPOINT_URL_STS,
//	AWS_ENDPOINT_URL
//	    endpoint overrides; the signing region and service stay those
//	    the registry implies
//	AWS_CA_BUNDLE
//	    a PEM file of CA certificates that replaces the system roots
//	SSL_CERT_FILE, SSL_CERT_DIR
//	    the system roots' bundle file and directories, as Go reads them
//	AWS_MAX_ATTEMPTS
//	    attempts per API call, 3 by default
//	HTTPS_PROXY, HTTP_PROXY, NO_PROXY
//	    proxies for the ECR and STS calls (never for metadata endpoints)
//
// Exit codes: 0, the response is on stdout; 1, the provider failed (one
// line on stderr says what failed and what to check; stdout is empty);
// 2, the command line is wrong.
//
// Every run ends within 20 seconds, far inside kubelet's one-minute kill;
// each ECR or STS attempt within 5 seconds, each metadata call within 1.
// Secrets never appear on stderr.
//
// Specifications implemented: the kubelet credential provider exec
// protocol (credentialprovider.kubelet.k8s.io v1alpha1, v1beta1, v1,
// including KEP-4412 service-account tokens); ECR GetAuthorizationToken
// (awsJson1.1, private and public); STS AssumeRole and
// AssumeRoleWithWebIdentity; AWS Signature Version 4; IMDSv2; the AWS SDKs'
// credential chain, shared config files, endpoint rules, environment
// variables and standard retry mode. SPEC.md in the project's shared
// notes has the facts each function cites as "SPEC §n".
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…".
var version string

// runTimeout is the whole run's deadline. kubelet kills the plugin after
// one minute; a third of that leaves room for a slow node.
const runTimeout = 20 * time.Second

const defaultMaxAttempts = 3

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, time.Now))
}

// run is the whole program; it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	if code, done := parseArgs(args, stdout, stderr); done {
		return code
	}
	warn := func(msg string) { fmt.Fprintln(stderr, "ecr-credential-provider: "+msg) }
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	resp, err := provide(ctx, stdin, stderr, getenv, &clock{now: now}, warn)
	if err != nil {
		warn(oneLine(err.Error()))
		return 1
	}
	if err := writeResponse(stdout, resp); err != nil {
		warn("writing the response to stdout: " + oneLine(err.Error()))
		return 1
	}
	return 0
}

// provide answers the request on stdin, in the order of SPEC §1–§5:
// request, configuration, registry, endpoint, credentials,
// GetAuthorizationToken.
func provide(ctx context.Context, stdin io.Reader, stderr io.Writer, getenv func(string) string, clk *clock, warn func(string)) (credentialProviderResponse, error) {
	var none credentialProviderResponse
	// The request first: kubelet's write to stdin must always complete.
	req, err := parseRequest(stdin)
	if err != nil {
		return none, err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return none, err
	}
	reg, err := parseRegistry(req.Image, cfg.region)
	if err != nil {
		return none, err
	}
	endpoint, region, service := ecrEndpoint(reg, cfg.endpoints)
	client, err := newAWSClient(cfg, clk, warn)
	if err != nil {
		return none, err
	}
	creds, err := findCredentials(ctx, cfg, req, reg, client, stderr)
	if err != nil {
		return none, err
	}
	auth, err := getAuthorizationToken(ctx, client, endpoint, region, service, creds)
	if err != nil {
		return none, err
	}
	return newResponse(req.APIVersion, reg.host, auth, clk.Now()), nil
}

// findCredentials picks the credentials for the ECR call: the pod's own
// role when kubelet sent the pod's service-account token and a role is
// named for it (KEP-4412), else the node's default chain, as upstream does
// for pods without a role.
func findCredentials(ctx context.Context, cfg config, req credentialProviderRequest, reg registry, client *awsClient, stderr io.Writer) (credentials, error) {
	// STS endpoints follow AWS_USE_FIPS_ENDPOINT and
	// AWS_USE_DUALSTACK_ENDPOINT only, as in the SDKs: a registry host's
	// FIPS or dual-stack hint chooses the ECR endpoint, and STS has no
	// FIPS or dual-stack name in every region that ECR has one.
	ch := &chain{cfg: cfg.chain, client: client, imds: newIMDSClient(cfg.chain.imds), endpoints: cfg.endpoints, stderr: stderr}
	if !reg.public {
		ch.regions = append(ch.regions, reg.region)
	}
	ch.regions = append(ch.regions, cfg.region)
	if req.ServiceAccountToken != "" {
		if arn, from := podRoleARN(req.ServiceAccountAnnotations, cfg.ecrRoleARN); arn != "" {
			return ch.podCredentials(ctx, arn, from, req.ServiceAccountToken)
		}
	}
	return resolveCredentials(ctx, ch.sources())
}

// config is everything the run reads from its environment, read once.
type config struct {
	region      string // AWS_REGION, else AWS_DEFAULT_REGION
	endpoints   endpointConfig
	caBundle    string
	certFile    string // SSL_CERT_FILE: the system roots' bundle
	maxAttempts int
	chain       chainConfig
	ecrRoleARN  string // AWS_ECR_ROLE_ARN: the pods' role when no annotation names one
}

// loadConfig reads and validates the environment.
func loadConfig(getenv func(string) string) (config, error) {
	cfg := config{
		region:     firstSet(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")),
		caBundle:   getenv("AWS_CA_BUNDLE"),
		certFile:   getenv("SSL_CERT_FILE"),
		ecrRoleARN: getenv("AWS_ECR_ROLE_ARN"),
	}
	var err error
	if cfg.chain, err = loadChainConfig(getenv); err != nil {
		return cfg, err
	}
	if cfg.endpoints, err = loadEndpointConfig(getenv); err != nil {
		return cfg, err
	}
	cfg.maxAttempts, err = parseMaxAttempts(getenv("AWS_MAX_ATTEMPTS"))
	return cfg, err
}

// loadEndpointConfig reads the endpoint switches and overrides.
func loadEndpointConfig(getenv func(string) string) (endpointConfig, error) {
	var ec endpointConfig
	var err error
	if ec.useFIPS, err = parseBool("AWS_USE_FIPS_ENDPOINT", getenv("AWS_USE_FIPS_ENDPOINT")); err != nil {
		return ec, err
	}
	if ec.useDualStack, err = parseBool("AWS_USE_DUALSTACK_ENDPOINT", getenv("AWS_USE_DUALSTACK_ENDPOINT")); err != nil {
		return ec, err
	}
	for _, o := range []struct {
		name string
		dst  *string
	}{
		{"AWS_ENDPOINT_URL_ECR", &ec.ecr},
		{"AWS_ENDPOINT_URL_ECR_PUBLIC", &ec.ecrPublic},
		{"AWS_ENDPOINT_URL_STS", &ec.sts},
		{"AWS_ENDPOINT_URL", &ec.all},
	} {
		if v := getenv(o.name); v != "" {
			if *o.dst, err = parseEndpointURL(o.name, v); err != nil {
				return ec, err
			}
		}
	}
	return ec, nil
}

// parseBool reads an SDK boolean: "true" or "false" in any case, or unset.
func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("%s is %s, want true or false", name, shortQuote(v))
}

// parseMaxAttempts reads AWS_MAX_ATTEMPTS, a whole number of at least 1.
func parseMaxAttempts(v string) (int, error) {
	if v == "" {
		return defaultMaxAttempts, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, fmt.Errorf("AWS_MAX_ATTEMPTS is %s, want a whole number from 1 to 100", shortQuote(v))
	}
	return n, nil
}

// newAWSClient builds the run's client for ECR and STS.
func newAWSClient(cfg config, clk *clock, warn func(string)) (*awsClient, error) {
	hc, err := newHTTPClient(cfg.caBundle, cfg.certFile)
	if err != nil {
		return nil, err
	}
	return &awsClient{http: hc, maxAttempts: cfg.maxAttempts, clock: clk, warn: warn}, nil
}

// parseArgs handles the command line; done is true when the run ends here.
func parseArgs(args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs := flag.NewFlagSet("ecr-credential-provider", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {} // printed below, to stdout for --help
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, usage)
			return 0, true
		}
		fmt.Fprint(stderr, usage)
		return 2, true
	}
	if *showVersion {
		fmt.Fprintln(stdout, "ecr-credential-provider", buildVersion())
		return 0, true
	}
	for _, a := range fs.Args() {
		if a != "get-credentials" {
			fmt.Fprintf(stderr, "ecr-credential-provider: unexpected argument %s\n%s", shortQuote(a), usage)
			return 2, true
		}
	}
	return 0, false
}

const usage = `usage: ecr-credential-provider [get-credentials]
       ecr-credential-provider --version

kubelet runs this program as an image credential provider: it reads a
CredentialProviderRequest on stdin and writes a CredentialProviderResponse
with Amazon ECR credentials on stdout. See the README for the kubelet
configuration and the environment variables it reads.

Exit codes: 0 success, 1 failure (reason on stderr), 2 usage error.
`

// buildVersion is the stamped version, else the module's.
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}

// oneLine keeps an error message on one stderr line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
