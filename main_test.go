package main

// Tests of the whole run: in-process through run, and end to end through
// the built binary, started exactly as kubelet starts it.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// binary is the program built once for the end-to-end tests.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// builtBinary is the program under test: the binary named by
// ECR_CREDENTIAL_PROVIDER (`make demo`, `make bench` pass the one `make`
// built), else one built here once with the Makefile's flags.
func builtBinary(tb testing.TB) string {
	tb.Helper()
	if path := os.Getenv("ECR_CREDENTIAL_PROVIDER"); path != "" {
		return path
	}
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "ecr-credential-provider-e2e")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "ecr-credential-provider")
		cmd := exec.Command("go", "build", "-tags", "nethttpomithttp2", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", binary.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		tb.Fatal(binary.err)
	}
	return binary.path
}

// result is what one run printed.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// runBinary runs the built binary as kubelet does: args, the request on
// stdin, and the environment kubeletEnv makes of env.
func runBinary(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	return runProgram(t, builtBinary(t), env, stdin, args...)
}

// runProgram runs path with args, stdin and kubeletEnv's environment.
func runProgram(t *testing.T, path string, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // kubelet's kill
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = kubeletEnv(t, env)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if exit, ok := err.(*exec.ExitError); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", path, err)
	}
	return r
}

// runInProcess calls run with env as the whole environment (and, as
// runBinary, IMDS off unless the test points it somewhere).
func runInProcess(t *testing.T, env map[string]string, stdin string, args ...string) result {
	var stdout, stderr bytes.Buffer
	home := t.TempDir()
	getenv := func(k string) string {
		switch {
		case k == "HOME":
			return home
		case k == "AWS_EC2_METADATA_DISABLED" && env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == "" && env[k] == "":
			return "true"
		}
		return env[k]
	}
	code := dispatch("ecr-credential-provider", args, strings.NewReader(stdin), &stdout, &stderr, getenv, time.Now)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// request is the exact stdin kubelet writes (SPEC §1).
func request(apiVersion, image string) string {
	return fmt.Sprintf(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/%s","image":%q}`+"\n", apiVersion, image)
}

// decodeStrictly decodes a response the way kubelet does: one object,
// only the five known fields with exact names, only username and password
// in an auth entry, nothing after it (SPEC §1).
func decodeStrictly(t *testing.T, stdout string) credentialProviderResponse {
	t.Helper()
	if !strings.HasSuffix(stdout, "}\n") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout %q is not one JSON object and a newline", stdout)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &fields); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	for k := range fields {
		if !slices.Contains([]string{"kind", "apiVersion", "cacheKeyType", "cacheDuration", "auth"}, k) {
			t.Fatalf("response has field %q that kubelet rejects", k)
		}
	}
	var auth map[string]map[string]json.RawMessage
	json.Unmarshal(fields["auth"], &auth)
	for host, entry := range auth {
		for k := range entry {
			if k != "username" && k != "password" {
				t.Fatalf("auth[%q] has field %q that kubelet rejects", host, k)
			}
		}
	}
	var resp credentialProviderResponse
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Kind != responseKind || !slices.Contains([]string{cacheKeyRegistry, "Image", "Global"}, resp.CacheKeyType) {
		t.Fatalf("response kind %q cacheKeyType %q", resp.Kind, resp.CacheKeyType)
	}
	if resp.CacheDuration != "" {
		if _, err := time.ParseDuration(resp.CacheDuration); err != nil {
			t.Fatalf("cacheDuration %q: %v", resp.CacheDuration, err)
		}
	}
	return resp
}

// staticEnv is a node with static credentials whose ECR calls go to url,
// trusting caBundle.
func staticEnv(url, caBundle string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":           testAccessKey,
		"AWS_SECRET_ACCESS_KEY":       testSecretKey,
		"AWS_ENDPOINT_URL_ECR":        url,
		"AWS_ENDPOINT_URL_ECR_PUBLIC": url,
		"AWS_CA_BUNDLE":               caBundle,
	}
}

// assertFailed checks the failure contract: exit 1, nothing on stdout,
// one stderr line with the program's prefix that contains want.
func assertFailed(t *testing.T, r result, want string) {
	t.Helper()
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q; want exit 1 and no stdout (stderr %q)", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "ecr-credential-provider: ") || !strings.Contains(last, want) {
		t.Fatalf("stderr %q; want one line starting ecr-credential-provider: and containing %q", r.stderr, want)
	}
	assertNoSecrets(t, r)
}

// sentinels are the secret values every test uses; none may ever be
// printed, on success or failure, except the password in a response.
var sentinels = []string{testSecretKey, testSessionToken, testPassword}

