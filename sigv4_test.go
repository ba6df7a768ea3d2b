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
