package main

// Fakes of the AWS side for unit and end-to-end tests: a TLS ECR that
// checks every request it gets and verifies its signature, and an
// HTTPS_PROXY that terminates TLS for any AWS host name so that tests can
// see which endpoint the program chose.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test credentials. The secrets are sentinels: tests assert they never
// reach stdout or stderr.
const (
	testAccessKey    = "AKIDTESTTESTTEST"
	testSecretKey    = "SENTINEL-SECRET-KEY-do-not-print"
	testSessionToken = "SENTINEL-SESSION-TOKEN-do-not-print"
	testPassword     = "SENTINEL-REGISTRY-PASSWORD-do-not-print"
)

// ecrCall is what the fake ECR saw of one valid request.
type ecrCall struct {
	host, region, service, target, sni string
}

// fakeECR answers GetAuthorizationToken like ECR and ECR Public after
// checking the request: method, path, headers, body and signature.
type fakeECR struct {
	t            testing.TB
	accessKey    string // the credentials requests must be signed with
	secretKey    string
	sessionToken string // "" when the caller should send none
	expiresAt    string // JSON number; "" is 12 hours from the server's now
	omitExpiry   bool   // answer without expiresAt
	fakeAWS
	calls []ecrCall
}

// fakeAWS is what the fake ECR and STS share: the server's clock, a
// count of requests, and misbehaviour on demand.
type fakeAWS struct {
	now time.Time // the server's clock; zero means time.Now
	// misbehave, when set, may answer request n (1-based) itself.
	misbehave func(n int, w http.ResponseWriter, r *http.Request) bool

	mu sync.Mutex
	n  int
}

func (f *fakeAWS) clock() time.Time {
	if f.now.IsZero() {
		return time.Now()
	}
	return f.now
}

// fresh reports whether a signed request is dated within AWS's 15
// minutes of the server's clock (SPEC §3).
func (f *fakeAWS) fresh(r *http.Request) bool {
	d, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	return err == nil && d.Sub(f.clock()).Abs() <= 15*time.Minute
}

// begin counts a request and sends the server's Date, as AWS does; it
// reports whether misbehave has answered the request already.
func (f *fakeAWS) begin(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	w.Header().Set("Date", f.clock().UTC().Format(http.TimeFormat))
	return f.misbehave != nil && f.misbehave(n, w, r)
}

// signedWith makes the fake accept only requests signed with creds.
func (f *fakeECR) signedWith(creds credentials) *fakeECR {
	f.accessKey, f.secretKey, f.sessionToken = creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken
	return f
}

func newFakeECR(t testing.TB) *fakeECR {
	return &fakeECR{t: t, accessKey: testAccessKey, secretKey: testSecretKey}
}

// Calls returns the valid requests seen so far.
func (f *fakeECR) Calls() []ecrCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ecrCall(nil), f.calls...)
}

func (f *fakeECR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.begin(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	call, problem := f.check(r, body)
	if problem != "" {
		f.t.Errorf("fake ECR: %s", problem)
		awsJSONError(w, 400, "InvalidSignatureException", problem)
		return
	}
	if !f.fresh(r) {
		awsJSONError(w, 403, "InvalidSignatureException", "Signature expired: "+r.Header.Get("X-Amz-Date")+" is now earlier than ...")
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	f.answer(w, call.service == "ecr-public")
}

// check verifies a GetAuthorizationToken request (SPEC §3, §4).
func (f *fakeECR) check(r *http.Request, body []byte) (ecrCall, string) {
	call := ecrCall{host: r.Host, target: r.Header.Get("X-Amz-Target")}
	if r.TLS != nil {
		call.sni = r.TLS.ServerName
	}
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "":
		return call, fmt.Sprintf("request %s %s, want POST /", r.Method, r.URL)
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		return call, fmt.Sprintf("Content-Type %q", r.Header.Get("Content-Type"))
	case string(body) != "{}":
		return call, fmt.Sprintf("body %q, want {}", body)
	case r.Header.Get("X-Amz-Security-Token") != f.sessionToken:
		return call, "wrong X-Amz-Security-Token"
	}
	region, service, problem := verifySignature(r, body, f.accessKey, f.secretKey)
	call.region, call.service = region, service
	if problem != "" {
		return call, problem
	}
	want := map[string]string{"ecr": targetPrivate, "ecr-public": targetPublic}[service]
	if call.target != want {
		return call, fmt.Sprintf("X-Amz-Target %q for service %q", call.target, service)
	}
	return call, ""
}

// answer writes a successful GetAuthorizationToken response: a list for
// private ECR, an object for ECR Public.
func (f *fakeECR) answer(w http.ResponseWriter, public bool) {
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + testPassword))
	entry := fmt.Sprintf(`{"authorizationToken":%q`, token)
	switch {
	case f.omitExpiry:
	case f.expiresAt != "":
		entry += `,"expiresAt":` + f.expiresAt
	default:
		// ECR's own form: fractional epoch seconds in E-notation.
		entry += `,"expiresAt":` + strconv.FormatFloat(float64(f.clock().Add(12*time.Hour).UnixMilli())/1000, 'E', -1, 64)
	}
	if public {
		entry += "}"
	} else {
		entry += `,"proxyEndpoint":"https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}]`
		entry = "[" + entry
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fmt.Fprintf(w, `{"authorizationData":%s}`, entry)
}