// assertNoSecrets checks stderr (and stdout, unless it is a response)
// for every sentinel secret.
func assertNoSecrets(t *testing.T, r result) {
	t.Helper()
	for _, s := range sentinels {
		if strings.Contains(r.stderr, s) || (r.code != 0 && strings.Contains(r.stdout, s)) {
			t.Errorf("a secret (%.12s…) was printed: stdout %q stderr %q", s, r.stdout, r.stderr)
		}
	}
}

func TestEndToEndAPIVersions(t *testing.T) {
	fake := newFakeECR(t)
	url, ca := tlsFake(t, fake)
	const image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app"
	for _, v := range []string{"v1alpha1", "v1beta1", "v1"} {
		t.Run(v, func(t *testing.T) {
			r := runBinary(t, staticEnv(url, ca), request(v, image), "get-credentials")
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			resp := decodeStrictly(t, r.stdout)
			if resp.APIVersion != "credentialprovider.kubelet.k8s.io/"+v || resp.CacheKeyType != "Registry" {
				t.Errorf("apiVersion %q cacheKeyType %q", resp.APIVersion, resp.CacheKeyType)
			}
			auth := resp.Auth["123456789012.dkr.ecr.us-west-2.amazonaws.com"]
			if len(resp.Auth) != 1 || auth.Username != "AWS" || auth.Password != testPassword {
				t.Errorf("auth = %v", resp.Auth)
			}
			if d, _ := time.ParseDuration(resp.CacheDuration); d < 5*time.Hour+59*time.Minute || d > 6*time.Hour {
				t.Errorf("cacheDuration %q, want about 6h (half of 12h)", resp.CacheDuration)
			}
		})
	}
	calls := fake.Calls()
	if len(calls) != 3 || calls[0].region != "us-west-2" || calls[0].service != "ecr" {
		t.Errorf("fake ECR saw %+v", calls)
	}
}

// TestEndToEndEndpoints runs the binary through a proxy that terminates
// TLS for any host, so the CONNECT target shows the endpoint it chose.
func TestEndToEndEndpoints(t *testing.T) {
	tests := []struct {
		image, env     string // env: "NAME=value" or ""
		authKey        string
		connect        string
		region, target string
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app", "", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "api.ecr.eu-west-1.amazonaws.com:443", "eu-west-1", targetPrivate},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app", "", "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "api.ecr-fips.us-east-1.amazonaws.com:443", "us-east-1", targetPrivate},
		{"123456789012.dkr-ecr.us-east-2.on.aws/app", "", "123456789012.dkr-ecr.us-east-2.on.aws", "ecr.us-east-2.api.aws:443", "us-east-2", targetPrivate},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app", "", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "api.ecr.cn-north-1.amazonaws.com.cn:443", "cn-north-1", targetPrivate},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "AWS_USE_FIPS_ENDPOINT=true", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "api.ecr-fips.us-east-1.amazonaws.com:443", "us-east-1", targetPrivate},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "AWS_USE_DUALSTACK_ENDPOINT=true", "123456789012.dkr.ecr.us-east-1.amazonaws.com", "ecr.us-east-1.api.aws:443", "us-east-1", targetPrivate},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443/app", "", "123456789012.dkr.ecr.us-east-1.amazonaws.com:443", "api.ecr.us-east-1.amazonaws.com:443", "us-east-1", targetPrivate},
		{"public.ecr.aws/team/app", "", "public.ecr.aws", "api.ecr-public.us-east-1.amazonaws.com:443", "us-east-1", targetPublic},
		{"ecr-public.aws.com/team/app", "", "ecr-public.aws.com", "ecr-public.us-east-1.api.aws:443", "us-east-1", targetPublic},
		{"registry.example.com/team/app", "AWS_REGION=ap-south-1", "registry.example.com", "api.ecr.ap-south-1.amazonaws.com:443", "ap-south-1", targetPrivate},
	}
	for _, tt := range tests {
		t.Run(tt.image+" "+tt.env, func(t *testing.T) {
			fake := newFakeECR(t)
			proxy := newMITMProxy(t, fake)
			env := map[string]string{
				"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey,
				"HTTPS_PROXY": proxy.URL, "AWS_CA_BUNDLE": proxy.CABundle,
			}
			if k, v, ok := strings.Cut(tt.env, "="); ok {
				env[k] = v
			}
			r := runBinary(t, env, request("v1", tt.image))
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			resp := decodeStrictly(t, r.stdout)
			if _, ok := resp.Auth[tt.authKey]; !ok || len(resp.Auth) != 1 {
				t.Errorf("auth keys %v, want %q", resp.Auth, tt.authKey)
			}
			calls := fake.Calls()
			if got := proxy.Connects(); !slices.Equal(got, []string{tt.connect}) {
				t.Errorf("CONNECT %v, want %q", got, tt.connect)
			}
			if len(calls) != 1 || calls[0].region != tt.region || calls[0].target != tt.target || calls[0].sni+":443" != tt.connect {
				t.Errorf("fake ECR saw %+v, want region %q target %q", calls, tt.region, tt.target)
			}
		})
	}
}

