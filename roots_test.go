package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a root of the tests' own: a key and a self-signed certificate.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

// newTestCA makes a root named name, valid from notBefore to notAfter;
// with key set it is the same CA (name and key) as another.
func newTestCA(t *testing.T, name string, key *ecdsa.PrivateKey, notBefore, notAfter time.Time) testCA {
	t.Helper()
	if key == nil {
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{key, cert}
}

// pem is the CA's certificate as a PEM block.
func (ca testCA) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

// serve starts h on loopback TLS with a certificate from ca for name
// (an IP address or a DNS name) and counts the connections it accepts.
func (ca testCA) serve(t *testing.T, name string, h http.Handler) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: ca.cert.NotBefore, NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// writeFile writes data to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// awsTestRoot names a test root as an AWS root, as awsRootNames see it.
const awsTestRoot = "Amazon Root CA 1 (test)"

// TestEndToEndSystemRoots runs the binary against an ECR whose CA is in
// the system bundle (SSL_CERT_FILE), the certificate directory
// (SSL_CERT_DIR), both, or neither: the servers trusted are exactly those
// crypto/x509's system pool trusts, and each try after the bundle's AWS
// roots costs one more connection, never a failure it would not have had.
func TestEndToEndSystemRoots(t *testing.T) {
	now := time.Now()
	// Roots by role: "server" is the CA of the server's certificate (the
	// proxy's, through a proxy), named as an AWS root when awsServer is
	// set; "expired" the same CA (name and key) expired; "aws" an
	// unrelated CA named as an AWS root, as every real bundle has.
	tests := []struct {
		name        string
		bundle, dir string // roles in SSL_CERT_FILE and in a file of SSL_CERT_DIR
		awsCABundle string // roles in AWS_CA_BUNDLE, when set
		awsServer   bool
		serverName  string // the name in the server's certificate
		proxy       bool   // through HTTPS_PROXY to ECR's own host name
		wantConns   int
		wantErr     string // "" for success
	}{
		{"AWS root in the bundle", "aws server", "", "", true, "127.0.0.1", false, 1, ""},
		{"AWS root in the bundle, through a proxy", "aws server", "", "", true, "", true, 1, ""},
		{"other root in the bundle", "aws server", "", "", false, "127.0.0.1", false, 2, ""},
		{"other root in the bundle, through a proxy", "aws server", "", "", false, "", true, 2, ""},
		{"root only in the directory", "aws", "server", "", false, "127.0.0.1", false, 3, ""},
		{"root only in the directory, through a proxy", "aws", "server", "", true, "", true, 3, ""},
		{"expired root in the bundle, valid one in the directory", "expired", "server", "", true, "127.0.0.1", false, 3, ""},
		{"expired root only", "aws expired", "", "", true, "127.0.0.1", false, 3, "expired"},
		{"name mismatch", "server", "server", "", true, "127.0.0.2", false, 3, "valid for 127.0.0.2, not 127.0.0.1"},
		{"unknown CA", "aws", "aws", "", true, "127.0.0.1", false, 3, "unknown authority"},
		{"no AWS root in the bundle", "server", "", "", false, "127.0.0.1", false, 1, ""},
		{"no bundle", "", "server", "", true, "127.0.0.1", false, 1, ""},
		{"AWS_CA_BUNDLE trusts its CA", "aws", "", "server", false, "127.0.0.1", false, 1, ""},
		{"AWS_CA_BUNDLE replaces the system roots", "server", "server", "aws", true, "127.0.0.1", false, 1, "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			caName := map[bool]string{true: awsTestRoot, false: "test root"}[tt.awsServer]
			server := newTestCA(t, caName, nil, now.Add(-time.Hour), now.Add(time.Hour))
			roots := map[string][]byte{
				"expired": newTestCA(t, caName, server.key, now.Add(-2*time.Hour), now.Add(-time.Hour)).pem(),
				"aws":     newTestCA(t, "Amazon Root CA 4 (test)", nil, now.Add(-time.Hour), now.Add(time.Hour)).pem(),
			}
			ecr := newFakeECR(t)
			env := map[string]string{"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey}
			var conns func() int
			if tt.proxy {
				proxy := newMITMProxyCA(t, ecr, caName)
				env["HTTPS_PROXY"] = proxy.URL
				roots["server"], _ = os.ReadFile(proxy.CABundle)
				conns = func() int { return len(proxy.Connects()) }
			} else {
				srv, n := server.serve(t, tt.serverName, ecr)
				env["AWS_ENDPOINT_URL_ECR"] = srv.URL
				roots["server"] = server.pem()
				conns = func() int { return int(n.Load()) }
			}
			pemOf := func(roles string) []byte {
				var out []byte
				for _, r := range strings.Fields(roles) {
					out = append(out, roots[r]...)
				}
				return out
			}
			dir := t.TempDir()
			env["SSL_CERT_FILE"] = filepath.Join(dir, "none.crt")
			if tt.bundle != "" {
				env["SSL_CERT_FILE"] = writeFile(t, dir, "bundle.crt", pemOf(tt.bundle))
			}
			env["SSL_CERT_DIR"] = filepath.Join(dir, "certs")
			os.Mkdir(env["SSL_CERT_DIR"], 0o755)
			if tt.dir != "" {
				writeFile(t, env["SSL_CERT_DIR"], "root.pem", pemOf(tt.dir))
			}
			if tt.awsCABundle != "" {
				env["AWS_CA_BUNDLE"] = writeFile(t, dir, "aws-ca.pem", pemOf(tt.awsCABundle))
			}
			r := runBinary(t, env, request("v1", privateImage))
			if tt.wantErr == "" {
				if r.code != 0 || len(ecr.Calls()) != 1 {
					t.Fatalf("exit %d, %d ECR calls, stderr %q; want success", r.code, len(ecr.Calls()), r.stderr)
				}
			} else {
				assertFailed(t, r, tt.wantErr)
			}
			if got := conns(); got != tt.wantConns {
				t.Errorf("%d connections, want %d", got, tt.wantConns)
			}
		})
	}
}

// TestSystemBundle: SSL_CERT_FILE replaces the list of bundles, and a
// bundle is used when it exists, readable or not.
func TestSystemBundle(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ certFile, want string }{
		{writeFile(t, dir, "ok.crt", nil), filepath.Join(dir, "ok.crt")},
		{filepath.Join(dir, "missing.crt"), ""},
		{dir, dir},
	} {
		if got := systemBundle(tt.certFile); got != tt.want {
			t.Errorf("systemBundle(%q) = %q, want %q", tt.certFile, got, tt.want)
		}
	}
}