// awsJSONError answers like an awsJson1.1 service refusing a request.
func awsJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code+":http://internal.amazon.com/coral/com.amazon.coral.service/")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":"com.amazonaws.ecr#%s","message":%q}`, code, message)
}

// verifySignature recomputes the SigV4 signature of a received request
// from the headers it says it signed, and returns the scope's region and
// service, or a problem.
func verifySignature(r *http.Request, body []byte, accessKey, secretKey string) (region, service, problem string) {
	authz := r.Header.Get("Authorization")
	var cred, signed, sig string
	if _, err := fmt.Sscanf(strings.ReplaceAll(authz, ",", ""), "AWS4-HMAC-SHA256 Credential=%s SignedHeaders=%s Signature=%s", &cred, &signed, &sig); err != nil {
		return "", "", fmt.Sprintf("Authorization %q: %v", authz, err)
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[0] != accessKey || scope[4] != "aws4_request" {
		return "", "", fmt.Sprintf("credential %q", cred)
	}
	region, service = scope[2], scope[3]
	for _, must := range []string{"host", "x-amz-date", "x-amz-target", "content-type"} {
		if !strings.Contains(";"+signed+";", ";"+must+";") {
			return region, service, fmt.Sprintf("%s not signed (SignedHeaders=%s)", must, signed)
		}
	}
	creq := receivedCanonicalRequest(r, signed, body)
	t, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	sts := stringToSign(t, strings.Join(scope[1:], "/"), creq)
	mac := hmac.New(sha256.New, signingKey(secretKey, scope[1], region, service))
	mac.Write([]byte(sts))
	if want := hex.EncodeToString(mac.Sum(nil)); sig != want {
		return region, service, "signature does not match"
	}
	return region, service, ""
}

// receivedCanonicalRequest is the canonical request (SPEC §4) of a request
// as a server receives it, over the headers it says it signed: net/http
// moves Host and Content-Length out of the header map, and the AWS SDKs
// (upstream's binary) sign Content-Length.
func receivedCanonicalRequest(r *http.Request, signed string, body []byte) string {
	lines := []string{r.Method, r.URL.EscapedPath(), canonicalQuery(r.URL.RawQuery)}
	for _, name := range strings.Split(signed, ";") {
		v := strings.Join(r.Header.Values(name), ",")
		switch name {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		}
		lines = append(lines, name+":"+canonicalHeaderValue(v))
	}
	return strings.Join(append(lines, "", signed, hexSHA256(body)), "\n")
}

// tlsFake starts h on loopback TLS and returns its URL and a CA bundle
// file trusting it.
func tlsFake(t testing.TB, h http.Handler) (url, caBundle string) {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	caBundle = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caBundle, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, caBundle
}

// mitmProxy is an HTTPS_PROXY that accepts CONNECT to any host, records
// it, and terminates TLS itself with a certificate for that host from its
// own CA, handing the requests to handler. Tests learn from it which
// endpoint the program chose, and that a refused image made no request.
type mitmProxy struct {
	URL, CABundle string

	mu       sync.Mutex
	connects []string
}

func newMITMProxy(t testing.TB, handler http.Handler) *mitmProxy {
	return newMITMProxyCA(t, handler, "test CA")
}

// newMITMProxyCA is newMITMProxy with a CA named caName.
func newMITMProxyCA(t testing.TB, handler http.Handler, caName string) *mitmProxy {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: caName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	inner := httptest.NewUnstartedServer(handler)
	inner.TLS = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return leafCert(hello.ServerName, ca, caKey)
	}}
	inner.StartTLS()
	t.Cleanup(inner.Close)
	p := &mitmProxy{}
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.connect(t, w, r, inner.Listener.Addr().String())
	}))
	t.Cleanup(outer.Close)
	p.URL = outer.URL
	p.CABundle = filepath.Join(t.TempDir(), "proxy-ca.pem")
	os.WriteFile(p.CABundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	return p
}

// Connects returns the CONNECT targets seen so far.
func (p *mitmProxy) Connects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.connects...)
}

func (p *mitmProxy) connect(t testing.TB, w http.ResponseWriter, r *http.Request, inner string) {
	p.mu.Lock()
	p.connects = append(p.connects, r.Host)
	p.mu.Unlock()
	if r.Method != http.MethodConnect {
		t.Errorf("proxy: %s %s, want CONNECT", r.Method, r.URL)
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	upstream, err := net.Dial("tcp", inner)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { io.Copy(upstream, conn); upstream.Close() }()
	go func() { io.Copy(conn, upstream); conn.Close() }()
}

// leafCert issues a certificate for name from the proxy's CA.
func leafCert(name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (*tls.Certificate, error) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
