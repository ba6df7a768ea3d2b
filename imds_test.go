package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Secrets the fake hands out; no error may ever contain one of them.
const (
	fakeSecretKey    = "fakeSecretKey/wJalrXUtnFEMI+K7MDENG"
	fakeSessionToken = "fakeSessionToken+IQoJb3JpZ2luX2VjE"
	fakeIMDSToken    = "fakeIMDSToken-AQAEAHhsz"
	fakeRole         = "node-role"
)

// fakeRoleDocument is a good role document as IMDS returns it.
var fakeRoleDocument = `{
  "Code" : "Success",
  "LastUpdated" : "2025-01-01T00:00:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAFAKEACCESSKEY",
  "SecretAccessKey" : "` + fakeSecretKey + `",
  "Token" : "` + fakeSessionToken + `",
  "Expiration" : "2025-01-01T06:00:00Z"
}`

// fakeReply is one answer of the fake on one path.
type fakeReply struct {
	status int
	body   string
}

// fakeIMDS is an IMDSv2 service: it issues tokens on PUT, refuses every GET
// without a live token, and records what it got.
type fakeIMDS struct {
	t            testing.TB
	tokenStatus  int                    // answer to the PUT; 0 means 200 and a token
	tokenUses    int                    // a token dies after this many GETs; 0 = never
	refuseTokens bool                   // every GET is answered 401
	routes       map[string][]fakeReply // per path; the last reply repeats

	mu           sync.Mutex
	issued       int
	uses         map[string]int
	puts, gets   int
	unauthorized int
	hits         map[string]int
}

