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
//	ecr-credential-provider check [--config PATH] [--offline] [--json] IMAGE...
//	ecr-credential-provider get-login-password IMAGE|HOST
//	ecr-credential-provider docker-credential-helper ACTION
//	docker-credential-ecr-login ACTION     (a symlink or copy)
//	ecr-credential-provider --version
//	ecr-credential-provider --help
//
// The word get-credentials, which kubelet configs commonly pass in args,
// is accepted and ignored. check is the operator's self-test (check.go):
// kubelet's view of a config and an image, then this program's.
// get-login-password and the docker credential helper serve pulls that
// bypass kubelet (see helper.go); the helper's failures follow its
// protocol: one line on stdout, exit 1.
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
//	(AWS_ACCESS_KEY, AWS_SECRET_KEY when those are unset)
//	    static credentials
//	AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME
//	    web identity; the session name also names per-pod sessions
//	AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_CONFIG_FILE,
//	AWS_SHARED_CREDENTIALS_FILE, HOME (USERPROFILE on Windows)
//	    the shared profile, whose settings (region, use_fips_endpoint,
//	    use_dualstack_endpoint, ca_bundle, max_attempts, the metadata
//	    endpoint, endpoint_url, services) count where no variable is set
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
//	    of a pod's STS calls for ECR Public
//	AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT
//	    "true" or "false"; a FIPS or dual-stack registry host implies them
//	AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_ECR_PUBLIC, AWS_ENDPOINT_URL_STS,
//	AWS_ENDPOINT_URL
//	    endpoint overrides; the signing region and service stay those
//	    the registry implies
//	AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
//	    "true": every configured endpoint is ignored
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
// Every run ends within 20 seconds, far inside kubelet's one-minute kill
// (a watchdog ends it even when a read blocks);
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
	"cmp"
	"context"
	"crypto/fips140"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…".
var version string

const defaultMaxAttempts = 3

func main() {
	argv0, args := "", os.Args
	if len(args) > 0 {
		argv0, args = args[0], args[1:]
	}
	// The deadline is absolute: a read that never ends (a stdin never
	// closed, a FIFO or hung mount as a file) cannot be interrupted by the
	// run's context, so a watchdog ends the process at the deadline. check,
	// run by a person for several images, gives each its own deadline.
	if len(args) == 0 || args[0] != "check" {
		time.AfterFunc(runTimeout, func() {
			fmt.Fprintf(os.Stderr, "ecr-credential-provider: stopped at the run's %v deadline: a read from stdin, a file or the network never ended\n", runTimeout)
			os.Exit(1)
		})
	}
	os.Exit(dispatch(argv0, args, os.Stdin, os.Stdout, os.Stderr, os.Getenv, time.Now))
}

// dispatch picks the mode: the credential helper by the program's name (a
// symlink or copy named docker-credential-ecr-login) or first argument,
// get-login-password by the first argument, else kubelet's provider.
func dispatch(argv0 string, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	switch {
	case strings.TrimSuffix(filepath.Base(argv0), ".exe") == helperName:
		return runCredentialHelper(args, stdin, stdout, stderr, getenv, now)
	case len(args) > 0 && args[0] == "docker-credential-helper":
		return runCredentialHelper(args[1:], stdin, stdout, stderr, getenv, now)
	case len(args) > 0 && args[0] == "get-login-password":
		return runGetLoginPassword(args[1:], stdout, stderr, getenv, now)
	case len(args) > 0 && args[0] == "check":
		return runCheck(args[1:], stdout, stderr, getenv, now)
	}
	return run(args, stdin, stdout, stderr, getenv, now)
}

// run is the kubelet path; it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	if code, done := parseArgs(args, stdout, stderr); done {
		return code
	}
	// A second inside the watchdog, so that a call the context can stop
	// reports its own error.
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout-time.Second)
	defer cancel()
	resp, err := provide(ctx, stdin, stderr, getenv, now)
	if err == nil {
		err = writeResponse(stdout, resp)
	}
	return exitCode(stderr, err)
}

// provide answers the request on stdin, in the order of SPEC §1–§5:
// request, configuration, then the login every mode shares.
func provide(ctx context.Context, stdin io.Reader, stderr io.Writer, getenv func(string) string, now func() time.Time) (credentialProviderResponse, error) {
	// The request first: kubelet's write to stdin must always complete.
	req, err := parseRequest(stdin)
	if err != nil {
		return credentialProviderResponse{}, err
	}
	clk := &clock{now: now}
	pod := podIdentity{token: req.ServiceAccountToken, annotations: req.ServiceAccountAnnotations}
	reg, auth, err := registryLogin(ctx, getenv, clk, stderr, req.Image, pod)
	if err != nil {
		return credentialProviderResponse{}, err
	}
	return newResponse(req.APIVersion, reg.host, auth.username, auth.password, auth.expires, clk.Now()), nil
}

