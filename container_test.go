package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testContainerToken is the Authorization token the fake endpoint wants;
// like the keys, it must never be printed.
const testContainerToken = "SENTINEL-CONTAINER-TOKEN-do-not-print"

// fakeContainerEndpoint is an ECS or EKS agent: it checks every request
// (method, path, Authorization, Accept) and lets answer decide the reply
// to request n (1-based).
type fakeContainerEndpoint struct {
	*httptest.Server
	n atomic.Int32
}

func newFakeContainerEndpoint(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *fakeContainerEndpoint {
	f := &fakeContainerEndpoint{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.n.Add(1))
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/v1/credentials":
			t.Errorf("fake container endpoint: %s %s, want GET /v1/credentials", r.Method, r.URL.Path)
		case r.Header.Get("Authorization") != testContainerToken:
			t.Errorf("fake container endpoint: wrong Authorization header (%d bytes)", len(r.Header.Get("Authorization")))
		case r.Header.Get("Accept") != "application/json":
			t.Errorf("fake container endpoint: Accept %q", r.Header.Get("Accept"))
		}
		answer(n, w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeContainerEndpoint) config() containerConfig {
	return containerConfig{fullURI: f.URL + "/v1/credentials", authToken: testContainerToken}
}

func TestContainerURL(t *testing.T) {
	for _, tt := range []struct {
		cfg     containerConfig
		want    string // "" when an error is expected
		wantErr string
	}{
		{containerConfig{relativeURI: "/v2/credentials/3f1c-uuid"}, "http://169.254.170.2/v2/credentials/3f1c-uuid", ""},
		{containerConfig{relativeURI: "/v2/credentials?id=1"}, "http://169.254.170.2/v2/credentials?id=1", ""},
		{containerConfig{relativeURI: "/@evil.com/x"}, "http://169.254.170.2/@evil.com/x", ""},
		{containerConfig{relativeURI: "/creds", fullURI: "https://example.com/creds"}, "http://169.254.170.2/creds", ""},
		{containerConfig{relativeURI: "@evil.com/"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: ".evil.com/"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: ":8080/creds"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "//evil.com/creds"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/\\evil.com"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds x"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds\n"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds\x00"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds\t"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/créds"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds#frag"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds%zz"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds", fullURI: "http://evil.com/"}, "http://169.254.170.2/creds", ""},
		{containerConfig{relativeURI: "creds", fullURI: "http://127.0.0.1/"}, "", "RELATIVE_URI"},

		{containerConfig{fullURI: "http://127.0.0.1:51678/creds"}, "http://127.0.0.1:51678/creds", ""},
		{containerConfig{fullURI: "http://127.1.2.3/creds"}, "http://127.1.2.3/creds", ""},
		{containerConfig{fullURI: "http://[::1]:8080/creds"}, "http://[::1]:8080/creds", ""},
		{containerConfig{fullURI: "http://[::ffff:127.0.0.1]/creds"}, "http://[::ffff:127.0.0.1]/creds", ""},
		{containerConfig{fullURI: "http://localhost/creds"}, "http://localhost/creds", ""},
		{containerConfig{fullURI: "http://169.254.170.2/v2/credentials"}, "http://169.254.170.2/v2/credentials", ""},
		{containerConfig{fullURI: "http://169.254.170.23/v1/credentials"}, "http://169.254.170.23/v1/credentials", ""},
		{containerConfig{fullURI: "http://[fd00:ec2::23]/v1/credentials"}, "http://[fd00:ec2::23]/v1/credentials", ""},
		{containerConfig{fullURI: "HTTP://127.0.0.1/creds"}, "HTTP://127.0.0.1/creds", ""},
		{containerConfig{fullURI: "https://creds.example.com/x"}, "https://creds.example.com/x", ""},
		{containerConfig{fullURI: "https://10.0.0.1/creds"}, "https://10.0.0.1/creds", ""},
		{containerConfig{fullURI: "http://10.0.0.1/creds"}, "", "plain http"},
		{containerConfig{fullURI: "http://evil.com/creds"}, "", "plain http"},
		{containerConfig{fullURI: "http://169.254.169.254/latest"}, "", "plain http"},
		{containerConfig{fullURI: "http://169.254.170.3/"}, "", "plain http"},
		{containerConfig{fullURI: "http://127.0.0.1.evil.com/"}, "", "plain http"},
		{containerConfig{fullURI: "http://localhost.evil.com/"}, "", "plain http"},
		{containerConfig{fullURI: "http://127.1/"}, "", "plain http"},
		{containerConfig{fullURI: "http://2130706433/"}, "", "plain http"},
		{containerConfig{fullURI: "http://[fe80::1%25lo]/"}, "", "plain http"},
		{containerConfig{fullURI: "http://[::1%25lo]/"}, "", "plain http"},
		{containerConfig{fullURI: "http://user:pw@127.0.0.1/"}, "", "user information"},
		{containerConfig{fullURI: "https://user@example.com/"}, "", "user information"},
		{containerConfig{fullURI: "ftp://127.0.0.1/"}, "", "http:// or https://"},
		{containerConfig{fullURI: "127.0.0.1/creds"}, "", "http:// or https://"},
		{containerConfig{fullURI: "http:/creds"}, "", "http:// or https://"},
		{containerConfig{fullURI: "http:127.0.0.1"}, "", "http:// or https://"},
		{containerConfig{fullURI: "http://127.0.0.1/a b"}, "", "not allowed"},
		{containerConfig{fullURI: "http://127.0.0.1\\@evil.com/"}, "", "not allowed"},
		{containerConfig{fullURI: "http://127.0.0.1#@evil.com/"}, "", "not allowed"},
	} {
		t.Run(tt.cfg.relativeURI+"|"+tt.cfg.fullURI, func(t *testing.T) {
			got, err := containerURL(tt.cfg)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Errorf("containerURL(%+v) = %q, %v, want %q", tt.cfg, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("containerURL(%+v) = %q, %v, want an error containing %q", tt.cfg, got, err, tt.wantErr)
			}
			checkErrorText(t, err)
			// At most the host: a path or query may be a capability.
			if v := tt.cfg.relativeURI + tt.cfg.fullURI; strings.Contains(err.Error(), "pw") || len(v) > 4 && strings.Contains(err.Error(), v) {
				t.Errorf("containerURL(%+v) error %q quotes the URI", tt.cfg, err)
			}
		})
	}
}

func TestCheckPlainHTTPDial(t *testing.T) {
	for _, tt := range []struct {
		address string
		ok      bool
	}{
		{"127.0.0.1:80", true},
		{"127.255.0.9:80", true},
		{"[::1]:80", true},
		{"169.254.170.2:80", true},
		{"169.254.170.23:80", true},
		{"[fd00:ec2::23]:80", true},
		{"[::ffff:169.254.170.2]:80", true},
		{"10.0.0.1:80", false},
		{"169.254.169.254:80", false},
		{"[fd00:ec2::254]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"localhost:80", false},
		{"garbage", false},
	} {
		err := checkPlainHTTPDial("tcp", tt.address, nil)
		if (err == nil) != tt.ok {
			t.Errorf("checkPlainHTTPDial(%q) = %v, want ok %v", tt.address, err, tt.ok)
		}
	}
}

func TestPlainHTTPAddrAllowed(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "127.1.2.3", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "fd00:0ec2:0:0:0:0:0:0023"} {
		if !plainHTTPAddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("plainHTTPAddrAllowed(%s) = false, want true", s)
		}
	}
	for _, s := range []string{"10.0.0.1", "0.0.0.0", "::", "169.254.169.254", "fd00:ec2::254", "fe80::1", "128.0.0.1"} {
		if plainHTTPAddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("plainHTTPAddrAllowed(%s) = true, want false", s)
		}
	}
}

func TestContainerAuthorization(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good", testContainerToken)
	for _, tt := range []struct {
		name    string
		cfg     containerConfig
		want    string
		wantErr string
	}{
		{"none", containerConfig{}, "", ""},
		{"env", containerConfig{authToken: testContainerToken}, testContainerToken, ""},
		{"file", containerConfig{authTokenFile: good}, testContainerToken, ""},
		{"file wins", containerConfig{authToken: "other", authTokenFile: good}, testContainerToken, ""},
		{"env with LF", containerConfig{authToken: testContainerToken + "\nX-Evil: 1"}, "", "CR or LF"},
		{"env with CR", containerConfig{authToken: testContainerToken + "\r"}, "", "CR or LF"},
		{"env with NUL", containerConfig{authToken: testContainerToken + "\x00"}, "", "control character"},
		{"file with trailing newline", containerConfig{authTokenFile: file("nl", testContainerToken+"\n")}, "", "CR or LF"},
		{"file with CRLF", containerConfig{authTokenFile: file("crlf", testContainerToken+"\r\n")}, "", "CR or LF"},
		{"file missing", containerConfig{authToken: "fallback", authTokenFile: filepath.Join(dir, "missing")}, "", "no such file"},
		{"file empty", containerConfig{authTokenFile: file("empty", "")}, "", "is empty"},
		{"file too big", containerConfig{authTokenFile: file("big", strings.Repeat("a", maxContainerTokenBytes+1))}, "", "larger than"},
		{"file at the bound", containerConfig{authTokenFile: file("max", strings.Repeat("a", maxContainerTokenBytes))}, strings.Repeat("a", maxContainerTokenBytes), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := containerAuthorization(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("containerAuthorization(%s) = %d bytes, %v, want %d bytes", tt.name, len(got), err, len(tt.want))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("containerAuthorization(%s) = %d bytes, %v, want an error containing %q", tt.name, len(got), err, tt.wantErr)
			}
			assertNoSentinel(t, err)
			checkErrorText(t, err)
		})
	}
}