// newFakeIMDS starts f and returns a client pointed at it.
func newFakeIMDS(t testing.TB, f *fakeIMDS) *imdsClient {
	t.Helper()
	f.t, f.uses, f.hits = t, map[string]int{}, map[string]int{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return newIMDSClient(imdsConfig{endpoint: srv.URL})
}

// ServeHTTP checks the request and answers it.
func (f *fakeIMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodPut && r.URL.Path == imdsTokenPath {
		f.serveToken(w, r)
		return
	}
	if r.Method != http.MethodGet {
		f.t.Errorf("fake IMDS: unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	f.gets++
	token := r.Header.Get(imdsTokenHeader)
	n, live := f.uses[token]
	if !live || f.refuseTokens || (f.tokenUses > 0 && n >= f.tokenUses) {
		f.unauthorized++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.uses[token]++
	f.serveRoute(w, r.URL.Path)
}

// serveToken answers the token PUT after checking its headers (SPEC §6).
func (f *fakeIMDS) serveToken(w http.ResponseWriter, r *http.Request) {
	f.puts++
	if got := r.Header.Get(imdsTokenTTLHeader); got != "21600" {
		f.t.Errorf("token PUT %s = %q, want %q", imdsTokenTTLHeader, got, "21600")
	}
	if got := r.Header.Get(imdsTokenHeader); got != "" {
		f.t.Errorf("token PUT carries %s", imdsTokenHeader)
	}
	if f.tokenStatus != 0 {
		w.WriteHeader(f.tokenStatus)
		return
	}
	f.issued++
	token := fmt.Sprintf("%s-%d", fakeIMDSToken, f.issued)
	f.uses[token] = 0
	fmt.Fprint(w, token)
}

// serveRoute answers a GET with the path's next reply, 404 for unknown paths.
func (f *fakeIMDS) serveRoute(w http.ResponseWriter, path string) {
	replies, ok := f.routes[path]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	i := min(f.hits[path], len(replies)-1)
	f.hits[path]++
	if replies[i].status == http.StatusFound {
		w.Header().Set("Location", "/elsewhere")
	}
	w.WriteHeader(replies[i].status)
	fmt.Fprint(w, replies[i].body)
}

// goodRoutes is a healthy instance with a role and a region.
func goodRoutes() map[string][]fakeReply {
	return map[string][]fakeReply{
		imdsRolesPath:            {{200, fakeRole + "\n"}},
		imdsRolesPath + fakeRole: {{200, fakeRoleDocument}},
		imdsRegionPath:           {{200, "eu-west-1"}},
	}
}

// withRoute returns goodRoutes with one path's replies replaced.
func withRoute(path string, replies ...fakeReply) map[string][]fakeReply {
	routes := goodRoutes()
	routes[path] = replies
	return routes
}

// checkNoSecret fails the test if err holds any secret the fake handed out.
func checkNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{fakeSecretKey, fakeSessionToken, fakeIMDSToken} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

func TestRoleCredentials(t *testing.T) {
	want := credentials{
		AccessKeyID:     "ASIAFAKEACCESSKEY",
		SecretAccessKey: fakeSecretKey,
		SessionToken:    fakeSessionToken,
		Expires:         time.Date(2025, 1, 1, 6, 0, 0, 0, time.UTC),
	}
	tests := []struct {
		name        string
		fake        *fakeIMDS
		unavailable bool   // want *imdsUnavailableError
		errWant     string // substring of the error; "" means success
		puts, gets  int
	}{
		{name: "success", fake: &fakeIMDS{routes: goodRoutes()}, puts: 1, gets: 2},
		{name: "token expires after one use", fake: &fakeIMDS{routes: goodRoutes(), tokenUses: 1}, puts: 2, gets: 3},
		{name: "IMDSv1 only, 403", fake: &fakeIMDS{tokenStatus: 403}, unavailable: true, errWant: "IMDSv1 is deliberately not used", puts: 1},
		{name: "IMDSv1 only, 404", fake: &fakeIMDS{tokenStatus: 404}, unavailable: true, errWant: "IMDSv1 is deliberately not used", puts: 1},
		{name: "IMDSv1 only, 405", fake: &fakeIMDS{tokenStatus: 405}, unavailable: true, errWant: "IMDSv1 is deliberately not used", puts: 1},
		{name: "token PUT 400", fake: &fakeIMDS{tokenStatus: 400}, errWant: "HTTP 400", puts: 1},
		{name: "token PUT 503 twice", fake: &fakeIMDS{tokenStatus: 503}, errWant: "HTTP 503", puts: 2},
		{name: "no role", fake: &fakeIMDS{routes: map[string][]fakeReply{}}, unavailable: true, errWant: "no IAM role", puts: 1, gets: 1},
		{name: "empty role list", fake: &fakeIMDS{routes: withRoute(imdsRolesPath, fakeReply{200, "\n"})}, unavailable: true, errWant: "no IAM role", puts: 1, gets: 1},
		{name: "role list 500 then fine", fake: &fakeIMDS{routes: withRoute(imdsRolesPath, fakeReply{500, ""}, fakeReply{200, fakeRole})}, puts: 1, gets: 3},
		{name: "role list 500 always", fake: &fakeIMDS{routes: withRoute(imdsRolesPath, fakeReply{500, ""})}, errWant: "HTTP 500", puts: 1, gets: 2},
		{name: "role list redirect", fake: &fakeIMDS{routes: withRoute(imdsRolesPath, fakeReply{302, ""})}, errWant: "HTTP 302", puts: 1, gets: 1},
		{name: "role name traversal", fake: &fakeIMDS{routes: withRoute(imdsRolesPath, fakeReply{200, "../../user-data"})}, errWant: "not a role name", puts: 1, gets: 1},
		{name: "role name dot dot", fake: &fakeIMDS{routes: withRoute(imdsRolesPath, fakeReply{200, ".."})}, errWant: "not a role name", puts: 1, gets: 1},
		{name: "role vanished", fake: &fakeIMDS{routes: withRoute(imdsRolesPath+fakeRole, fakeReply{404, ""})}, errWant: "HTTP 404", puts: 1, gets: 2},
		{name: "code failure", fake: &fakeIMDS{routes: withRoute(imdsRolesPath+fakeRole, fakeReply{200, strings.Replace(fakeRoleDocument, "Success", "Failure", 1)})}, errWant: `Code "Failure"`, puts: 1, gets: 2},
		{name: "garbage", fake: &fakeIMDS{routes: withRoute(imdsRolesPath+fakeRole, fakeReply{200, "<html>" + fakeSecretKey})}, errWant: "not a JSON object", puts: 1, gets: 2},
		{name: "truncated", fake: &fakeIMDS{routes: withRoute(imdsRolesPath+fakeRole, fakeReply{200, fakeRoleDocument[:len(fakeRoleDocument)/2]})}, errWant: "not a JSON object", puts: 1, gets: 2},
		{name: "huge body", fake: &fakeIMDS{routes: withRoute(imdsRolesPath+fakeRole, fakeReply{200, strings.Repeat(" ", 1<<20) + fakeRoleDocument})}, errWant: "larger than", puts: 1, gets: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newFakeIMDS(t, tt.fake)
			got, err := c.roleCredentials(context.Background())
			checkNoSecret(t, err)
			checkIMDSError(t, err, tt.errWant, tt.unavailable)
			if tt.errWant == "" && got != want {
				t.Errorf("roleCredentials() = %+v, want %+v", got, want)
			}
			if tt.fake.puts != tt.puts || tt.fake.gets != tt.gets {
				t.Errorf("fake got %d PUTs and %d GETs, want %d and %d", tt.fake.puts, tt.fake.gets, tt.puts, tt.gets)
			}
		})
	}
}

// checkIMDSError checks err against a wanted substring ("" for no error) and
// whether it must be the unavailable kind.
func checkIMDSError(t *testing.T, err error, want string, unavailable bool) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("error = %v, want none", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want one containing %q", err, want)
	}
	var ue *imdsUnavailableError
	if got := errors.As(err, &ue); got != unavailable {
		t.Errorf("error %q: unavailable = %v, want %v", err, got, unavailable)
	}
}

func TestRoleCredentialsNoGetWithoutToken(t *testing.T) {
	for _, status := range []int{403, 404, 405} {
		f := fakeIMDS{tokenStatus: status}
		c := newFakeIMDS(t, &f)
		if _, err := c.roleCredentials(context.Background()); err == nil {
			t.Fatalf("token PUT %d: roleCredentials() succeeded", status)
		}
		if _, err := c.region(context.Background()); err == nil {
			t.Fatalf("token PUT %d: region() succeeded", status)
		}
		if f.gets != 0 {
			t.Errorf("token PUT %d: %d GETs made, want none", status, f.gets)
		}
	}
}

func TestRoleCredentialsTokenReused(t *testing.T) {
	f := fakeIMDS{routes: goodRoutes()}
	c := newFakeIMDS(t, &f)
	if _, err := c.roleCredentials(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.region(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.puts != 1 || f.unauthorized != 0 {
		t.Errorf("fake got %d PUTs and %d unauthorized GETs, want 1 and 0", f.puts, f.unauthorized)
	}
}

func TestIMDSStaleToken(t *testing.T) {
	f := fakeIMDS{routes: goodRoutes()}
	c := newFakeIMDS(t, &f)
	c.token = "a token the fake never issued"
	if _, err := c.region(context.Background()); err != nil {
		t.Fatalf("region() with a stale token = %v, want a fresh token and success", err)
	}
	if f.puts != 1 || f.unauthorized != 1 {
		t.Errorf("fake got %d PUTs and %d unauthorized GETs, want 1 and 1", f.puts, f.unauthorized)
	}
}

func TestIMDSTokenAlwaysRefused(t *testing.T) {
	f := fakeIMDS{routes: goodRoutes(), refuseTokens: true}
	c := newFakeIMDS(t, &f)
	_, err := c.region(context.Background())
	checkNoSecret(t, err)
	checkIMDSError(t, err, "HTTP 401 even with a fresh token", false)
	if f.puts != 2 || f.gets != 2 {
		t.Errorf("fake got %d PUTs and %d GETs, want 2 and 2", f.puts, f.gets)
	}
}

func TestRegion(t *testing.T) {
	tests := []struct {
		body    string
		status  int
		want    string
		errWant string
	}{
		{body: "us-east-1", status: 200, want: "us-east-1"},
		{body: "us-gov-west-1\n", status: 200, want: "us-gov-west-1"},
		{body: "eusc-de-east-1", status: 200, want: "eusc-de-east-1"},
		{body: "us-isob-east-1", status: 200, want: "us-isob-east-1"},
		{body: "US-EAST-1", status: 200, errWant: "not a region name"},
		{body: "us-east-1a", status: 200, errWant: "not a region name"},
		{body: "us-east-1\nus-west-2", status: 200, errWant: "not a region name"},
		{body: "<html>", status: 200, errWant: "not a region name"},
		// The same rule as for a region from the environment (validRegion).
		{body: "fips-us-east-1", status: 200, errWant: "not a region name"},
		{body: "us-abcdefghijklmnopq-1", status: 200, errWant: "not a region name"},
		{body: "", status: 200, errWant: "not a region name"},
		{body: "", status: 404, errWant: "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %q", tt.status, tt.body), func(t *testing.T) {
			c := newFakeIMDS(t, &fakeIMDS{routes: withRoute(imdsRegionPath, fakeReply{tt.status, tt.body})})
			got, err := c.region(context.Background())
			checkIMDSError(t, err, tt.errWant, false)
			if got != tt.want {
				t.Errorf("region() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIMDSDisabled(t *testing.T) {
	c := newIMDSClient(imdsConfig{disabled: true, endpoint: "http://192.0.2.1"})
	_, err := c.roleCredentials(context.Background())
	checkIMDSError(t, err, "AWS_EC2_METADATA_DISABLED", true)
	_, err = c.region(context.Background())
	checkIMDSError(t, err, "AWS_EC2_METADATA_DISABLED", true)
}

func TestIMDSConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	l.Close()
	c := newIMDSClient(imdsConfig{endpoint: endpoint})
	_, err = c.roleCredentials(context.Background())
	checkIMDSError(t, err, "no instance metadata service at "+endpoint, true)
}

func TestIMDSHangingServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	c := newIMDSClient(imdsConfig{endpoint: "http://" + l.Addr().String()})
	start := time.Now()
	_, err = c.roleCredentials(context.Background())
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("roleCredentials() on a hanging server took %v, want about a second", elapsed)
	}
	checkIMDSError(t, err, "no instance metadata service", true)
}

func TestIMDSStalledBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "us-")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c := newIMDSClient(imdsConfig{endpoint: srv.URL})
	start := time.Now()
	_, err := c.fetchIMDSToken(context.Background())
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("fetchIMDSToken() on a stalled body took %v, want about a second", elapsed)
	}
	checkIMDSError(t, err, "no instance metadata service", true)
}

func TestIMDSCallerDeadline(t *testing.T) {
	c := newFakeIMDS(t, &fakeIMDS{routes: goodRoutes()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.roleCredentials(ctx)
	var ue *imdsUnavailableError
	if !errors.Is(err, context.Canceled) || errors.As(err, &ue) {
		t.Errorf("roleCredentials(canceled) = %v, want context.Canceled, not unavailable", err)
	}
}

func TestIMDSNoProxy(t *testing.T) {
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(proxy.Close)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	c := newIMDSClient(imdsConfig{endpoint: "http://imds.invalid"})
	if tr, ok := c.http.Transport.(*http.Transport); !ok || tr.Proxy != nil {
		t.Fatalf("newIMDSClient transport = %T with a proxy func, want *http.Transport without", c.http.Transport)
	}
	if _, err := c.region(context.Background()); err == nil {
		t.Errorf("region() via imds.invalid succeeded")
	}
	if n := proxied.Load(); n != 0 {
		t.Errorf("proxy received %d requests, want none", n)
	}
}

func TestLoadIMDSConfig(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    imdsConfig
		errWant string
	}{
		{env: nil, want: imdsConfig{endpoint: "http://169.254.169.254"}},
		{env: map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}, want: imdsConfig{disabled: true}},
		{env: map[string]string{"AWS_EC2_METADATA_DISABLED": "TRUE"}, want: imdsConfig{disabled: true}},
		{env: map[string]string{"AWS_EC2_METADATA_DISABLED": "false"}, want: imdsConfig{endpoint: "http://169.254.169.254"}},
		{env: map[string]string{"AWS_EC2_METADATA_DISABLED": "1"}, want: imdsConfig{endpoint: "http://169.254.169.254"}},
		{env: map[string]string{"AWS_EC2_METADATA_DISABLED": "true", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "bad"}, errWant: "neither IPv4 nor IPv6"}, // refused whatever else is set, as the SDK refuses it
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"}, want: imdsConfig{endpoint: "http://169.254.169.254"}},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"}, want: imdsConfig{endpoint: "http://[fd00:ec2::254]"}},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": " ipv6 "}, want: imdsConfig{endpoint: "http://[fd00:ec2::254]"}},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "dualstack"}, errWant: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://[::1]:8080/", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"}, want: imdsConfig{endpoint: "http://[::1]:8080"}},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "https://imds.example", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "bad"}, errWant: "neither IPv4 nor IPv6"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "HTTP://169.254.169.254"}, want: imdsConfig{endpoint: "http://169.254.169.254"}},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "169.254.169.254"}, errWant: "AWS_EC2_METADATA_SERVICE_ENDPOINT"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "ftp://imds.example"}, errWant: "not an http or https URL"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://"}, errWant: "no host"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http:imds"}, errWant: "no host"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://imds.example/latest"}, errWant: "a path is not allowed"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://imds.example?x=1"}, errWant: "query or fragment"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://imds.example/?"}, errWant: "query or fragment"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://imds.example#"}, errWant: "query or fragment"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://user:hunter2@imds.example"}, errWant: "user information"},
		{env: map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://imds.example:port"}, errWant: "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.env), func(t *testing.T) {
			got, err := loadIMDSConfig(func(k string) string { return tt.env[k] })
			if tt.errWant != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errWant) {
					t.Fatalf("loadIMDSConfig(%v) error = %v, want one containing %q", tt.env, err, tt.errWant)
				}
				// Never the value: its userinfo, path or query may carry a secret.
				if v := tt.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"]; v != "" && strings.Contains(err.Error(), v) || strings.Contains(err.Error(), "hunter2") {
					t.Errorf("loadIMDSConfig(%v) error %q quotes the value", tt.env, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("loadIMDSConfig(%v) = %+v, %v, want %+v", tt.env, got, err, tt.want)
			}
		})
	}
}

