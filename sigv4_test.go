package main

// The vectors under testdata/sigv4 are the public AWS Signature Version 4
// test suite (Apache License 2.0); testdata/sigv4/README.md records where the
// copy came from and the fixed parameters every case uses.

import (
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	suiteDir       = "testdata/sigv4"
	suiteAccessKey = "AKIDEXAMPLE"
	suiteSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteRegion    = "us-east-1"
	suiteService   = "service"
)

// suiteTime is the suite's fixed signing time, 20150830T123600Z.
func suiteTime() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) }

// suiteTested lists the vectors that must pass, by folder path under suiteDir.
func suiteTested() []string {
	return []string{
		"get-header-key-duplicate",
		// An obsolete folded header net/http cannot send; parseSuiteRequest
		// unfolds it as an HTTP receiver does, which tests the value a caller
		// would set to get the same signature.
		"get-header-value-multiline",
		"get-header-value-order",
		"get-header-value-trim",
		"get-unreserved",
		"get-utf8",
		"get-vanilla",
		"get-vanilla-empty-query-key",
		"get-vanilla-query",
		"get-vanilla-query-order-encoded",
		"get-vanilla-query-order-key",
		"get-vanilla-query-order-key-case",
		"get-vanilla-query-order-value",
		"get-vanilla-query-unreserved",
		"get-vanilla-utf8-query",
		"get-vanilla-with-session-token",
		// Needs no normalisation: the space is escaped by EscapedPath.
		"normalize-path/get-space",
		"post-header-key-case",
		"post-header-key-sort",
		"post-header-value-case",
		"post-sts-token/post-sts-header-before",
		"post-vanilla",
		"post-vanilla-empty-query-value",
		"post-vanilla-query",
		"post-x-www-form-urlencoded",
		"post-x-www-form-urlencoded-parameters",
	}
}

// suiteExcluded lists the vectors this signer does not claim to pass, with
// the reason. TestSigV4SuiteExcluded checks that each one still fails.
func suiteExcluded() map[string]string {
	const noNormalise = "this signer signs only POST / and does not normalise paths"
	return map[string]string{
		"normalize-path/get-relative":            noNormalise,
		"normalize-path/get-relative-relative":   noNormalise,
		"normalize-path/get-slash":               noNormalise,
		"normalize-path/get-slash-dot-slash":     noNormalise,
		"normalize-path/get-slash-pointless-dot": noNormalise,
		"normalize-path/get-slashes":             noNormalise,
		"normalize-path/get-special-character":   noNormalise + " (nor re-encode the sub-delimiter $)",
		"post-sts-token/post-sts-header-after": "the token is added after signing, unsigned; " +
			"this signer always signs X-Amz-Security-Token (SPEC §4)",
	}
}

// suiteCase is one vector's files.
type suiteCase struct {
	req, creq, sts, authz, sreq string
}

