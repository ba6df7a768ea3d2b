package main

// AWS Signature Version 4, header signing only (SPEC §4). Everything here is
// a pure function of its arguments: the caller passes the time, so the
// official test suite in testdata/sigv4 can be checked stage by stage.
//
// What gets signed is what is in the request when signRequest runs: callers
// must set every header they want signed (Content-Type, X-Amz-Target, ...)
// before signing and add none afterwards. Headers net/http adds on the wire
// by itself (User-Agent, Accept-Encoding, Content-Length when they are not in
// req.Header) are not signed, which SigV4 allows: only the signed headers
// must arrive unchanged.

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	sigv4Algorithm  = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
	scopeTerminator = "aws4_request"
)

// signRequest signs req in place for AWS SigV4 (header signing): it sets
// X-Amz-Date from t (UTC), X-Amz-Security-Token when creds.SessionToken != "",
// and Authorization. bodyHash is the lowercase hex SHA-256 of the body.
// Host is taken from req.Host, else req.URL.Host, and always signed.
//
// Signing again (after a clock-skew correction, or with fresh credentials)
// replaces all three headers: a stale Authorization is never signed into the
// new one, and a token from earlier credentials is removed when the new ones
// have none.
func signRequest(req *http.Request, bodyHash string, creds credentials, region, service string, t time.Time) {
	t = t.UTC()
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Del("Authorization")
	req.Header.Set("X-Amz-Date", t.Format(amzDateFormat))
	// SPEC §4: the session token travels in X-Amz-Security-Token and is signed.
	req.Header.Del("X-Amz-Security-Token")
	if creds.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	}
	creq, signed := canonicalRequest(req, bodyHash)
	scope := credentialScope(t, region, service)
	key := signingKey(creds.SecretAccessKey, t.Format(scopeDateFormat), region, service)
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign(t, scope, creq)))
	req.Header.Set("Authorization", sigv4Algorithm+" Credential="+creds.AccessKeyID+"/"+scope+
		", SignedHeaders="+signed+", Signature="+sig)
}

// canonicalRequest returns the canonical request and the signed-header list
// (";"-joined) for req; every header present in req.Header plus host is signed,
// except those listed in signedHeader, which net/http does not send from
// req.Header or which carry the signature itself.
//
// The canonical URI is req.URL.EscapedPath() ("/" when empty), without the
// dot-segment and slash normalisation the suite's normalize-path cases expect
// and without re-encoding it a second time as AWS does for services other than
// S3. The two agree for "/" and for paths of unreserved characters, which is
// all this program signs.
func canonicalRequest(req *http.Request, bodyHash string) (creq, signedHeaders string) {
	method := cmp.Or(req.Method, http.MethodGet) // net/http sends an empty Method as GET
	headers, signedHeaders := canonicalHeaders(req)
	// SPEC §4: method, URI, query, headers, blank line, signed headers, body hash.
	// headers ends in a newline, which makes the blank line.
	creq = strings.Join([]string{
		method, cmp.Or(req.URL.EscapedPath(), "/"), canonicalQuery(req.URL.RawQuery),
		headers, signedHeaders, bodyHash,
	}, "\n")
	return creq, signedHeaders
}

// canonicalQuery returns the query part of the canonical request: every
// parameter decoded, then RFC 3986 encoded, sorted by encoded name and then
// encoded value (so repeated names keep a fixed order).
func canonicalQuery(raw string) string {
	var parts []string
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		// NUL, which no encoded byte is, sorts before them all: sorting
		// name+NUL+value sorts by name, then by value.
		k, v, _ := strings.Cut(part, "=")
		parts = append(parts, uriEncode(queryUnescape(k))+"\x00"+uriEncode(queryUnescape(v)))
	}
	slices.Sort(parts)
	return strings.ReplaceAll(strings.Join(parts, "&"), "\x00", "=")
}

// queryUnescape decodes one query component as net/url does ("+" is a
// space); a malformed escape is kept as literal text, so it gets encoded
// (its "%" becomes "%25") rather than failing the signature.
func queryUnescape(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// uriEncode percent-encodes every byte of s except RFC 3986 unreserved
// characters, with upper-case hex digits, as SigV4 requires.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; isUnreserved(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~", c) >= 0
}

