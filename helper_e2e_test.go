package main

// End-to-end tests of the credential helper and get-login-password: the
// built binary, run under both of its names as a credential-helper client
// runs it, against the fakes.

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// helperLink is a symlink named docker-credential-ecr-login to the binary
// under test, as an operator installs it on PATH.
func helperLink(t *testing.T) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), helperName)
	if err := os.Symlink(builtBinary(t), link); err != nil {
		t.Fatal(err)
	}
	return link
}

// helperGetter runs the helper's get one way: under its own name, or as
// ecr-credential-provider docker-credential-helper.
type helperGetter struct {
	name string
	run  func(t *testing.T, env map[string]string, stdin string) result
}

func helperGetters(t *testing.T) []helperGetter {
	link := helperLink(t)
	return []helperGetter{
		{helperName, func(t *testing.T, env map[string]string, stdin string) result {
			return runProgram(t, link, env, stdin, "get")
		}},
		{"docker-credential-helper", func(t *testing.T, env map[string]string, stdin string) result {
			return runProgram(t, builtBinary(t), env, stdin, "docker-credential-helper", "get")
		}},
	}
}

// proxyEnv is a node with static keys whose HTTPS goes through proxy.
func proxyEnv(proxy *mitmProxy) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey,
		"HTTPS_PROXY": proxy.URL, "AWS_CA_BUNDLE": proxy.CABundle,
	}
}

// TestHelperEndToEnd: get for each kind of registry and each server-URL
// form, under both names. The proxy shows the endpoint chosen, as on the
// kubelet path; the answer echoes the URL with ECR's user and password.
func TestHelperEndToEnd(t *testing.T) {
	tests := []struct {
		serverURL, connect, region, target string
	}{
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com", "api.ecr.us-west-2.amazonaws.com:443", "us-west-2", targetPrivate},
		{"https://123456789012.dkr.ecr.us-west-2.amazonaws.com", "api.ecr.us-west-2.amazonaws.com:443", "us-west-2", targetPrivate},
		{"https://123456789012.dkr.ecr.us-west-2.amazonaws.com/v2/", "api.ecr.us-west-2.amazonaws.com:443", "us-west-2", targetPrivate},
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app", "api.ecr.us-west-2.amazonaws.com:443", "us-west-2", targetPrivate},
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com:443", "api.ecr.us-west-2.amazonaws.com:443", "us-west-2", targetPrivate},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "api.ecr-fips.us-gov-west-1.amazonaws.com:443", "us-gov-west-1", targetPrivate},
		{"123456789012.dkr-ecr.us-east-2.on.aws", "ecr.us-east-2.api.aws:443", "us-east-2", targetPrivate},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "api.ecr.cn-north-1.amazonaws.com.cn:443", "cn-north-1", targetPrivate},
		{"public.ecr.aws", "api.ecr-public.us-east-1.amazonaws.com:443", "us-east-1", targetPublic},
		{"https://ecr-public.aws.com/v2/", "ecr-public.us-east-1.api.aws:443", "us-east-1", targetPublic},
	}
	for _, g := range helperGetters(t) {
		for _, tt := range tests {
			t.Run(g.name+" "+tt.serverURL, func(t *testing.T) {
				fake := newFakeECR(t)
				proxy := newMITMProxy(t, fake)
				r := g.run(t, proxyEnv(proxy), tt.serverURL+"\n")
				want := `{"ServerURL":"` + tt.serverURL + `","Username":"AWS","Secret":"` + testPassword + `"}` + "\n"
				if r.code != 0 || r.stdout != want || r.stderr != "" {
					t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and %q", r.code, r.stdout, r.stderr, want)
				}
				calls := fake.Calls()
				if got := proxy.Connects(); !slices.Equal(got, []string{tt.connect}) {
					t.Errorf("CONNECT %v, want %q", got, tt.connect)
				}
				if len(calls) != 1 || calls[0].region != tt.region || calls[0].target != tt.target {
					t.Errorf("fake ECR saw %+v, want region %q target %q", calls, tt.region, tt.target)
				}
			})
		}
	}
}

// TestHelperEndToEndNotFound: hosts that are not ECR registries get the
// protocol's not-found answer, so the client pulls anonymously, and no
// request leaves the machine, even with AWS_REGION set.
func TestHelperEndToEndNotFound(t *testing.T) {
	proxy := newMITMProxy(t, newFakeECR(t))
	env := proxyEnv(proxy)
	env["AWS_REGION"] = "us-west-2"
	for _, g := range helperGetters(t) {
		for _, serverURL := range []string{
			"https://index.docker.io/v1/", "docker.io", "registry-1.docker.io", "ghcr.io/owner/app",
			"registry.example.com:5000", "http://123456789012.dkr.ecr.us-west-2.amazonaws.com",
			"123456789012.dkr.ecr.us-west-2.amazonaws.com.evil.com",
		} {
			t.Run(g.name+" "+serverURL, func(t *testing.T) {
				r := g.run(t, env, serverURL)
				if r.code != 1 || r.stdout != "credentials not found in native keychain\n" || r.stderr != "" {
					t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the not-found answer", r.code, r.stdout, r.stderr)
				}
			})
		}
	}
	if got := proxy.Connects(); len(got) != 0 {
		t.Errorf("not-found answers connected to %v; want nothing", got)
	}
}