func TestParseIMDSCredentials(t *testing.T) {
	replace := func(old, new string) string { return strings.Replace(fakeRoleDocument, old, new, 1) }
	tests := []struct {
		name, body, errWant string
	}{
		{"good", fakeRoleDocument, ""},
		{"code missing", replace(`"Code" : "Success",`, ""), `Code ""`},
		{"code lower case", replace("Success", "success"), `Code "success"`},
		{"empty access key", replace("ASIAFAKEACCESSKEY", ""), "AccessKeyId is empty"},
		{"empty secret", replace(fakeSecretKey, ""), "SecretAccessKey is empty"},
		{"no token", replace(fakeSessionToken, ""), "Token is empty"},
		{"secret with newline", replace(fakeSecretKey, fakeSecretKey+`\n`), "SecretAccessKey is empty or not printable"},
		{"bad expiration", replace("2025-01-01T06:00:00Z", "tomorrow"), "Expiration is not"},
		{"number where string", replace(`"Token" : "`+fakeSessionToken+`"`, `"Token" : 7`), "not a JSON object"},
		{"array", "[]", "not a JSON object"},
		{"trailing data", fakeRoleDocument + "{}", "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseIMDSCredentials([]byte(tt.body))
			checkNoSecret(t, err)
			if tt.errWant == "" && err != nil || tt.errWant != "" && (err == nil || !strings.Contains(err.Error(), tt.errWant)) {
				t.Errorf("parseIMDSCredentials(%s) = %v, want error containing %q", tt.name, err, tt.errWant)
			}
		})
	}
}