func TestEndToEndFailures(t *testing.T) {
	denied := newFakeECR(t)
	denied.misbehave = func(_ int, w http.ResponseWriter, _ *http.Request) bool {
		awsJSONError(w, 400, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: ecr:GetAuthorizationToken")
		return true
	}
	deniedURL, deniedCA := tlsFake(t, denied)
	proxy := newMITMProxy(t, newFakeECR(t))
	viaProxy := map[string]string{
		"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey,
		"AWS_SESSION_TOKEN": testSessionToken, "HTTPS_PROXY": proxy.URL, "AWS_CA_BUNDLE": proxy.CABundle,
	}
	private := request("v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app")
	tests := []struct {
		name  string
		env   map[string]string
		stdin string
		want  string
	}{
		{"no credentials", map[string]string{"HTTPS_PROXY": proxy.URL, "AWS_CA_BUNDLE": proxy.CABundle}, private, "no AWS credentials found (environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"},
		{"half the keys", map[string]string{"AWS_SECRET_ACCESS_KEY": testSecretKey}, private, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"},
		{"access denied", staticEnv(deniedURL, deniedCA), private, "AccessDeniedException: User: arn:aws:iam::123456789012:user/x is not authorized"},
		{"refused image", viaProxy, request("v1", "evil.example.com/app"), `"evil.example.com"`},
		{"look-alike host", viaProxy, request("v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com/app"), "amazonaws.com.evil.com"},
		{"wrong kind", viaProxy, `{"kind":"Pod","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"public.ecr.aws/a"}`, `kind is "Pod"`},
		{"unknown apiVersion", viaProxy, `{"kind":"CredentialProviderRequest","apiVersion":"v2","image":"public.ecr.aws/a"}`, `unknown apiVersion "v2"`},
		{"no image", viaProxy, `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}`, "image is empty or missing"},
		{"not JSON", viaProxy, "hello", "not a JSON object"},
		{"trailing data", viaProxy, private + "{}", "data after the JSON object"},
		{"bad FIPS switch", map[string]string{"AWS_USE_FIPS_ENDPOINT": "yes"}, private, `AWS_USE_FIPS_ENDPOINT is "yes", want true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertFailed(t, runBinary(t, tt.env, tt.stdin), tt.want)
		})
	}
	if got := proxy.Connects(); len(got) != 0 {
		t.Errorf("failed runs connected to %v; want no request at all", got)
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		stdout     string // substring
		stderrWant string // substring; "" means stderr must be empty
	}{
		{[]string{"--version"}, 0, "ecr-credential-provider ", ""},
		{[]string{"-version"}, 0, "ecr-credential-provider ", ""},
		{[]string{"--help"}, 0, "usage: ecr-credential-provider", ""},
		{[]string{"-h"}, 0, "usage: ecr-credential-provider", ""},
		{[]string{"--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"fetch"}, 2, "", `unexpected argument "fetch"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runBinary(t, nil, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || (tt.stderrWant == "") != (r.stderr == "") || !strings.Contains(r.stderr, tt.stderrWant) {
				t.Errorf("exit %d stdout %q stderr %q; want exit %d, stdout with %q, stderr with %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderrWant)
			}
		})
	}
}

// TestDemo is what `make demo` shows: the built binary run exactly as
// kubelet runs it, against a local fake ECR. It is also a test: the run
// must succeed.
func TestDemo(t *testing.T) {
	fake := newFakeECR(t)
	url, ca := tlsFake(t, fake)
	stdin := request("v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo/app")
	r := runBinary(t, staticEnv(url, ca), stdin, "get-credentials")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	resp := decodeStrictly(t, r.stdout)
	if len(fake.Calls()) != 1 {
		t.Fatalf("fake ECR calls %v", fake.Calls())
	}
	if testing.Verbose() {
		masked := strings.ReplaceAll(r.stdout, testPassword, strings.Repeat("*", 12))
		fmt.Printf("=== DEMO\n$ ecr-credential-provider get-credentials  # as kubelet runs it\n"+
			"(AWS_ENDPOINT_URL_ECR=%s, a local fake ECR with its own TLS certificate)\n\nstdin:\n%s\nstdout (password masked):\n%s\n"+
			"kubelet now pulls with user %q for %d registry, cached for %s.\n=== END\n",
			url, stdin, masked, resp.Auth["123456789012.dkr.ecr.us-east-1.amazonaws.com"].Username, len(resp.Auth), resp.CacheDuration)
	}
}

// TestEndToEndRefusedImagesMakeNoRequest runs hostile images through the
// binary with a proxy and a metadata service that record every
// connection: a refused image must not reach the network at all.
func TestEndToEndRefusedImagesMakeNoRequest(t *testing.T) {
	proxy := newMITMProxy(t, newFakeECR(t))
	var imdsHits atomic.Int32
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { imdsHits.Add(1) }))
	defer imds.Close()
	env := map[string]string{
		"HTTPS_PROXY": proxy.URL, "HTTP_PROXY": proxy.URL, "AWS_CA_BUNDLE": proxy.CABundle,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL,
	}
	images := []string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com/app",
		"evil.com@123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws%2ecom/app",
		"123456789012.dkr.ecr.us-east-1.\u0430mazonaws.com/app",
		"[::1]/app",
		"127.0.0.1/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:0443/app",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com\n.evil.com/app",
		"HTTPS://123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com/app",
		"public.ecr.aws.evil.com/app",
		"registry.example.com/app",
	}
	for _, image := range images {
		t.Run(image, func(t *testing.T) {
			r := runBinary(t, env, request("v1", image))
			assertFailed(t, r, "")
		})
	}
	if got := proxy.Connects(); len(got) != 0 || imdsHits.Load() != 0 {
		t.Errorf("refused images connected to %v and IMDS %d times; want nothing", got, imdsHits.Load())
	}
}