// roots counts the roots of a pool, nil counting none.
func roots(pool *x509.CertPool) int {
	if pool == nil {
		return 0
	}
	return len(pool.Subjects())
}

// TestBundleRoots: the second try reads the whole bundle within the
// bound, or leaves the roots to the last try (nil).
func TestBundleRoots(t *testing.T) {
	now := time.Now()
	ca := newTestCA(t, "test root", nil, now.Add(-time.Hour), now.Add(time.Hour)).pem()
	dir := t.TempDir()
	tests := []struct {
		name, file string
		want       int
	}{
		{"a bundle", writeFile(t, dir, "ok.crt", append(ca, ca...)), 1}, // one root, twice
		{"no PEM", writeFile(t, dir, "garbage.crt", []byte("not a certificate\n")), 0},
		{"over the bound", writeFile(t, dir, "huge.crt", append(ca, make([]byte, maxCABundleBytes)...)), 0},
		{"a directory", dir, 0},
	}
	for _, tt := range tests {
		if got := roots(bundleRoots(tt.file)); got != tt.want {
			t.Errorf("%s: bundleRoots(%q) has %d roots, want %d", tt.name, tt.file, got, tt.want)
		}
	}
}

// TestAWSRoots: the roots tried first are the bundle's blocks that name an
// AWS root, each in a form crypto/x509 reads the same way.
func TestAWSRoots(t *testing.T) {
	now := time.Now()
	ca := func(name string) string {
		return string(newTestCA(t, name, nil, now.Add(-time.Hour), now.Add(time.Hour)).pem())
	}
	aws1, aws3, starfield, other := ca("Amazon Root CA 1 (test)"), ca("Amazon Root CA 3 (test)"), ca("Starfield Services Root Certificate Authority - G2 (test)"), ca("test root")
	tests := []struct {
		name, bundle string
		want         int // roots picked
	}{
		{"AWS roots among others", other + aws1 + other + starfield + aws3, 2},
		{"none", other + starfield, 0},
		{"comments and blank lines between", "# Amazon Root CA 1\n" + aws1 + "\n\n" + other + "# end\n", 1},
		{"CRLF", strings.ReplaceAll(aws1, "\n", "\r\n"), 1},
		{"no newline at the end", strings.TrimSuffix(aws1, "\n"), 1},
		{"a marker inside a line", "x" + aws1, 0},
		{"trailing text on the end line", strings.TrimSuffix(aws1, "\n") + "x\n", 0},
		{"headers", strings.Replace(aws1, "-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n", 1), 0},
		{"spaces in the base64", strings.Replace(aws1, "-----\n", "-----\n ", 1), 0},
		{"no end", strings.Split(aws1, "-----END")[0], 0},
		{"a second begin", "-----BEGIN CERTIFICATE-----\nAAAA\n" + aws1, 1},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		file := writeFile(t, dir, fmt.Sprint(i), []byte(tt.bundle))
		if got := roots(awsRoots(file)); got != tt.want {
			t.Errorf("%s: awsRoots picked %d roots, want %d", tt.name, got, tt.want)
		}
	}
	if got := roots(awsRoots(filepath.Join(dir, "missing"))); got != 0 {
		t.Errorf("awsRoots of a missing file picked %d roots", got)
	}
}

// TestRootsFallbackBody: a try without roots is skipped, the next try
// sends the request's body again, and a request whose body cannot be read
// again is not tried twice.
func TestRootsFallbackBody(t *testing.T) {
	now := time.Now()
	ca := newTestCA(t, "test root", nil, now.Add(-time.Hour), now.Add(time.Hour))
	var bodies []string
	srv, conns := ca.serve(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
	}))
	trusting := func(roots ...*x509.Certificate) *http.Transport {
		pool := x509.NewCertPool()
		for _, c := range roots {
			pool.AddCert(c)
		}
		return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	other := newTestCA(t, "other", nil, now.Add(-time.Hour), now.Add(time.Hour))
	rt := &rootsFallback{tries: []func() *http.Transport{
		func() *http.Transport { return nil },
		func() *http.Transport { return trusting(other.cert) },
	}, system: trusting(ca.cert)}

	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	resp, err := rt.RoundTrip(req)
	if err != nil || conns.Load() != 2 || len(bodies) != 1 || bodies[0] != "{}" {
		t.Fatalf("replayable body: %v, %d connections, bodies %q; want success on the second, body {}", err, conns.Load(), bodies)
	}
	resp.Body.Close()

	req, _ = http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("{}")))
	var certErr *tls.CertificateVerificationError
	if _, err := rt.RoundTrip(req); !errors.As(err, &certErr) || conns.Load() != 3 {
		t.Fatalf("body without GetBody: %v after %d connections; want the verification error after 3", err, conns.Load())
	}
}