// TestHelperActionsEndToEnd: the other actions, under the helper's name.
func TestHelperActionsEndToEnd(t *testing.T) {
	link := helperLink(t)
	tests := []struct {
		args   []string
		env    map[string]string
		stdin  string
		code   int
		stdout string
	}{
		{[]string{"list"}, nil, "unused", 0, "{}\n"},
		{[]string{"store"}, nil, `{"ServerURL":"public.ecr.aws","Username":"AWS","Secret":"x"}`, 1, "not implemented\n"},
		{[]string{"erase"}, nil, "public.ecr.aws", 1, "not implemented\n"},
		{[]string{"store"}, map[string]string{"AWS_ECR_IGNORE_CREDS_STORAGE": "true"}, `{"ServerURL":"public.ecr.aws","Username":"AWS","Secret":"x"}`, 0, ""},
		{[]string{"erase"}, map[string]string{"AWS_ECR_IGNORE_CREDS_STORAGE": "true"}, "public.ecr.aws", 0, ""},
		{[]string{"get"}, nil, "", 1, "no credentials server URL\n"},
		{[]string{"version"}, nil, "", 0, helperName + " (ecr-credential-provider) "},
		{nil, nil, "", 1, helperUsage},
	}
	for _, tt := range tests {
		r := runProgram(t, link, tt.env, tt.stdin, tt.args...)
		if r.code != tt.code || !strings.HasPrefix(r.stdout, tt.stdout) || tt.stdout == "" && r.stdout != "" || r.stderr != "" {
			t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want %d, %q", helperName, tt.args, r.code, r.stdout, r.stderr, tt.code, tt.stdout)
		}
	}
}

// TestGetLoginPasswordEndToEnd: the password alone and a newline, for an
// image or a host of each kind; a mirror with AWS_REGION as on the
// kubelet path.
func TestGetLoginPasswordEndToEnd(t *testing.T) {
	tests := []struct {
		arg, env, connect string
	}{
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com/eks/pause:3.10", "", "api.ecr.us-west-2.amazonaws.com:443"},
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com", "", "api.ecr.us-west-2.amazonaws.com:443"},
		{"https://123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", "", "api.ecr-fips.us-east-1.amazonaws.com:443"},
		{"public.ecr.aws/eks-distro/kubernetes/pause:3.10", "", "api.ecr-public.us-east-1.amazonaws.com:443"},
		{"registry.example.com/pause:3.10", "AWS_REGION=ap-south-1", "api.ecr.ap-south-1.amazonaws.com:443"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			proxy := newMITMProxy(t, newFakeECR(t))
			env := proxyEnv(proxy)
			if k, v, ok := strings.Cut(tt.env, "="); ok {
				env[k] = v
			}
			r := runProgram(t, builtBinary(t), env, "", "get-login-password", tt.arg)
			if r.code != 0 || r.stdout != testPassword+"\n" || r.stderr != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and the password alone", r.code, r.stdout, r.stderr)
			}
			if got := proxy.Connects(); !slices.Equal(got, []string{tt.connect}) {
				t.Errorf("CONNECT %v, want %q", got, tt.connect)
			}
		})
	}
	r := runProgram(t, builtBinary(t), nil, "", "get-login-password")
	if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, "usage: ecr-credential-provider get-login-password") {
		t.Errorf("no argument: exit %d, stdout %q, stderr %q; want 2 and the usage", r.code, r.stdout, r.stderr)
	}
}