// loadSuiteCase reads the files of the vector in folder dir under suiteDir.
func loadSuiteCase(t *testing.T, dir string) suiteCase {
	t.Helper()
	read := func(ext string) string {
		b, err := os.ReadFile(path.Join(suiteDir, dir, path.Base(dir)+ext))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return suiteCase{req: read(".req"), creq: read(".creq"), sts: read(".sts"), authz: read(".authz"), sreq: read(".sreq")}
}

// parseSuiteRequest parses a raw .req file: request line, header lines, blank
// line, body. It is more tolerant than http.ReadRequest on purpose: the suite
// has a request line with a space in its target and a folded header. The
// method is up to the first space and the protocol after the last; a header
// line that starts with a space or tab continues the previous value, joined by
// one space as RFC 9112 §5.2 lets a receiver do.
func parseSuiteRequest(raw string) (*http.Request, []byte, error) {
	head, body, _ := strings.Cut(raw, "\n\n")
	lines := strings.Split(strings.TrimSuffix(head, "\n"), "\n")
	method, rest, ok := strings.Cut(lines[0], " ")
	i := strings.LastIndexByte(rest, ' ')
	if !ok || i < 0 {
		return nil, nil, fmt.Errorf("parse request line %q: want METHOD TARGET PROTO", lines[0])
	}
	u, err := url.ParseRequestURI(rest[:i])
	if err != nil {
		return nil, nil, fmt.Errorf("parse request target %q: %v", rest[:i], err)
	}
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	last := ""
	for _, line := range lines[1:] {
		if line != "" && (line[0] == ' ' || line[0] == '\t') && last != "" {
			vs := req.Header[last]
			vs[len(vs)-1] += " " + line
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, fmt.Errorf("parse header line %q: no colon", line)
		}
		if strings.EqualFold(name, "Host") {
			req.Host = strings.TrimSpace(value)
			continue
		}
		req.Header.Add(name, value)
		last = http.CanonicalHeaderKey(name)
	}
	return req, []byte(body), nil
}

// suiteToken returns the session token a vector's credentials carry: the
// x-amz-security-token line of its canonical request or, for the one vector
// that adds the token after signing, of its signed request.
func suiteToken(c suiteCase) string {
	for line := range strings.SplitSeq(c.creq+"\n"+c.sreq, "\n") {
		name, token, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(name, "X-Amz-Security-Token") {
			return token
		}
	}
	return ""
}

// suiteResult is what this signer produces for one vector.
type suiteResult struct {
	date, creq, sts, authz string
}

// signSuiteCase signs the vector's request with the suite parameters and
// returns every stage. Each stage after the first starts from the vector's
// own file for the stage before, so a failure points at one stage.
func signSuiteCase(t *testing.T, c suiteCase) suiteResult {
	t.Helper()
	req, body, err := parseSuiteRequest(c.req)
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials{AccessKeyID: suiteAccessKey, SecretAccessKey: suiteSecret, SessionToken: suiteToken(c)}
	signRequest(req, hexSHA256(body), creds, suiteRegion, suiteService, suiteTime())
	var r suiteResult
	r.date = req.Header.Get("X-Amz-Date")
	r.creq, _ = canonicalRequest(req, hexSHA256(body))
	r.sts = stringToSign(suiteTime(), credentialScope(suiteTime(), suiteRegion, suiteService), c.creq)
	r.authz = req.Header.Get("Authorization")
	return r
}

func TestSigV4Suite(t *testing.T) {
	for _, dir := range suiteTested() {
		t.Run(dir, func(t *testing.T) {
			c := loadSuiteCase(t, dir)
			got := signSuiteCase(t, c)
			if got.date != "20150830T123600Z" {
				t.Errorf("X-Amz-Date = %q, want %q", got.date, "20150830T123600Z")
			}
			if got.creq != c.creq {
				t.Errorf("canonicalRequest =\n%s\nwant\n%s", got.creq, c.creq)
			}
			if got.sts != c.sts {
				t.Errorf("stringToSign =\n%s\nwant\n%s", got.sts, c.sts)
			}
			if got.authz != c.authz {
				t.Errorf("Authorization = %q, want %q", got.authz, c.authz)
			}
		})
	}
}

// TestSigV4SuiteExcluded keeps the exclusion list honest: an excluded vector
// that starts passing must move to suiteTested.
func TestSigV4SuiteExcluded(t *testing.T) {
	for dir, reason := range suiteExcluded() {
		t.Run(dir, func(t *testing.T) {
			if reason == "" {
				t.Errorf("excluded vector %s has no reason", dir)
			}
			c := loadSuiteCase(t, dir)
			if got := signSuiteCase(t, c); got.authz == c.authz {
				t.Errorf("excluded vector %s now passes: move it to suiteTested", dir)
			}
		})
	}
}

// TestSigV4SuiteCoverage checks that every vector folder is either tested or
// excluded, and that neither list names a folder that is not there.
func TestSigV4SuiteCoverage(t *testing.T) {
	var found []string
	err := fs.WalkDir(os.DirFS(suiteDir), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".req") {
			found = append(found, path.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatalf("no vectors under %s", suiteDir)
	}
	tested, excluded := suiteTested(), suiteExcluded()
	for _, dir := range found {
		_, isExcluded := excluded[dir]
		if isTested := slices.Contains(tested, dir); isTested == isExcluded {
			t.Errorf("vector %s: tested %v, excluded %v; want exactly one", dir, isTested, isExcluded)
		}
	}
	listed := slices.Concat(tested, slices.Collect(maps.Keys(excluded)))
	for _, dir := range listed {
		if !slices.Contains(found, dir) {
			t.Errorf("listed vector %s is not in %s", dir, suiteDir)
		}
	}
}

// ecrRequest returns a GetAuthorizationToken request as the program builds
// it before signing (SPEC §3), and its body.
func ecrRequest(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	body := []byte("{}")
	req, err := http.NewRequest(http.MethodPost, "https://api.ecr.us-east-1.amazonaws.com/", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken")
	return req, body
}

// signedHeadersOf returns the SignedHeaders list of an Authorization value.
func signedHeadersOf(authz string) string {
	_, rest, _ := strings.Cut(authz, "SignedHeaders=")
	list, _, _ := strings.Cut(rest, ",")
	return list
}

func TestSignRequestSessionToken(t *testing.T) {
	req, body := ecrRequest(t)
	creds := credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: suiteSecret, SessionToken: "token/with+odd=chars"}
	signRequest(req, hexSHA256(body), creds, "us-east-1", "ecr", suiteTime())
	if got := req.Header.Get("X-Amz-Security-Token"); got != creds.SessionToken {
		t.Errorf("X-Amz-Security-Token = %q, want %q", got, creds.SessionToken)
	}
	authz := req.Header.Get("Authorization")
	want := "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
	if got := signedHeadersOf(authz); got != want {
		t.Errorf("SignedHeaders = %q, want %q (Authorization %q)", got, want, authz)
	}

	// Signing again with long-term keys must drop the earlier token.
	creds.SessionToken = ""
	signRequest(req, hexSHA256(body), creds, "us-east-1", "ecr", suiteTime())
	if got, ok := req.Header["X-Amz-Security-Token"]; ok {
		t.Errorf("X-Amz-Security-Token after re-signing without a token = %q, want absent", got)
	}
	want = "content-type;host;x-amz-date;x-amz-target"
	if got := signedHeadersOf(req.Header.Get("Authorization")); got != want {
		t.Errorf("SignedHeaders after re-signing without a token = %q, want %q", got, want)
	}
}

func TestSignRequestKeepsSecretOutOfHeaders(t *testing.T) {
	for _, token := range []string{"", "FwoGZXIvYXdzEXAMPLETOKEN"} {
		t.Run("token="+token, func(t *testing.T) {
			req, body := ecrRequest(t)
			creds := credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: suiteSecret, SessionToken: token}
			signRequest(req, hexSHA256(body), creds, "us-east-1", "ecr", suiteTime())
			for name, values := range req.Header {
				for _, v := range values {
					if strings.Contains(v, suiteSecret) {
						t.Errorf("header %s = %q contains the secret key", name, v)
					}
				}
			}
		})
	}
}

func TestSignRequestIsRepeatable(t *testing.T) {
	req, body := ecrRequest(t)
	creds := credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: suiteSecret, SessionToken: "tok"}
	signRequest(req, hexSHA256(body), creds, "us-east-1", "ecr", suiteTime())
	first := req.Header.Clone()
	// A stale Authorization must not end up signed into the new one.
	signRequest(req, hexSHA256(body), creds, "us-east-1", "ecr", suiteTime().In(time.FixedZone("UTC+5", 5*3600)))
	for _, name := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if got, want := req.Header.Get(name), first.Get(name); got != want {
			t.Errorf("%s after signing twice (once from a non-UTC time) = %q, want %q", name, got, want)
		}
	}
	// A later clock (a skew correction) moves the date and the signature.
	signRequest(req, hexSHA256(body), creds, "us-east-1", "ecr", suiteTime().Add(5*time.Minute))
	if got := req.Header.Get("X-Amz-Date"); got != "20150830T124100Z" {
		t.Errorf("X-Amz-Date after re-signing 5 minutes later = %q, want %q", got, "20150830T124100Z")
	}
}