// TestEndToEndBoundedWorstCase runs the binary against endpoints that
// never finish answering: each run must end with exit 1 and a clear
// message before the run's deadline. The bound is generous; the exact
// figures belong to the benchmark.
func TestEndToEndBoundedWorstCase(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	// Reading the body lets the server notice when the client goes away.
	hang := func(_ int, w http.ResponseWriter, r *http.Request) bool {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	}
	drip := func(_ int, w http.ResponseWriter, r *http.Request) bool {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		for range 120 {
			w.Write([]byte(" "))
			w.(http.Flusher).Flush()
			select {
			case <-time.After(250 * time.Millisecond):
			case <-r.Context().Done():
				return true
			}
		}
		return true
	}
	// silent accepts connections and never says a word: a black hole.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	blackHole := "http://" + silent.Addr().String()
	tests := []struct {
		name      string
		misbehave func(int, http.ResponseWriter, *http.Request) bool
		env       func(w *awsWorld) map[string]string
		want      string
	}{
		{"hanging ECR", hang, nil, "ECR GetAuthorizationToken"},
		{"dripping ECR", drip, nil, "ECR GetAuthorizationToken"},
		{"hanging STS", nil, func(w *awsWorld) map[string]string {
			w.sts.misbehave = hang
			return w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.file("token", stsWebToken), "AWS_ROLE_ARN", stsRoleARN)
		}, "STS AssumeRoleWithWebIdentity"},
		{"black-holed metadata service", nil, func(w *awsWorld) map[string]string {
			return w.with("AWS_EC2_METADATA_SERVICE_ENDPOINT", blackHole)
		}, "no AWS credentials found"},
		{"black-holed proxy", nil, func(w *awsWorld) map[string]string {
			return map[string]string{"HTTPS_PROXY": blackHole, "AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey}
		}, "ECR GetAuthorizationToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.env != nil {
				w := newAWSWorld(t, testCreds)
				r := runBinary(t, tt.env(w), request("v1", privateImage))
				assertFailed(t, r, tt.want)
				if r.elapsed > runTimeout+5*time.Second {
					t.Errorf("run took %v, want under the %v deadline", r.elapsed, runTimeout)
				}
				t.Logf("%s: exit after %v: %s", tt.name, r.elapsed.Round(time.Millisecond), strings.TrimSpace(r.stderr))
				return
			}
			fake := newFakeECR(t)
			fake.misbehave = tt.misbehave
			url, ca := tlsFake(t, fake)
			r := runBinary(t, staticEnv(url, ca), request("v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"))
			assertFailed(t, r, tt.want)
			if r.elapsed > runTimeout+5*time.Second {
				t.Errorf("run took %v, want under the %v deadline", r.elapsed, runTimeout)
			}
			t.Logf("%s: exit after %v: %s", tt.name, r.elapsed.Round(time.Millisecond), strings.TrimSpace(r.stderr))
		})
	}
}

// allSentinels are every secret the fakes and environments of the tests
// carry: keys, session tokens, the pod's service-account token, the
// container authorization token, the IMDS token and the registry password.
var allSentinels = []string{
	testSecretKey, testSessionToken, testPassword, stsSecretKey, stsSessionToken, stsWebToken,
	testContainerToken, fakeSecretKey, fakeSessionToken, fakeIMDSToken,
}