func TestContainerSourceNotConfigured(t *testing.T) {
	_, err := testChain(chainConfig{container: containerConfig{authToken: testContainerToken}}).containerSource().fetch(context.Background())
	var nc *notConfigured
	if !errors.As(err, &nc) {
		t.Fatalf("containerSource with no URI: %v, want notConfigured", err)
	}
	_, err = testChain(chainConfig{container: containerConfig{fullURI: "http://evil.com/"}}).containerSource().fetch(context.Background())
	if err == nil || errors.As(err, &nc) {
		t.Fatalf("containerSource with a refused URI: %v, want a real error", err)
	}
}

func TestLoadContainerConfig(t *testing.T) {
	env := map[string]string{
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/rel",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "http://127.0.0.1/full",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":      "tok",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/tok/file",
	}
	got := loadContainerConfig(func(k string) string { return env[k] })
	want := containerConfig{relativeURI: "/rel", fullURI: "http://127.0.0.1/full", authToken: "tok", authTokenFile: "/tok/file"}
	if got != want {
		t.Errorf("loadContainerConfig = %+v, want %+v", got, want)
	}
}

func TestContainerCredentials(t *testing.T) {
	later := fixedNow().Add(time.Hour).Format(time.RFC3339)
	ok := func(w http.ResponseWriter) { fmt.Fprint(w, credentialsJSON(later)) }
	for _, tt := range []struct {
		name     string
		answer   func(n int, w http.ResponseWriter)
		wantErr  string // "" for success
		attempts int
	}{
		{"success", func(n int, w http.ResponseWriter) { ok(w) }, "", 1},
		{"success without expiry", func(n int, w http.ResponseWriter) {
			fmt.Fprintf(w, `{"AccessKeyId":%q,"SecretAccessKey":%q,"Token":%q}`, testAccessKey, testSecretKey, testSessionToken)
		}, "", 1},
		{"500 then success", func(n int, w http.ResponseWriter) {
			if n == 1 {
				w.WriteHeader(500)
				return
			}
			ok(w)
		}, "", 2},
		{"503 every time", func(n int, w http.ResponseWriter) {
			w.WriteHeader(503)
			fmt.Fprint(w, `{"code":"ServiceUnavailable","message":"agent\nrestarting"}`)
		}, "HTTP 503 ServiceUnavailable: agent restarting", 3},
		{"401 with code and message", func(n int, w http.ResponseWriter) {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":"AccessDenied","message":"bad token"}`)
		}, "HTTP 401 AccessDenied: bad token", 1},
		{"400 garbage body", func(n int, w http.ResponseWriter) {
			w.WriteHeader(400)
			fmt.Fprint(w, "<html>"+testSecretKey)
		}, "HTTP 400", 1},
		{"redirect", func(n int, w http.ResponseWriter) {
			w.Header().Set("Location", "http://evil.example/steal")
			w.WriteHeader(302)
		}, "redirect refused", 1},
		{"garbage 200", func(n int, w http.ResponseWriter) { fmt.Fprint(w, "x"+credentialsJSON(later)) }, "not valid JSON", 1},
		{"truncated 200", func(n int, w http.ResponseWriter) { fmt.Fprint(w, credentialsJSON(later)[:60]) }, "not valid JSON", 1},
		{"wrong type", func(n int, w http.ResponseWriter) {
			fmt.Fprintf(w, `{"AccessKeyId":%q,"SecretAccessKey":["%s"]}`, testAccessKey, testSecretKey)
		}, "field SecretAccessKey", 1},
		{"huge 200", func(n int, w http.ResponseWriter) {
			fmt.Fprint(w, `{"AccessKeyId":"`+strings.Repeat(testSecretKey, 3000)+`"}`)
		}, "larger than 65536 bytes", 1},
		{"no secret key", func(n int, w http.ResponseWriter) { fmt.Fprintf(w, `{"AccessKeyId":%q}`, testAccessKey) }, "no SecretAccessKey", 1},
		{"no access key", func(n int, w http.ResponseWriter) { fmt.Fprintf(w, `{"SecretAccessKey":%q}`, testSecretKey) }, "no AccessKeyId", 1},
		{"expired", func(n int, w http.ResponseWriter) {
			fmt.Fprint(w, credentialsJSON(fixedNow().Add(-time.Minute).Format(time.RFC3339)))
		}, "expired at 2025-06-01T11:59:00Z", 1},
		{"bad expiry", func(n int, w http.ResponseWriter) { fmt.Fprint(w, credentialsJSON("tomorrow")) }, `Expiration "tomorrow"`, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) { tt.answer(n, w) })
			creds, err := testChain(chainConfig{container: f.config()}).containerSource().fetch(context.Background())
			if got := int(f.n.Load()); got != tt.attempts {
				t.Errorf("%d requests, want %d", got, tt.attempts)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("containerSource(%s) = %v, want an error containing %q", tt.name, err, tt.wantErr)
				}
				assertNoSentinel(t, err)
				checkErrorText(t, err)
				return
			}
			if err != nil {
				t.Fatalf("containerSource(%s): %v", tt.name, err)
			}
			if creds.AccessKeyID != testAccessKey || creds.SecretAccessKey != testSecretKey || creds.SessionToken != testSessionToken {
				t.Errorf("containerSource(%s) = %+v, want the sentinels", tt.name, creds)
			}
		})
	}
}

