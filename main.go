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
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

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
	ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
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