// TestSecretsNeverPrinted runs every failure path of the program through
// the built binary, with sentinel secrets everywhere, and checks that the
// run fails cleanly and that no secret reaches stdout or stderr. To cover
// a new path, add a row: setup gets a fresh fake AWS and returns the
// environment and stdin of the run.
func TestSecretsNeverPrinted(t *testing.T) {
	answer := func(status int, body string) func(int, http.ResponseWriter, *http.Request) bool {
		return func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.WriteHeader(status)
			io.WriteString(w, body)
			return true
		}
	}
	secretEnv := []string{"AWS_ACCESS_KEY_ID", testAccessKey, "AWS_SECRET_ACCESS_KEY", testSecretKey, "AWS_SESSION_TOKEN", testSessionToken}
	req := request("v1", privateImage)
	pod := func(role string) string {
		return tokenRequest(privateImage, stsWebToken, map[string]string{"eks.amazonaws.com/ecr-role-arn": role})
	}
	tokenNoColon := b64(testPassword)
	tests := []struct {
		name  string
		setup func(w *awsWorld) (map[string]string, string)
	}{
		{"ECR access denied", func(w *awsWorld) (map[string]string, string) {
			w.ecr.misbehave = func(_ int, rw http.ResponseWriter, _ *http.Request) bool {
				awsJSONError(rw, 400, "AccessDeniedException", "denied")
				return true
			}
			return w.with(secretEnv...), req
		}},
		{"ECR 500 every time", func(w *awsWorld) (map[string]string, string) {
			w.ecr.misbehave = answer(500, `{"__type":"ServerException"}`)
			return w.with(append(secretEnv, "AWS_MAX_ATTEMPTS", "2")...), req
		}},
		{"ECR redirect", func(w *awsWorld) (map[string]string, string) {
			w.ecr.misbehave = func(_ int, rw http.ResponseWriter, _ *http.Request) bool {
				rw.Header().Set("Location", "https://evil.example/?"+testSecretKey)
				rw.WriteHeader(302)
				return true
			}
			return w.with(secretEnv...), req
		}},
		{"ECR garbage with 200", func(w *awsWorld) (map[string]string, string) {
			w.ecr.misbehave = answer(200, "<html>"+testPassword+"</html>")
			return w.with(secretEnv...), req
		}},
		{"ECR token without a colon", func(w *awsWorld) (map[string]string, string) {
			w.ecr.misbehave = answer(200, `{"authorizationData":[{"authorizationToken":"`+tokenNoColon+`","expiresAt":1e10}]}`)
			return w.with(secretEnv...), req
		}},
		{"ECR token already expired", func(w *awsWorld) (map[string]string, string) {
			w.ecr.expiresAt = "1000000000"
			return w.with(secretEnv...), req
		}},
		{"ECR body too large", func(w *awsWorld) (map[string]string, string) {
			w.ecr.misbehave = answer(200, `{"authorizationData":[{"authorizationToken":"`+strings.Repeat(b64("AWS:"+testPassword), 40000)+`"}]}`)
			return w.with(secretEnv...), req
		}},
		{"ECR hangs", func(w *awsWorld) (map[string]string, string) {
			w.ecr.misbehave = func(_ int, _ http.ResponseWriter, r *http.Request) bool {
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
				return true
			}
			return w.with(append(secretEnv, "AWS_MAX_ATTEMPTS", "1")...), req
		}},
		{"refused image", func(w *awsWorld) (map[string]string, string) {
			return w.with(secretEnv...), request("v1", "evil.example.com/"+strings.ToLower(testSecretKey))
		}},
		{"bad request", func(w *awsWorld) (map[string]string, string) {
			return w.with(secretEnv...), `{"kind":"CredentialProviderRequest","apiVersion":"v9","image":"x","serviceAccountToken":"` + stsWebToken + `"}`
		}},
		{"only the secret key in the environment", func(w *awsWorld) (map[string]string, string) {
			return w.with("AWS_SECRET_ACCESS_KEY", testSecretKey), req
		}},
		{"malformed access key", func(w *awsWorld) (map[string]string, string) {
			return w.with("AWS_ACCESS_KEY_ID", "AKID\n"+testSessionToken, "AWS_SECRET_ACCESS_KEY", testSecretKey), req
		}},
		{"web identity: STS refuses", func(w *awsWorld) (map[string]string, string) {
			w.sts.errStatus, w.sts.errCode, w.sts.errMessage = 400, "InvalidIdentityToken", "bad token"
			return w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.file("token", stsWebToken), "AWS_ROLE_ARN", stsRoleARN), req
		}},
		{"web identity: STS garbage", func(w *awsWorld) (map[string]string, string) {
			w.sts.misbehave = answer(200, "<AssumeRoleWithWebIdentityResponse><SecretAccessKey>"+stsSecretKey)
			return w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.file("token", stsWebToken), "AWS_ROLE_ARN", stsRoleARN), req
		}},
		{"web identity: token file missing", func(w *awsWorld) (map[string]string, string) {
			return w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.dir+"/none", "AWS_ROLE_ARN", stsRoleARN), req
		}},
		{"pod role: STS refuses the token", func(w *awsWorld) (map[string]string, string) {
			w.sts.errStatus, w.sts.errCode, w.sts.errMessage = 400, "InvalidIdentityToken", "Incorrect token audience"
			return w.with(secretEnv...), pod(stsRoleARN)
		}},
		{"pod role: malformed ARN", func(w *awsWorld) (map[string]string, string) {
			return w.with(secretEnv...), pod("arn:aws:iam::1:role/x")
		}},
		{"pod role: oversized token", func(w *awsWorld) (map[string]string, string) {
			return w.with(secretEnv...), tokenRequest(privateImage, strings.Repeat(stsWebToken, 1000), map[string]string{"eks.amazonaws.com/ecr-role-arn": stsRoleARN})
		}},
		{"profile: partial keys", func(w *awsWorld) (map[string]string, string) {
			return w.with("AWS_SHARED_CREDENTIALS_FILE", w.file("credentials", "[default]\naws_secret_access_key = "+testSecretKey+"\n")), req
		}},
		{"profile: AssumeRole refused", func(w *awsWorld) (map[string]string, string) {
			w.sts.errStatus, w.sts.errCode, w.sts.errMessage = 403, "AccessDenied", "not allowed"
			w.sts.keys[testAccessKey] = credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: testSessionToken}
			config := fmt.Sprintf("[default]\nrole_arn = %s\nsource_profile = base\n[profile base]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n", stsRoleARN, testAccessKey, testSecretKey, testSessionToken)
			return w.with("AWS_CONFIG_FILE", w.file("config", config)), req
		}},
		{"profile: credential_process prints secrets and fails", func(w *awsWorld) (map[string]string, string) {
			script := w.file("creds.sh", "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\""+testSecretKey+"\"'\nexit 1\n")
			return w.with("AWS_CONFIG_FILE", w.file("config", "[default]\ncredential_process = "+script+"\n")), req
		}},
		{"profile: credential_process prints bad JSON", func(w *awsWorld) (map[string]string, string) {
			script := w.file("creds.sh", "#!/bin/sh\necho '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\""+testSecretKey+"\"}'\n")
			return w.with("AWS_CONFIG_FILE", w.file("config", "[default]\ncredential_process = "+script+"\n")), req
		}},
		{"container: endpoint refuses", func(w *awsWorld) (map[string]string, string) {
			agent := newFakeContainerEndpoint(t, func(_ int, rw http.ResponseWriter, _ *http.Request) {
				rw.WriteHeader(401)
				io.WriteString(rw, `{"code":"AccessDenied","message":"bad token"}`)
			})
			return w.with("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.URL+"/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN", testContainerToken), req
		}},
		{"container: token with a newline", func(w *awsWorld) (map[string]string, string) {
			return w.with("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN", testContainerToken+"\nX: y"), req
		}},
		{"container: unreachable, a token in the URL's query", func(w *awsWorld) (map[string]string, string) {
			return w.with("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/v1/credentials?token="+testContainerToken, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "x"), req
		}},
		{"container: garbage with 200", func(w *awsWorld) (map[string]string, string) {
			agent := newFakeContainerEndpoint(t, func(_ int, rw http.ResponseWriter, _ *http.Request) {
				io.WriteString(rw, `{"AccessKeyId":"A","SecretAccessKey":"`+testSecretKey+`",`)
			})
			return w.with("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.URL+"/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN", testContainerToken), req
		}},
		{"IMDS: Code is not Success", func(w *awsWorld) (map[string]string, string) {
			w.imds.routes[imdsRolesPath+fakeRole] = []fakeReply{{200, `{"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"A","SecretAccessKey":"` + fakeSecretKey + `","Token":"` + fakeSessionToken + `"}`}}
			return w.env, req
		}},
		{"IMDS: IMDSv1 only", func(w *awsWorld) (map[string]string, string) {
			w.imds.tokenStatus = 403
			return w.env, req
		}},
		{"IMDS: role credentials truncated", func(w *awsWorld) (map[string]string, string) {
			w.imds.routes[imdsRolesPath+fakeRole] = []fakeReply{{200, `{"Code":"Success","SecretAccessKey":"` + fakeSecretKey}}
			return w.env, req
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newAWSWorld(t, testCreds)
			w.ecr.sessionToken = testSessionToken
			env, stdin := tt.setup(w)
			r := runBinary(t, env, stdin)
			if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.stderr, "ecr-credential-provider: ") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want a failure", r.code, r.stdout, r.stderr)
			}
			for _, s := range allSentinels {
				if strings.Contains(r.stdout+r.stderr, s) || strings.Contains(strings.ToLower(r.stderr), strings.ToLower(s)) {
					t.Errorf("a secret (%.14s…) was printed: %q", s, r.stderr)
				}
			}
			t.Logf("stderr: %s", strings.TrimSpace(r.stderr))
		})
	}
}