// canonicalHeaders returns the canonical headers block (one "name:value\n"
// line per header) and the ";"-joined signed header names.
func canonicalHeaders(req *http.Request) (block, signed string) {
	// SPEC §4: host is always signed.
	values := map[string][]string{"host": {canonicalHeaderValue(cmp.Or(req.Host, req.URL.Host))}}
	// Sorted so that two spellings of one name (set by map assignment rather
	// than Set/Add) merge in a fixed order.
	for _, name := range slices.Sorted(maps.Keys(req.Header)) {
		if lower := strings.ToLower(name); signedHeader(lower) {
			for _, v := range req.Header[name] {
				values[lower] = append(values[lower], canonicalHeaderValue(v))
			}
		}
	}
	names := slices.Sorted(maps.Keys(values))
	var b strings.Builder
	for _, name := range names {
		// SPEC §4: repeated headers are joined with "," in the order given.
		b.WriteString(name + ":" + strings.Join(values[name], ",") + "\n")
	}
	return b.String(), strings.Join(names, ";")
}

// signedHeader reports whether a req.Header entry, by lower-case name, is
// signed. net/http writes Host, Content-Length, Transfer-Encoding and Trailer
// from the Request's own fields and ignores these entries, so signing them
// could sign a value that is never sent; Authorization holds the signature.
func signedHeader(lower string) bool {
	switch lower {
	case "host", "content-length", "transfer-encoding", "trailer", "authorization":
		return false
	}
	return true
}

// canonicalHeaderValue trims a header value and collapses inner runs of
// spaces to one (SPEC §4). Tabs are trimmed at the ends too because an HTTP
// receiver drops them there as optional whitespace.
func canonicalHeaderValue(v string) string {
	v = strings.Trim(v, " \t")
	if !strings.Contains(v, "  ") {
		return v
	}
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' }), " ")
}

// stringToSign returns the SigV4 string to sign for a canonical request
// (SPEC §4): algorithm, X-Amz-Date, scope and the canonical request's hash.
func stringToSign(t time.Time, scope, creq string) string {
	return sigv4Algorithm + "\n" + t.UTC().Format(amzDateFormat) + "\n" + scope + "\n" +
		hexSHA256([]byte(creq))
}

// signingKey derives the SigV4 signing key (SPEC §4): an HMAC-SHA256 chain
// keyed first with "AWS4"+secret over date (yyyymmdd), region, service and
// "aws4_request".
func signingKey(secret, date, region, service string) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	return hmacSHA256(key, scopeTerminator)
}

// credentialScope returns the scope "yyyymmdd/region/service/aws4_request"
// for the UTC date of t.
func credentialScope(t time.Time, region, service string) string {
	return t.UTC().Format(scopeDateFormat) + "/" + region + "/" + service + "/" + scopeTerminator
}

// hexSHA256 returns the lowercase hex SHA-256 of b.
func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hmacSHA256 returns HMAC-SHA256 of data under key.
func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// credentials are one set of AWS credentials, from whichever source the
// chain found first.
type credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // empty for long-term keys
	Expires         time.Time // zero when the source gave no expiry
}

// validate refuses credentials that could not go into an HTTP header, so
// that net/http never gets to report a secret-bearing header as invalid.
func (c credentials) validate(source string) error {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return fmt.Errorf("AWS credentials from %s: access key ID or secret access key is empty", source)
	}
	for _, f := range []struct{ name, value string }{
		{"access key ID", c.AccessKeyID},
		{"secret access key", c.SecretAccessKey},
		{"session token", c.SessionToken},
	} {
		if len(f.value) > maxCredentialBytes || strings.ContainsFunc(f.value, notPrintableASCII) {
			return fmt.Errorf("AWS credentials from %s: the %s is malformed (over %d bytes or not printable ASCII)", source, f.name, maxCredentialBytes)
		}
	}
	return nil
}

// maxCredentialBytes bounds each credential field. Session tokens are the
// longest, a few KiB.
const maxCredentialBytes = 16 << 10

// notPrintableASCII reports a rune that cannot appear in a credential.
func notPrintableASCII(r rune) bool { return r < 0x21 || r > 0x7e }

// finishCredentials checks the keys are there, and sets and checks the
// expiry (RFC 3339, as the SDK's time.Time decoding requires).
func finishCredentials(c credentials, expiration *string, now time.Time) (credentials, error) {
	switch {
	case c.AccessKeyID == "":
		return credentials{}, errors.New("credentials have no AccessKeyId")
	case c.SecretAccessKey == "":
		return credentials{}, errors.New("credentials have no SecretAccessKey")
	case expiration == nil:
		return c, nil
	}
	t, err := time.Parse(time.RFC3339, *expiration)
	if err != nil {
		return credentials{}, fmt.Errorf("credentials have Expiration %s, want an RFC 3339 time", shortQuote(*expiration))
	}
	if !t.After(now) {
		return credentials{}, fmt.Errorf("credentials expired at %s", t.UTC().Format(time.RFC3339))
	}
	c.Expires = t
	return c, nil
}