// TestHelperSecretsNeverPrinted runs failure paths through both modes
// with sentinel secrets everywhere: each fails in its mode's form (the
// helper: one line on stdout; get-login-password: one line on stderr,
// nothing on stdout), exit 1, and no secret is printed anywhere.
func TestHelperSecretsNeverPrinted(t *testing.T) {
	answer := func(status int, body string) func(int, http.ResponseWriter, *http.Request) bool {
		return func(_ int, w http.ResponseWriter, _ *http.Request) bool {
			w.WriteHeader(status)
			io.WriteString(w, body)
			return true
		}
	}
	secretEnv := []string{"AWS_ACCESS_KEY_ID", testAccessKey, "AWS_SECRET_ACCESS_KEY", testSecretKey, "AWS_SESSION_TOKEN", testSessionToken}
	tests := []struct {
		name  string
		setup func(w *awsWorld) map[string]string
		want  string
	}{
		{"ECR access denied", func(w *awsWorld) map[string]string {
			w.ecr.misbehave = func(_ int, rw http.ResponseWriter, _ *http.Request) bool {
				awsJSONError(rw, 400, "AccessDeniedException", "denied")
				return true
			}
			return w.with(secretEnv...)
		}, "AccessDeniedException"},
		{"ECR 500 every time", func(w *awsWorld) map[string]string {
			w.ecr.misbehave = answer(500, `{"__type":"ServerException"}`)
			return w.with(append(secretEnv, "AWS_MAX_ATTEMPTS", "2")...)
		}, "HTTP 500"},
		{"ECR redirect", func(w *awsWorld) map[string]string {
			w.ecr.misbehave = func(_ int, rw http.ResponseWriter, _ *http.Request) bool {
				rw.Header().Set("Location", "https://evil.example/?"+testSecretKey)
				rw.WriteHeader(302)
				return true
			}
			return w.with(secretEnv...)
		}, "redirect"},
		{"ECR garbage with 200", func(w *awsWorld) map[string]string {
			w.ecr.misbehave = answer(200, "<html>"+testPassword+"</html>")
			return w.with(secretEnv...)
		}, "not a GetAuthorizationToken response"},
		{"ECR token without a colon", func(w *awsWorld) map[string]string {
			w.ecr.misbehave = answer(200, `{"authorizationData":[{"authorizationToken":"`+b64(testPassword)+`","expiresAt":1e10}]}`)
			return w.with(secretEnv...)
		}, "user:password"},
		{"ECR token already expired", func(w *awsWorld) map[string]string {
			w.ecr.expiresAt = "1000000000"
			return w.with(secretEnv...)
		}, "the token expired"},
		{"ECR hangs", func(w *awsWorld) map[string]string {
			w.ecr.misbehave = func(_ int, _ http.ResponseWriter, r *http.Request) bool {
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
				return true
			}
			return w.with(append(secretEnv, "AWS_MAX_ATTEMPTS", "1")...)
		}, "ECR GetAuthorizationToken"},
		{"only the secret key in the environment", func(w *awsWorld) map[string]string {
			return w.with("AWS_SECRET_ACCESS_KEY", testSecretKey)
		}, "AWS_ACCESS_KEY_ID is not"},
		{"web identity: STS refuses", func(w *awsWorld) map[string]string {
			w.sts.errStatus, w.sts.errCode, w.sts.errMessage = 400, "InvalidIdentityToken", "bad token"
			return w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.file("token", stsWebToken), "AWS_ROLE_ARN", stsRoleARN)
		}, "InvalidIdentityToken"},
		{"profile: credential_process prints secrets and fails", func(w *awsWorld) map[string]string {
			script := w.file("creds.sh", "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\""+testSecretKey+"\"'\nexit 1\n")
			return w.with("AWS_CONFIG_FILE", w.file("config", "[default]\ncredential_process = "+script+"\n"))
		}, "credential_process"},
		{"IMDS: Code is not Success", func(w *awsWorld) map[string]string {
			w.imds.routes[imdsRolesPath+fakeRole] = []fakeReply{{200, `{"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"A","SecretAccessKey":"` + fakeSecretKey + `","Token":"` + fakeSessionToken + `"}`}}
			return w.env
		}, "AssumeRoleUnauthorizedAccess"},
	}
	link := helperLink(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newAWSWorld(t, testCreds)
			w.ecr.sessionToken = testSessionToken
			env := tt.setup(w)
			helper := runProgram(t, link, env, privateImage, "get")
			if line, ok := strings.CutSuffix(helper.stdout, "\n"); helper.code != 1 || !ok || strings.Contains(line, "\n") ||
				!strings.HasPrefix(line, "ecr-credential-provider: ") || !strings.Contains(line, tt.want) {
				t.Errorf("helper: exit %d, stdout %q; want 1 and one line holding %q", helper.code, helper.stdout, tt.want)
			}
			password := runProgram(t, builtBinary(t), env, "", "get-login-password", privateImage)
			assertFailed(t, password, tt.want)
			for _, r := range []result{helper, password} {
				for _, s := range allSentinels {
					if strings.Contains(r.stdout+r.stderr, s) || strings.Contains(strings.ToLower(r.stdout+r.stderr), strings.ToLower(s)) {
						t.Errorf("a secret (%.14s…) was printed: stdout %q stderr %q", s, r.stdout, r.stderr)
					}
				}
			}
		})
	}
}

// TestHelperBounded: an ECR that never answers, and attempts enough to
// outlast it: both modes end with exit 1 by the run's deadline.
func TestHelperBounded(t *testing.T) {
	fake := newFakeECR(t)
	fake.misbehave = func(_ int, _ http.ResponseWriter, r *http.Request) bool {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		// Never an answer, not even the empty 200 a returning handler sends
		// when its context ended for any reason but the client leaving.
		panic(http.ErrAbortHandler)
	}
	url, ca := tlsFake(t, fake)
	env := staticEnv(url, ca)
	env["AWS_MAX_ATTEMPTS"] = "100"
	link := helperLink(t)
	runs := map[string]func(t *testing.T) result{
		"helper": func(t *testing.T) result { return runProgram(t, link, env, privateImage, "get") },
		"get-login-password": func(t *testing.T) result {
			return runProgram(t, builtBinary(t), env, "", "get-login-password", privateImage)
		},
	}
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := run(t)
			if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "deadline") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the deadline", r.code, r.stdout, r.stderr)
			}
			if r.elapsed > runTimeout+5*time.Second {
				t.Errorf("run took %v, want under the %v deadline", r.elapsed, runTimeout)
			}
		})
	}
}