func TestContainerCredentialsTokenFile(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, credentialsJSON(fixedNow().Add(time.Hour).Format(time.RFC3339)))
	})
	tokenFile := filepath.Join(t.TempDir(), "eks-pod-identity-token")
	if err := os.WriteFile(tokenFile, []byte(testContainerToken), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := containerConfig{fullURI: f.URL + "/v1/credentials", authToken: "stale-token", authTokenFile: tokenFile}
	creds, err := containerCredentials(context.Background(), cfg, fixedNow)
	if err != nil || creds.SecretAccessKey != testSecretKey {
		t.Fatalf("containerCredentials with a token file = %v", err)
	}
	if want := fixedNow().Add(time.Hour); !creds.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", creds.Expires, want)
	}
}

func TestContainerCredentialsLocalhost(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, credentialsJSON(fixedNow().Add(time.Hour).Format(time.RFC3339)))
	})
	cfg := f.config()
	cfg.fullURI = strings.Replace(cfg.fullURI, "127.0.0.1", "localhost", 1)
	if _, err := containerCredentials(context.Background(), cfg, fixedNow); err != nil {
		t.Fatalf("containerCredentials(%q): %v", cfg.fullURI, err)
	}
}

func TestContainerCredentialsHang(t *testing.T) {
	release := make(chan struct{})
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	start := time.Now()
	_, err := containerCredentials(context.Background(), f.config(), fixedNow)
	elapsed := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "attempt 1") {
		t.Fatalf("containerCredentials against a hanging endpoint = %v, want a timeout on the first attempt", err)
	}
	if elapsed > 10*time.Second || elapsed < containerAttemptTimeout {
		t.Errorf("a hanging endpoint failed after %v, want about %v", elapsed, containerAttemptTimeout)
	}
	assertNoSentinel(t, err)
}

