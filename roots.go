package main

// The roots an AWS call is verified against when AWS_CA_BUNDLE is not
// set: the system's, as crypto/x509 defines them, loaded at a third of
// the cost.
//
// On Linux, crypto/x509's system pool is the first CA bundle file that
// exists (SSL_CERT_FILE replaces the list) plus every file of the
// certificate directories (/etc/ssl/certs, /etc/pki/tls/certs, or
// SSL_CERT_DIR). On Debian that directory holds each root again, one file
// each, and the bundle itself: about 435 certificates parsed, most of a
// run's CPU, to verify one chain. The bundle alone holds every root a
// distribution trusts (update-ca-certificates and update-ca-trust build it
// from the same sources), so the first try trusts the bundle alone, and a
// server it does not verify for any reason is tried once more against the
// full system pool before the call fails. Both tries are crypto/tls's own
// verification; the servers trusted are exactly the system pool's.

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io/fs"
	"net/http"
	"runtime"
)

// systemBundles are the CA bundle files crypto/x509 reads on Linux, in its
// order; it takes the first it can read (root_linux.go in Go's source).
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine
}

// bundleFirst returns t's round trips verified against the system bundle
// first, then, on a failed verification, against the full system pool.
// certFile is SSL_CERT_FILE, which replaces the list as for crypto/x509.
// t is returned as it is where this does not apply: roots of its own
// (AWS_CA_BUNDLE), a system other than Linux (whose pool is not these
// files), or no readable bundle.
func bundleFirst(t *http.Transport, certFile string) http.RoundTripper {
	if t.TLSClientConfig.RootCAs != nil || runtime.GOOS != "linux" {
		return t
	}
	pool := loadSystemBundle(certFile)
	if pool == nil {
		return t
	}
	first := t.Clone()
	first.TLSClientConfig.RootCAs = pool
	return &rootsFallback{bundle: first, system: t}
}

// loadSystemBundle parses the bundle crypto/x509 would read (only
// certFile when set), or returns nil to leave the roots to crypto/x509:
// when none exists, or the one it would read cannot be read or parsed here.
func loadSystemBundle(certFile string) *x509.CertPool {
	files := systemBundles
	if certFile != "" {
		files = []string{certFile}
	}
	for _, f := range files {
		data, err := readFileBounded(f, maxCABundleBytes)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(data) {
			return nil
		}
		return pool
	}
	return nil
}

// rootsFallback sends a request with the bundle's roots, and once more
// with the system pool's when the server's chain failed to verify.
type rootsFallback struct{ bundle, system *http.Transport }

func (r *rootsFallback) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.bundle.RoundTrip(req)
	var certErr *tls.CertificateVerificationError
	if err == nil || !errors.As(err, &certErr) {
		return resp, err
	}
	// The handshake failed before the request was written, but RoundTrip
	// has closed its body: send a fresh one (net/http sets GetBody for
	// the in-memory bodies of AWS calls).
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	} else if req.Body != nil && req.Body != http.NoBody {
		return nil, err
	}
	return r.system.RoundTrip(again)
}