// exitCode reports err, if any, as one line on stderr and returns the exit
// code: 0 or 1.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "ecr-credential-provider: "+oneLine(err.Error()))
	return 1
}

// invocation is what every mode's run shares: the configuration, read
// once, the clock, and stderr for warnings and credential_process.
type invocation struct {
	cfg    config
	clk    *clock
	stderr io.Writer
}

// podIdentity is the pulling pod's service-account token and annotations
// (KEP-4412), empty when kubelet sent none.
type podIdentity struct {
	token       string
	annotations map[string]string
}

// login is the path every mode shares: image → registry → ECR endpoint →
// credentials → GetAuthorizationToken, signed with SigV4. trace records
// what the credential chain did, for check.
func (in *invocation) login(ctx context.Context, image string, pod podIdentity, trace *chainTrace) (registry, registryAuth, error) {
	reg, err := parseRegistry(image, in.cfg.region)
	if err != nil {
		return reg, registryAuth{}, err
	}
	endpoint, region, service, err := ecrEndpoint(reg, in.cfg.endpoints)
	if err != nil {
		return reg, registryAuth{}, err
	}
	client, err := in.awsClient()
	if err != nil {
		return reg, registryAuth{}, err
	}
	creds, err := in.findCredentials(ctx, pod, reg, client, trace)
	if err != nil {
		return reg, registryAuth{}, err
	}
	auth, err := getAuthorizationToken(ctx, client, endpoint, region, service, creds)
	return reg, auth, err
}

// findCredentials picks the credentials for the ECR call: the pod's own
// role when kubelet sent the pod's service-account token and a role is
// named for it (KEP-4412), else the node's default chain, as upstream does
// for pods without a role.
func (in *invocation) findCredentials(ctx context.Context, pod podIdentity, reg registry, client *awsClient, trace *chainTrace) (credentials, error) {
	// STS endpoints follow the operator's FIPS and dual-stack switches
	// only, as in the SDKs: a registry host's FIPS or dual-stack hint
	// chooses the ECR endpoint, and STS has no FIPS or dual-stack name in
	// every region that ECR has one.
	ch := &chain{cfg: in.cfg.chain, client: client, imds: newIMDSClient(in.cfg.chain.imds), endpoints: in.cfg.endpoints, stderr: in.stderr, trace: trace}
	// The chain's STS calls use the registry's region, us-east-1 for ECR
	// Public, as upstream's WithRegion makes the SDK do; a pod's role for
	// ECR Public uses the configured region (upstream: "Missing Region").
	ch.regions = []string{reg.region}
	if pod.token != "" {
		if arn, from := podRoleARN(pod.annotations, in.cfg.ecrRoleARN); arn != "" {
			if reg.public {
				ch.regions = []string{in.cfg.region}
			}
			return ch.podCredentials(ctx, arn, from, pod.token)
		}
	}
	return resolveCredentials(ctx, ch.sources(), trace)
}

// config is everything the run reads from its environment and the active
// profile's settings, read once.
type config struct {
	region      string // AWS_REGION, AWS_DEFAULT_REGION, the profile's region
	endpoints   endpointConfig
	caBundle    string // AWS_CA_BUNDLE, else the profile's ca_bundle
	certFile    string // SSL_CERT_FILE: the system roots' bundle
	maxAttempts int
	chain       chainConfig
	ecrRoleARN  string // AWS_ECR_ROLE_ARN: the pods' role when no annotation names one
}

// loadConfig reads and validates the environment and the active profile,
// with the SDK's precedence: an environment variable that is set wins over
// the profile's key (SPEC §5).
func loadConfig(getenv func(string) string) (config, error) {
	chain, err := loadChainConfig(getenv)
	if err != nil {
		return config{}, err
	}
	p := chain.profile
	cfg := config{
		region:     firstSet(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), p.get("region")),
		caBundle:   firstSet(getenv("AWS_CA_BUNDLE"), p.get("ca_bundle")),
		certFile:   getenv("SSL_CERT_FILE"),
		chain:      chain,
		ecrRoleARN: getenv("AWS_ECR_ROLE_ARN"),
	}
	if cfg.endpoints, err = loadEndpointConfig(getenv, chain.files, p); err != nil {
		return cfg, err
	}
	// The profile's value is parsed even when the variable wins, as the
	// SDK loads (and refuses) it either way.
	if cfg.maxAttempts, err = parseMaxAttempts("max_attempts of profile "+p.name, p.get("max_attempts"), 0); err != nil {
		return cfg, err
	}
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		cfg.maxAttempts, err = parseMaxAttempts("AWS_MAX_ATTEMPTS", v, 10)
	}
	return cfg, err
}