func TestContainerCredentialsContextDeadline(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := containerCredentials(ctx, f.config(), fixedNow)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("containerCredentials under a 50ms deadline = %v after %v, want a prompt error", err, time.Since(start))
	}
}

func TestContainerCredentialsConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := containerCredentials(context.Background(), containerConfig{fullURI: url + "/v1/credentials"}, fixedNow)
	if err == nil || !strings.Contains(err.Error(), "attempt 3") {
		t.Fatalf("containerCredentials against a closed port = %v, want a failure after 3 attempts", err)
	}
}

func TestParseContainerCredentials(t *testing.T) {
	for _, tt := range []struct {
		body    string
		want    credentials
		wantErr string
	}{
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"T","Expiration":"2025-06-01T13:00:00Z"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T", Expires: fixedNow().Add(time.Hour)}, ""},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01T14:00:00.123+02:00"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK", Expires: fixedNow().Add(123 * time.Millisecond)}, ""},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":null,"RoleArn":"arn:aws:iam::1:role/x"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}, ""},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01T12:00:00Z"}`, credentials{}, "expired"},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":""}`, credentials{}, "RFC 3339"},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":1748779200}`, credentials{}, "field Expiration"},
		{`{"AccessKeyId":"","SecretAccessKey":"SK"}`, credentials{}, "no AccessKeyId"},
		{`null`, credentials{}, "no AccessKeyId"},
		{`[]`, credentials{}, "not the expected JSON object"},
		{``, credentials{}, "not valid JSON"},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK"} {}`, credentials{}, "not valid JSON"},
	} {
		got, err := parseContainerCredentials([]byte(tt.body), fixedNow())
		if tt.wantErr == "" {
			if err != nil || !sameCredentials(got, tt.want) {
				t.Errorf("parseContainerCredentials(%q) = %+v, %v, want %+v", tt.body, got, err, tt.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseContainerCredentials(%q) = %+v, %v, want an error containing %q", tt.body, got, err, tt.wantErr)
		}
	}
}

func FuzzParseContainerCredentials(f *testing.F) {
	f.Add([]byte(credentialsJSON("2025-06-01T13:00:00Z")))
	f.Add([]byte(`{"AccessKeyId":"AK","SecretAccessKey":"SK"}`))
	f.Add([]byte(`{"code":"AccessDenied","message":"no"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseContainerCredentials(body, fixedNow())
		checkParsedCredentials(t, body, c, err)
	})
}

func TestContainerPlainHTTPDialGuard(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, credentialsJSON(fixedNow().Add(time.Hour).Format(time.RFC3339)))
	})
	// On Linux 0.0.0.0 reaches the local host, but it is not on the
	// allow-list: it stands for any address a DNS name could resolve to.
	endpoint := strings.Replace(f.URL, "127.0.0.1", "0.0.0.0", 1) + "/v1/credentials"
	if _, err := fetchContainerCredentials(context.Background(), newContainerHTTPClient(false), endpoint, testContainerToken); err != nil {
		t.Fatalf("without the guard, GET %s: %v", endpoint, err)
	}
	_, err := fetchContainerCredentials(context.Background(), newContainerHTTPClient(true), endpoint, testContainerToken)
	if err == nil || !strings.Contains(err.Error(), "not allowed") || !strings.Contains(err.Error(), "attempt 1") {
		t.Fatalf("with the guard, GET %s = %v, want the dial refused at once", endpoint, err)
	}
	if got := f.n.Load(); got != 1 {
		t.Errorf("%d requests reached the endpoint, want 1 (the unguarded one)", got)
	}
}
