package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEcrServerHost(t *testing.T) {
	const private = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
	tests := []struct {
		serverURL string
		host      string
		ecr       bool
	}{
		// The forms clients send (SPEC §9): bare host, https://, a path.
		{private, private, true},
		{"https://" + private, private, true},
		{"https://" + private + "/", private, true},
		{"https://" + private + "/v2/", private, true},
		{private + "/team/app", private, true}, // go-containerregistry asks for the repository first
		{private + "/team/app:1.2.3", private, true},
		{private + ":443", private + ":443", true},
		{"https://" + private + ":443/v2/", private + ":443", true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", true},
		{"123456789012.dkr-ecr.us-east-2.on.aws", "123456789012.dkr-ecr.us-east-2.on.aws", true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", true},
		{"public.ecr.aws", "public.ecr.aws", true},
		{"https://public.ecr.aws/v2/", "public.ecr.aws", true},
		{"ecr-public.aws.com", "ecr-public.aws.com", true},
		// Docker Hub as docker and go-containerregistry name it, and other
		// registries: never ECR here, whatever AWS_REGION says.
		{"https://index.docker.io/v1/", "index.docker.io", false},
		{"index.docker.io", "index.docker.io", false},
		{"docker.io", "docker.io", false},
		{"ghcr.io/owner/app", "ghcr.io", false},
		{"registry.example.com:5000", "registry.example.com:5000", false},
		{"127.0.0.1:5000", "127.0.0.1:5000", false},
		// Malformed or look-alike: no credentials rather than an error.
		{"http://" + private, "http:", false},
		{"HTTPS://" + private, "HTTPS:", false},
		{"https://user:pw@" + private, "user:pw@" + private, false},
		{strings.ToUpper(private), strings.ToUpper(private), false},
		{private + ".evil.com", private + ".evil.com", false},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com", "123456789012.dkr.ecr.cn-north-1.amazonaws.com", false},
		{"[::1]:443", "[::1]:443", false},
		{"https://", "", false},
		{"/v2/", "", false},
	}
	for _, tt := range tests {
		host, ecr := ecrServerHost(tt.serverURL)
		if host != tt.host || ecr != tt.ecr {
			t.Errorf("ecrServerHost(%q) = %q, %v; want %q, %v", tt.serverURL, host, ecr, tt.host, tt.ecr)
		}
	}
}

// FuzzEcrServerHost: no input panics; an ECR host is exactly the text
// between the scheme and the first "/", names no path, and is a private
// ECR or ECR Public registry, never a mirror.
func FuzzEcrServerHost(f *testing.F) {
	for _, s := range []string{
		"123456789012.dkr.ecr.us-west-2.amazonaws.com",
		"https://123456789012.dkr-ecr-fips.us-gov-west-1.on.aws:443/v2/",
		"public.ecr.aws/team/app:1",
		"https://index.docker.io/v1/",
		"http://123456789012.dkr.ecr.us-west-2.amazonaws.com",
		"registry.example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, serverURL string) {
		host, ecr := ecrServerHost(serverURL)
		if !ecr {
			return
		}
		rest := strings.TrimPrefix(serverURL, "https://")
		if host == "" || strings.Contains(host, "/") || !strings.HasPrefix(rest, host) || len(rest) > len(host) && rest[len(host)] != '/' {
			t.Fatalf("ecrServerHost(%q) = %q, true; want the host of the URL", serverURL, host)
		}
		if r, err := parseRegistry(host, "eu-west-1"); err != nil || r.mirror || r.host != host {
			t.Fatalf("ecrServerHost(%q) = %q, true; but parseRegistry gives %+v, %v", serverURL, host, r, err)
		}
	})
}

// helperEnv is runInProcess's environment as a getenv: env alone, a HOME
// of its own, IMDS off.
func helperEnv(t *testing.T, env map[string]string) func(string) string {
	home := t.TempDir()
	return func(k string) string {
		switch {
		case k == "HOME":
			return home
		case k == "AWS_EC2_METADATA_DISABLED" && env[k] == "":
			return "true"
		}
		return env[k]
	}
}

// TestDispatch: the program's name and first word choose the mode.
func TestDispatch(t *testing.T) {
	tests := []struct {
		argv0  string
		args   []string
		code   int
		stdout string // prefix
	}{
		{"/usr/local/bin/" + helperName, []string{"list"}, 0, "{}\n"},
		{helperName, []string{"version"}, 0, helperName + " (ecr-credential-provider) "},
		{"ecr-credential-provider", []string{"docker-credential-helper", "list"}, 0, "{}\n"},
		{"/opt/bin/anything", []string{"docker-credential-helper", "version"}, 0, helperName + " "},
		{"ecr-credential-provider", []string{"docker-credential-helper"}, 1, "usage: " + helperName},
		{"ecr-credential-provider", []string{"get-login-password"}, 2, ""},
		{"ecr-credential-provider", []string{"--version"}, 0, "ecr-credential-provider "},
		{helperName + "-other", []string{"list"}, 2, ""}, // not the helper's name: kubelet's usage error
		{"", nil, 1, ""}, // no argv at all: kubelet's path, empty stdin
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := dispatch(tt.argv0, tt.args, strings.NewReader(""), &stdout, &stderr, helperEnv(t, nil), time.Now)
		if code != tt.code || !strings.HasPrefix(stdout.String(), tt.stdout) || tt.stdout == "" && stdout.Len() != 0 {
			t.Errorf("dispatch(%q, %q) = %d, stdout %q; want %d, %q… (stderr %q)", tt.argv0, tt.args, code, stdout.String(), tt.code, tt.stdout, stderr.String())
		}
	}
}

// TestRunCredentialHelper drives the protocol in-process: every action,
// the fixed answers clients match, and the error form (SPEC §9).
func TestRunCredentialHelper(t *testing.T) {
	fake := newFakeECR(t)
	url, ca := tlsFake(t, fake)
	denied := newFakeECR(t)
	denied.misbehave = func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		awsJSONError(w, 400, "AccessDeniedException", "not authorized")
		return true
	}
	deniedURL, deniedCA := tlsFake(t, denied)
	const host = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
	ignore := map[string]string{"AWS_ECR_IGNORE_CREDS_STORAGE": "true"}
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		stdin  string
		code   int
		stdout string // exact
	}{
		{"get", []string{"get"}, staticEnv(url, ca), "https://" + host + "/v2/\n", 0,
			`{"ServerURL":"https://` + host + `/v2/","Username":"AWS","Secret":"` + testPassword + `"}` + "\n"},
		{"get without a newline", []string{"get"}, staticEnv(url, ca), host, 0,
			`{"ServerURL":"` + host + `","Username":"AWS","Secret":"` + testPassword + `"}` + "\n"},
		{"get Docker Hub", []string{"get"}, staticEnv(url, ca), "https://index.docker.io/v1/\n", 1, "credentials not found in native keychain\n"},
		{"get a mirror host with AWS_REGION", []string{"get"}, map[string]string{"AWS_REGION": "us-west-2"}, "registry.example.com", 1, "credentials not found in native keychain\n"},
		{"get nothing", []string{"get"}, nil, " \n", 1, "no credentials server URL\n"},
		{"get too much", []string{"get"}, nil, strings.Repeat("a", maxRequestBytes+1), 1, "ecr-credential-provider: reading the server URL from stdin: larger than 1048576 bytes\n"},
		{"get refused", []string{"get"}, staticEnv(deniedURL, deniedCA), host, 1,
			"ecr-credential-provider: ECR GetAuthorizationToken at " + strings.TrimPrefix(deniedURL, "https://") + ": HTTP 400 AccessDeniedException: not authorized (check that the IAM policy of these credentials allows ecr:GetAuthorizationToken, or ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken for ECR Public)\n"},
		{"list", []string{"list"}, nil, "unused", 0, "{}\n"},
		{"store", []string{"store"}, nil, `{"ServerURL":"x","Username":"u","Secret":"s"}`, 1, "not implemented\n"},
		{"erase", []string{"erase"}, nil, host, 1, "not implemented\n"},
		{"store ignored", []string{"store"}, ignore, `{"ServerURL":"x","Username":"u","Secret":"s"}`, 0, ""},
		{"erase ignored", []string{"erase"}, ignore, host, 0, ""},
		{"store, switch not exactly true", []string{"store"}, map[string]string{"AWS_ECR_IGNORE_CREDS_STORAGE": "TRUE"}, "{}", 1, "not implemented\n"},
		{"version", []string{"version"}, nil, "", 0, helperName + " (ecr-credential-provider) " + buildVersion() + "\n"},
		{"--help", []string{"--help"}, nil, "", 0, helperUsage},
		{"unknown action", []string{"login"}, nil, "", 1, "ecr-credential-provider: unknown action \"login\" (want get, list, store, erase or version)\n"},
		{"no action", nil, nil, "", 1, helperUsage},
		{"two actions", []string{"get", "list"}, nil, "", 1, helperUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runCredentialHelper(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, helperEnv(t, tt.env), time.Now)
			if code != tt.code || stdout.String() != tt.stdout || stderr.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q and no stderr", code, stdout.String(), stderr.String(), tt.code, tt.stdout)
			}
		})
	}
	if n := len(fake.Calls()); n != 2 {
		t.Errorf("fake ECR saw %d calls, want one per successful get (2)", n)
	}
}