// kubeletEnv is the whole environment of a run: env, PATH, and a HOME of
// its own so that no real AWS files are read. Tests never reach for the
// real metadata address: IMDS is off unless env points it somewhere.
func kubeletEnv(tb testing.TB, env map[string]string) []string {
	out := []string{"HOME=" + tb.TempDir(), "PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	if env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == "" && env["AWS_EC2_METADATA_DISABLED"] == "" {
		out = append(out, "AWS_EC2_METADATA_DISABLED=true")
	}
	return out
}

// TestEndToEndClockSkew: AWS's clock 20 minutes ahead of the node's (the
// same as the node's 20 minutes behind). The run re-signs with AWS's time,
// succeeds, and warns once on stderr.
func TestEndToEndClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{20 * time.Minute, -20 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			fake := newFakeECR(t)
			fake.now = time.Now().Add(skew)
			url, ca := tlsFake(t, fake)
			r := runBinary(t, staticEnv(url, ca), request("v1", privateImage))
			if r.code != 0 || len(fake.Calls()) != 1 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			decodeStrictly(t, r.stdout)
			if want := fmt.Sprintf("warning: this node's clock is about %v off AWS's", skew); strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("stderr %q, want one warning %q", r.stderr, want)
			}
		})
	}
}

// TestRun drives run in-process, as the end-to-end tests drive the
// binary: its streams, environment and clock are parameters.
func TestRun(t *testing.T) {
	fake := newFakeECR(t)
	url, ca := tlsFake(t, fake)
	tests := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		code  int
		want  string // in stdout when code is 0, else in stderr
	}{
		{"success", staticEnv(url, ca), request("v1beta1", privateImage), []string{"get-credentials"}, 0, `"password":"` + testPassword + `"`},
		{"no credentials", map[string]string{"AWS_ENDPOINT_URL_ECR": url}, request("v1", privateImage), nil, 1, "no AWS credentials found"},
		{"bad AWS_MAX_ATTEMPTS", map[string]string{"AWS_MAX_ATTEMPTS": "three"}, request("v1", privateImage), nil, 1, `AWS_MAX_ATTEMPTS is "three"`},
		{"bad endpoint override", map[string]string{"AWS_ENDPOINT_URL_ECR": "ftp://x"}, request("v1", privateImage), nil, 1, "AWS_ENDPOINT_URL_ECR"},
		{"bad CA bundle", map[string]string{"AWS_CA_BUNDLE": "/nonexistent", "AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey}, request("v1", privateImage), nil, 1, "AWS_CA_BUNDLE"},
		{"version", nil, "", []string{"--version"}, 0, "ecr-credential-provider "},
		{"usage error", nil, "", []string{"--region=x"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runInProcess(t, tt.env, tt.stdin, tt.args...)
			out := r.stdout
			if tt.code != 0 {
				out = r.stderr
			}
			if r.code != tt.code || !strings.Contains(out, tt.want) || (tt.code != 0 && r.stdout != "") {
				t.Errorf("run = %d, stdout %q, stderr %q; want %d and %q", r.code, r.stdout, r.stderr, tt.code, tt.want)
			}
		})
	}
}

// TestEndToEndWatchdog: a read that never ends (here a stdin that kubelet
// never closes; a FIFO as a shared file behaves alike) cannot outlive the
// run's deadline: the watchdog ends the process with exit 1 and one line.
func TestEndToEndWatchdog(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(builtBinary(t))
	cmd.Env = kubeletEnv(t, nil)
	stdin, err := cmd.StdinPipe() // held open, never written to
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || elapsed > runTimeout+5*time.Second {
		t.Fatalf("run = %v after %v, want exit 1 at the %v deadline", err, elapsed, runTimeout)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "stopped at the run's 20s deadline") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("stdout %q, stderr %q; want nothing and one line about the deadline", stdout.String(), stderr.String())
	}
}