// loadEndpointConfig reads the endpoint switches and overrides. For each
// API: its own variable (AWS_ENDPOINT_URL_ECR, …), then AWS_ENDPOINT_URL,
// then the profile's services section (unless AWS_ENDPOINT_URL is set,
// which hides it, as in the SDK), then the profile's endpoint_url; and none
// of them when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or
// ignore_configured_endpoint_urls is true.
func loadEndpointConfig(getenv func(string) string, files sharedProfiles, p profile) (endpointConfig, error) {
	var ec endpointConfig
	var ignore bool
	var err error
	for _, b := range []struct {
		env, key string
		dst      *bool
	}{
		{"AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint", &ec.useFIPS},
		{"AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint", &ec.useDualStack},
		{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "ignore_configured_endpoint_urls", &ignore},
	} {
		if *b.dst, err = boolSetting(getenv, p, b.env, b.key); err != nil || ignore {
			return ec, err
		}
	}
	general, services := getenv("AWS_ENDPOINT_URL"), files.servicesSection(p.get("services"))
	for _, o := range []struct {
		env, service string
		dst          *string
	}{
		{"AWS_ENDPOINT_URL_ECR", "ecr", &ec.ecr},
		{"AWS_ENDPOINT_URL_ECR_PUBLIC", "ecr_public", &ec.ecrPublic},
		{"AWS_ENDPOINT_URL_STS", "sts", &ec.sts},
		{"AWS_ENDPOINT_URL", "", &ec.all},
	} {
		name, v := o.env, getenv(o.env)
		switch {
		case v != "":
		case o.service == "":
			name, v = "endpoint_url of profile "+p.name, p.get("endpoint_url")
		case general == "":
			name, v = o.service+" endpoint_url in [services "+p.get("services")+"]", services[o.service+".endpoint_url"]
		}
		if v == "" {
			continue
		}
		if *o.dst, err = parseEndpointURL(name, v); err != nil {
			return ec, err
		}
	}
	return ec, nil
}

// boolSetting reads an SDK boolean: the variable, "true" or "false" in any
// case, anything else an error; else the profile's key, where the SDK takes
// "true" in any case as true and anything else as false.
func boolSetting(getenv func(string) string, p profile, env, key string) (bool, error) {
	switch v := strings.ToLower(getenv(env)); v {
	case "":
		return strings.EqualFold(p.get(key), "true"), nil
	case "true", "false":
		return v == "true", nil
	}
	return false, fmt.Errorf("%s is %s, want true or false", env, shortQuote(getenv(env)))
}

// parseMaxAttempts reads AWS_MAX_ATTEMPTS (base 10) or a profile's
// max_attempts (base 0, as the SDK parses it): 0 or unset is the default,
// 3; a negative number is the SDK's "no limit", which here still ends at
// the run's deadline.
func parseMaxAttempts(name, v string, base int) (int, error) {
	n, err := strconv.ParseInt(cmp.Or(v, "0"), base, 32)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s is %s, want a whole number", name, shortQuote(v))
	case n == 0:
		return defaultMaxAttempts, nil
	case n < 0:
		return math.MaxInt32, nil
	}
	return int(n), nil
}

// awsClient builds the run's client for ECR and STS.
func (in *invocation) awsClient() (*awsClient, error) {
	hc, err := newAWSHTTPClient(in.cfg.caBundle, in.cfg.certFile)
	if err != nil {
		return nil, err
	}
	warn := func(msg string) { fmt.Fprintln(in.stderr, "ecr-credential-provider: "+msg) }
	return &awsClient{http: hc, maxAttempts: in.cfg.maxAttempts, clock: in.clk, warn: warn}, nil
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
       ecr-credential-provider check [--config PATH] [--offline] [--json] IMAGE...
       ecr-credential-provider get-login-password IMAGE|HOST
       ecr-credential-provider docker-credential-helper get|list|store|erase|version
       ecr-credential-provider --version

kubelet runs this program as an image credential provider: it reads a
CredentialProviderRequest on stdin and writes a CredentialProviderResponse
with Amazon ECR credentials on stdout. See the README for the kubelet
configuration and the environment variables it reads.

Exit codes: 0 success, 1 failure (reason on stderr), 2 usage error.
`

// buildVersion is the stamped version (else the module's), the Go release,
// and the FIPS 140-3 module and mode the binary runs in (SPEC §10): a
// GOFIPS140 build setting names the frozen module exactly, snapshot
// included; crypto/fips140 knows the mode GODEBUG left it in.
func buildVersion() string {
	v, module := version, fips140.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = firstSet(v, bi.Main.Version)
		if i := slices.IndexFunc(bi.Settings, func(s debug.BuildSetting) bool { return s.Key == "GOFIPS140" }); i >= 0 {
			module = bi.Settings[i].Value
		}
	}
	mode := "off"
	if fips140.Enabled() {
		mode = "on"
	}
	if fips140.Enforced() {
		mode = "only"
	}
	return fmt.Sprintf("%s (%s, FIPS 140-3 module %s, fips140=%s)", firstSet(v, "unknown"), runtime.Version(), module, mode)
}