func TestRunGetLoginPassword(t *testing.T) {
	fake := newFakeECR(t)
	url, ca := tlsFake(t, fake)
	mirror := staticEnv(url, ca)
	mirror["AWS_REGION"] = "ap-south-1"
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string
		stderr string // substring; "" means empty
	}{
		{"host", []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com"}, staticEnv(url, ca), 0, testPassword + "\n", ""},
		{"image", []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com/pause:3.10"}, staticEnv(url, ca), 0, testPassword + "\n", ""},
		{"public", []string{"public.ecr.aws"}, staticEnv(url, ca), 0, testPassword + "\n", ""},
		{"mirror with AWS_REGION", []string{"registry.example.com/app"}, mirror, 0, testPassword + "\n", ""},
		{"not ECR", []string{"docker.io/library/nginx"}, staticEnv(url, ca), 1, "", `ecr-credential-provider: registry "docker.io" is not an ECR registry`},
		{"no credentials", []string{"public.ecr.aws"}, map[string]string{"AWS_ENDPOINT_URL_ECR_PUBLIC": url}, 1, "", "ecr-credential-provider: no AWS credentials found"},
		{"no argument", nil, nil, 2, "", "usage: ecr-credential-provider get-login-password IMAGE|HOST"},
		{"a flag", []string{"--region=us-east-1"}, nil, 2, "", "usage: "},
		{"two arguments", []string{"public.ecr.aws", "x"}, nil, 2, "", "usage: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runGetLoginPassword(tt.args, &stdout, &stderr, helperEnv(t, tt.env), time.Now)
			lines := strings.Count(stderr.String(), "\n")
			if code != tt.code || stdout.String() != tt.stdout || !strings.Contains(stderr.String(), tt.stderr) || (tt.stderr == "") != (lines == 0) || lines > 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, one line holding %q", code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