// TestLoadConfigProfileSettings: the active profile's settings, with the
// environment winning where it is set, as aws-sdk-go-v2's config sources
// are ordered (LoadOptions, environment, shared config).
func TestLoadConfigProfileSettings(t *testing.T) {
	dir := t.TempDir()
	configFile := filepath.Join(dir, "config")
	os.WriteFile(configFile, []byte(`[profile node]
region = eu-west-3
use_fips_endpoint = TRUE
use_dualstack_endpoint = yes
ca_bundle = /etc/ca.pem
max_attempts = 0x10
ec2_metadata_service_endpoint = http://imds.example:8080
endpoint_url = https://general.example
services = vpce
[services vpce]
ecr =
  endpoint_url = https://ecr.vpce.example
ecr_public =
  endpoint_url = https://public.vpce.example
sts =
  endpoint_url = https://sts.vpce.example
[profile ignoring]
endpoint_url = https://general.example
ignore_configured_endpoint_urls = true
`), 0o600)
	base := map[string]string{"AWS_CONFIG_FILE": configFile, "AWS_PROFILE": "node"}
	with := func(kv ...string) func(string) string {
		env := maps.Clone(base)
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return func(k string) string { return env[k] }
	}
	cfg, err := loadConfig(with())
	want := endpointConfig{useFIPS: true, ecr: "https://ecr.vpce.example", ecrPublic: "https://public.vpce.example", sts: "https://sts.vpce.example", all: "https://general.example"}
	if err != nil || cfg.region != "eu-west-3" || cfg.caBundle != "/etc/ca.pem" || cfg.maxAttempts != 16 || cfg.endpoints != want || cfg.chain.imds.endpoint != "http://imds.example:8080" {
		t.Fatalf("loadConfig from the profile = %+v, %v; want region, CA bundle, 16 attempts, %+v and the IMDS endpoint", cfg, err, want)
	}
	// The environment wins; AWS_ENDPOINT_URL hides the services section.
	cfg, err = loadConfig(with("AWS_REGION", "us-west-2", "AWS_USE_FIPS_ENDPOINT", "false", "AWS_CA_BUNDLE", "/env.pem", "AWS_MAX_ATTEMPTS", "5",
		"AWS_ENDPOINT_URL", "https://env.example", "AWS_ENDPOINT_URL_STS", "https://sts.env.example", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1"))
	want = endpointConfig{sts: "https://sts.env.example", all: "https://env.example"}
	if err != nil || cfg.region != "us-west-2" || cfg.caBundle != "/env.pem" || cfg.maxAttempts != 5 || cfg.endpoints != want || cfg.chain.imds.endpoint != "http://127.0.0.1:1" {
		t.Fatalf("loadConfig with the environment = %+v, %v; want the environment's values and %+v", cfg, err, want)
	}
	// Ignoring configured endpoints turns every override off.
	for _, getenv := range []func(string) string{with("AWS_PROFILE", "ignoring"), with("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", "AWS_ENDPOINT_URL_ECR", "https://x.example")} {
		if cfg, err := loadConfig(getenv); err != nil || cfg.endpoints.ecr != "" || cfg.endpoints.all != "" || cfg.endpoints.sts != "" {
			t.Errorf("loadConfig with configured endpoints ignored = %+v, %v, want no override", cfg.endpoints, err)
		}
	}
	for _, bad := range [][]string{{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "yes"}, {"AWS_USE_DUALSTACK_ENDPOINT", "1"}, {"AWS_MAX_ATTEMPTS", "0x10"}} {
		if _, err := loadConfig(with(bad...)); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("loadConfig(%v) = %v, want an error naming it", bad, err)
		}
	}
}

// TestEndToEndTLSFollowsFIPSMode runs the binary against an ECR that
// speaks only TLS 1.2 with ChaCha20-Poly1305, which FIPS 140-3 does not
// approve. A standard build pulls; a binary in FIPS 140-3 mode (a -fips
// release build, or `make fips-test`'s fips140=only run) must refuse the
// handshake before sending anything (SPEC §10).
func TestEndToEndTLSFollowsFIPSMode(t *testing.T) {
	fake := newFakeECR(t)
	srv := httptest.NewUnstartedServer(fake)
	srv.TLS = &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, ca := tlsFake(t, srv.Config.Handler) // the same certificate as srv
	fips := !strings.HasSuffix(runBinary(t, nil, "", "--version").stdout, "fips140=off)\n")
	r := runBinary(t, staticEnv(srv.URL, ca), request("v1", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"))
	switch {
	case fips:
		assertFailed(t, r, "handshake failure")
		if len(fake.Calls()) != 0 {
			t.Errorf("FIPS 140-3 mode: a request reached a server that negotiates only non-approved TLS")
		}
	case r.code != 0:
		t.Errorf("exit %d, stderr %q; want success with ChaCha20-Poly1305 outside FIPS 140-3 mode", r.code, r.stderr)
	}
}