func TestCanonicalRequestSkipsHeadersNetHTTPRewrites(t *testing.T) {
	req, body := ecrRequest(t)
	req.Header.Set("Content-Length", "2")
	req.Header.Set("Transfer-Encoding", "chunked")
	req.Header.Set("Trailer", "X-Checksum")
	req.Header.Set("Host", "other.example.com")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 stale")
	req.Header["X-Empty"] = nil
	creq, signed := canonicalRequest(req, hexSHA256(body))
	if want := "content-type;host;x-amz-target"; signed != want {
		t.Errorf("canonicalRequest signed headers = %q, want %q", signed, want)
	}
	if !strings.Contains(creq, "\nhost:api.ecr.us-east-1.amazonaws.com\n") {
		t.Errorf("canonicalRequest =\n%s\nwant host from the URL, not req.Header", creq)
	}
}

func TestCanonicalRequestHost(t *testing.T) {
	tests := []struct {
		reqHost, url, want string
	}{
		{"", "https://api.ecr.us-east-1.amazonaws.com/", "api.ecr.us-east-1.amazonaws.com"},
		{"", "https://localhost:8443/", "localhost:8443"},
		{"proxy.example.com", "https://api.ecr.us-east-1.amazonaws.com/", "proxy.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.url+"|"+tt.reqHost, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			req := &http.Request{Method: http.MethodPost, URL: u, Host: tt.reqHost, Header: http.Header{}}
			creq, _ := canonicalRequest(req, hexSHA256(nil))
			if want := "\nhost:" + tt.want + "\n"; !strings.Contains(creq, want) {
				t.Errorf("canonicalRequest(Host %q, URL %q) =\n%s\nwant a line %q", tt.reqHost, tt.url, creq, strings.Trim(want, "\n"))
			}
		})
	}
}

func TestCanonicalHeaderValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"value", "value"},
		{"  value  ", "value"},
		{"\tvalue\t", "value"},
		{`"a   b   c"`, `"a b c"`},
		{"a \t b", "a \t b"},
		{"", ""},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := canonicalHeaderValue(tt.in); got != tt.want {
			t.Errorf("canonicalHeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"b=2&a=1", "a=1&b=2"},
		{"a=2&a=1", "a=1&a=2"},
		{"a", "a="},
		{"a=b+c", "a=b%20c"},
		{"a=%7e%2F", "a=~%2F"},
		{"a=%zz", "a=%25zz"},
		{"&&a=1&", "a=1"},
		{"k=a=b", "k=a%3Db"},
	}
	for _, tt := range tests {
		if got := canonicalQuery(tt.in); got != tt.want {
			t.Errorf("canonicalQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSigningKeyDocExample uses the worked example of the AWS SigV4
// documentation ("Examples of how to derive a signing key", IAM ListUsers),
// a vector independent of the suite.
func TestSigningKeyDocExample(t *testing.T) {
	key := signingKey(suiteSecret, "20150830", "us-east-1", "iam")
	if got, want := fmt.Sprintf("%x", key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"; got != want {
		t.Errorf("signingKey(20150830, us-east-1, iam) = %s, want %s", got, want)
	}
	sts := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n" +
		"f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
	if got, want := fmt.Sprintf("%x", hmacSHA256(key, sts)), "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"; got != want {
		t.Errorf("signature of the documented string to sign = %s, want %s", got, want)
	}
}

func TestCredentialScope(t *testing.T) {
	// 23:30 at UTC-2 is already the next day in UTC.
	at := time.Date(2015, 8, 29, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600))
	if got, want := credentialScope(at, "us-east-1", "service"), "20150830/us-east-1/service/aws4_request"; got != want {
		t.Errorf("credentialScope(%v) = %q, want %q", at, got, want)
	}
}

func TestHexSHA256(t *testing.T) {
	if got, want := hexSHA256(nil), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("hexSHA256(empty) = %s, want %s", got, want)
	}
}

func BenchmarkSignRequest(b *testing.B) {
	req, body := ecrRequest(b)
	creds := credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: suiteSecret, SessionToken: "FwoGZXIvYXdzEXAMPLETOKEN"}
	at := suiteTime()
	b.ReportAllocs()
	for b.Loop() {
		signRequest(req, hexSHA256(body), creds, "us-east-1", "ecr", at)
	}
}

// FuzzCanonicalRequest checks, for any path, query and header value, that
// canonicalising never panics, that it is deterministic, that the header
// value normalisation is idempotent (a value already in canonical form signs
// the same), that host is always signed, and that signing twice gives the
// same Authorization.
func FuzzCanonicalRequest(f *testing.F) {
	f.Add("/", "", "application/x-amz-json-1.1", []byte("{}"))
	f.Add("/a b/ሴ", "b=2&a=1&a=%zz", `  "a   b   c"  `, []byte(""))
	f.Add("//./..", "k=a+b;c", "value1 \t  value2", []byte("Param1=value1"))
	f.Fuzz(func(t *testing.T, p, query, value string, body []byte) {
		u := &url.URL{Scheme: "https", Host: "api.ecr.us-east-1.amazonaws.com", Path: p, RawQuery: query}
		req := &http.Request{Method: http.MethodPost, URL: u, Header: http.Header{}}
		req.Header.Set("X-Fuzz", value)
		hash := hexSHA256(body)
		creq, signed := canonicalRequest(req, hash)
		if again, _ := canonicalRequest(req, hash); again != creq {
			t.Fatalf("canonicalRequest not deterministic:\n%s\nthen\n%s", creq, again)
		}
		if !slices.Contains(strings.Split(signed, ";"), "host") {
			t.Fatalf("signed headers %q lack host", signed)
		}
		cv := canonicalHeaderValue(value)
		if again := canonicalHeaderValue(cv); again != cv {
			t.Fatalf("canonicalHeaderValue(%q) = %q, but of that = %q", value, cv, again)
		}
		req2 := &http.Request{Method: http.MethodPost, URL: u, Header: http.Header{"X-Fuzz": {cv}}}
		if creq2, _ := canonicalRequest(req2, hash); creq2 != creq {
			t.Fatalf("value %q and its canonical form %q sign differently:\n%s\nvs\n%s", value, cv, creq, creq2)
		}
		creds := credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: suiteSecret}
		signRequest(req, hash, creds, "us-east-1", "ecr", suiteTime())
		first := req.Header.Get("Authorization")
		signRequest(req, hash, creds, "us-east-1", "ecr", suiteTime())
		if got := req.Header.Get("Authorization"); got != first {
			t.Fatalf("Authorization changed on re-signing: %q then %q", first, got)
		}
	})
}
