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

// TestEndToEndSystemRoots runs the binary against an ECR whose CA is in
// the system bundle (SSL_CERT_FILE), the certificate directory
// (SSL_CERT_DIR), both, or neither: the servers trusted are exactly those
// crypto/x509's system pool trusts, and a server the bundle alone does
// not verify costs one more connection, never a failure it would not
// have had.
func TestEndToEndSystemRoots(t *testing.T) {
	now := time.Now()
	server := newTestCA(t, "test root", nil, now.Add(-time.Hour), now.Add(time.Hour))
	expired := newTestCA(t, "test root", server.key, now.Add(-2*time.Hour), now.Add(-time.Hour))
	other := newTestCA(t, "other root", nil, now.Add(-time.Hour), now.Add(time.Hour))
	// The roots each case puts where: "server" is the CA of the server's
	// certificate (the proxy's, through a proxy), "expired" the same CA
	// (name and key) expired, "other" an unrelated one.
	tests := []struct {
		name        string
		bundle, dir string // in SSL_CERT_FILE and in a file of SSL_CERT_DIR
		awsCABundle string // in AWS_CA_BUNDLE, when set
		serverName  string // the name in the server's certificate
		proxy       bool   // through HTTPS_PROXY to ECR's own host name
		wantConns   int
		wantErr     string // "" for success
	}{
		{"CA in the bundle", "server", "", "", "127.0.0.1", false, 1, ""},
		{"CA in the bundle, through a proxy", "server", "", "", "", true, 1, ""},
		{"CA only in the directory", "other", "server", "", "127.0.0.1", false, 2, ""},
		{"CA only in the directory, through a proxy", "other", "server", "", "", true, 2, ""},
		{"expired root in the bundle, valid one in the directory", "expired", "server", "", "127.0.0.1", false, 2, ""},
		{"expired root only", "expired", "", "", "127.0.0.1", false, 2, "expired"},
		{"name mismatch", "server", "server", "", "127.0.0.2", false, 2, "valid for 127.0.0.2, not 127.0.0.1"},
		{"unknown CA", "other", "other", "", "127.0.0.1", false, 2, "unknown authority"},
		{"no bundle", "", "server", "", "127.0.0.1", false, 1, ""},
		{"AWS_CA_BUNDLE trusts its CA", "other", "", "server", "127.0.0.1", false, 1, ""},
		{"AWS_CA_BUNDLE replaces the system roots", "server", "server", "other", "127.0.0.1", false, 1, "unknown authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ecr := newFakeECR(t)
			env := map[string]string{"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey}
			roots := map[string][]byte{"expired": expired.pem(), "other": other.pem()}
			var conns func() int
			if tt.proxy {
				proxy := newMITMProxy(t, ecr)
				env["HTTPS_PROXY"] = proxy.URL
				roots["server"], _ = os.ReadFile(proxy.CABundle)
				conns = func() int { return len(proxy.Connects()) }
			} else {
				srv, n := server.serve(t, tt.serverName, ecr)
				env["AWS_ENDPOINT_URL_ECR"] = srv.URL
				roots["server"] = server.pem()
				conns = func() int { return int(n.Load()) }
			}
			dir := t.TempDir()
			env["SSL_CERT_DIR"] = filepath.Join(dir, "certs")
			os.Mkdir(env["SSL_CERT_DIR"], 0o755)
			if tt.bundle != "" {
				env["SSL_CERT_FILE"] = writeFile(t, dir, "bundle.crt", roots[tt.bundle])
			} else {
				env["SSL_CERT_FILE"] = filepath.Join(dir, "none.crt")
			}
			if tt.dir != "" {
				writeFile(t, env["SSL_CERT_DIR"], "root.pem", roots[tt.dir])
			}
			if tt.awsCABundle != "" {
				env["AWS_CA_BUNDLE"] = writeFile(t, dir, "aws-ca.pem", roots[tt.awsCABundle])
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

// TestLoadSystemBundle: the bundle is left to crypto/x509 (nil) unless it
// can be read and parsed here, within the bound.
func TestLoadSystemBundle(t *testing.T) {
	now := time.Now()
	ca := newTestCA(t, "test root", nil, now.Add(-time.Hour), now.Add(time.Hour))
	dir := t.TempDir()
	tests := []struct {
		name, file string
		wantCerts  int
	}{
		{"a bundle", writeFile(t, dir, "ok.crt", append(ca.pem(), newTestCA(t, "second", nil, now, now.Add(time.Hour)).pem()...)), 2},
		{"missing", filepath.Join(dir, "missing.crt"), 0},
		{"no PEM", writeFile(t, dir, "garbage.crt", []byte("not a certificate\n")), 0},
		{"over the bound", writeFile(t, dir, "huge.crt", append(ca.pem(), make([]byte, maxCABundleBytes)...)), 0},
		{"a directory", dir, 0},
	}
	for _, tt := range tests {
		got := 0 // nil: left to crypto/x509
		if pool := loadSystemBundle(tt.file); pool != nil {
			got = len(pool.Subjects())
		}
		if got != tt.wantCerts {
			t.Errorf("%s: loadSystemBundle(%q) has %d roots, want %d", tt.name, tt.file, got, tt.wantCerts)
		}
	}
}

// TestRootsFallbackBody: the second try sends the request's body again,
// and a request whose body cannot be read again is not tried twice.
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
	rt := &rootsFallback{bundle: trusting(other.cert), system: trusting(ca.cert)}

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