// FuzzParseIMDSCredentials checks that an accepted document had Code
// "Success" and three non-empty keys, and that no error repeats a secret.
// Seeds under testdata/fuzz/FuzzParseIMDSCredentials are hand-written edge
// cases: a later case-folded "code" key overriding Code (encoding/json matches
// names without regard to case, the last wins), Code spelled with a \u escape,
// a leading byte-order mark, an object where a secret belongs, and a tab
// inside the secret.
func FuzzParseIMDSCredentials(f *testing.F) {
	f.Add([]byte(fakeRoleDocument))
	f.Add([]byte(`{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2025-01-01T00:00:00+02:00"}`))
	f.Add([]byte(`{"Code":"Failure","Message":"no"}`))
	f.Add([]byte(`{"Code":"Success","AccessKeyId":"A","Code":"Failure"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseIMDSCredentials(body)
		var doc struct{ Code, SecretAccessKey, Token string }
		_ = json.Unmarshal(body, &doc)
		if err != nil {
			// Only Code is ever quoted; a long secret must not show up.
			for _, s := range []string{doc.SecretAccessKey, doc.Token} {
				if len(s) >= 32 && !strings.Contains(doc.Code, s) && strings.Contains(err.Error(), s) {
					t.Errorf("parseIMDSCredentials error %q contains a secret", err)
				}
			}
			return
		}
		if got.AccessKeyID == "" || got.SecretAccessKey == "" || got.SessionToken == "" {
			t.Errorf("parseIMDSCredentials(%q) accepted empty keys: %+v", body, got)
		}
		if doc.Code != "Success" {
			t.Errorf("parseIMDSCredentials(%q) accepted Code %q", body, doc.Code)
		}
	})
}
