package main

// The roots an AWS call is verified against when AWS_CA_BUNDLE is not
// set: the system's, as crypto/x509 defines them, at a fraction of the
// cost of loading them.
//
// On Linux, crypto/x509's system pool is the first CA bundle file that
// exists (SSL_CERT_FILE replaces the list) plus every file of the
// certificate directories (/etc/ssl/certs, /etc/pki/tls/certs, or
// SSL_CERT_DIR). On Debian those hold each root again, one file each, and
// the bundle itself: about 435 certificates parsed, most of a run's CPU,
// to verify one chain that ends in one of four AWS roots. So a call is
// tried against a pool that trusts fewer roots, all taken from the system
// bundle, and tried again against a larger one each time the server's
// chain fails to verify, for any reason:
//
//  1. the bundle's AWS roots: a cheap look at each certificate's bytes
//     finds the four that name one, and crypto/x509 parses only those;
//  2. the whole bundle (a proxy that inspects TLS, the China and isolated
//     partitions, a custom endpoint);
//  3. crypto/x509's system pool: the bundle and the directories.
//
// Every try is crypto/tls's own verification, and each pool is part of
// the last, so the servers trusted are exactly the system pool's. A
// server that fails costs two more connections, and one whose chain ends
// in no AWS root one more.
//
// SSL_CERT_FILE reaches this file in the run's configuration, read once
// with the rest; crypto/x509 reads it again, and SSL_CERT_DIR, from the
// process's environment when the last try loads the system pool. In the
// program both are the environment kubelet gave it.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"runtime"
	"sync"
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

// awsRootName is in the certificates of the roots AWS's endpoints chain
// to: Amazon Trust Services' "Amazon Root CA 1" to "4" (the Amazon Trust
// Services repository lists them, with the Starfield Services root that
// cross-signs them for old trust stores; AWS's service endpoints use its
// certificates). It only chooses the roots tried first: a certificate
// that holds it by accident costs its parse, a root without it a try.
const awsRootName = "Amazon Root CA"

// bundleFirst returns t's round trips tried against the bundle's AWS
// roots, the whole bundle, then the system pool. certFile is
// SSL_CERT_FILE, which replaces the list of bundles as for crypto/x509.
// t is returned as it is where this does not apply: roots of its own
// (AWS_CA_BUNDLE), a system other than Linux (whose pool is not these
// files), or no bundle.
func bundleFirst(t *http.Transport, certFile string) http.RoundTripper {
	bundle := systemBundle(certFile)
	if t.TLSClientConfig.RootCAs != nil || runtime.GOOS != "linux" || bundle == "" {
		return t
	}
	return &rootsFallback{system: t, tries: []func() *http.Transport{
		sync.OnceValue(func() *http.Transport { return trusting(t, awsRoots(bundle)) }),
		sync.OnceValue(func() *http.Transport { return trusting(t, bundleRoots(bundle)) }),
	}}
}

// trusting is a copy of t that trusts pool alone, nil without a pool.
func trusting(t *http.Transport, pool *x509.CertPool) *http.Transport {
	if pool == nil {
		return nil
	}
	c := t.Clone()
	c.TLSClientConfig.RootCAs = pool
	return c
}

// systemBundle is the bundle crypto/x509 reads (only certFile when set):
// the first that exists, "" when none does. One that exists but cannot be
// read here leaves the roots to the last try, crypto/x509's own.
func systemBundle(certFile string) string {
	files := systemBundles
	if certFile != "" {
		files = []string{certFile}
	}
	for _, f := range files {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			return f
		}
	}
	return ""
}

// bundleRoots is the whole bundle, read as crypto/x509 reads it, or nil.
func bundleRoots(bundle string) *x509.CertPool {
	data, err := readFileBounded(bundle, maxCABundleBytes)
	pool := x509.NewCertPool()
	if err != nil || !pool.AppendCertsFromPEM(data) {
		return nil
	}
	return pool
}

// awsRoots returns the bundle's certificates that name an AWS root, or
// nil. The bundle is read line by line through one small buffer, and each
// PEM block's base64 decoded into one reused buffer and searched for the
// name; crypto/x509 parses the few that hold it. A block is taken only in
// a form crypto/x509 reads the same way (its markers on lines of their
// own, nothing but base64 between), so that the pool is part of the
// bundle's.
func awsRoots(bundle string) *x509.CertPool {
	f, err := os.Open(bundle)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxCABundleBytes))
	sc.Buffer(make([]byte, 32<<10), 32<<10) // lines of a bundle are 64 characters
	var pool *x509.CertPool
	var body, der []byte // body: the base64 of the block being read
	inBlock := false
	for sc.Scan() {
		switch line := sc.Bytes(); {
		case string(line) == "-----BEGIN CERTIFICATE-----":
			body, inBlock = body[:0], true
		case !inBlock:
		case string(line) == "-----END CERTIFICATE-----":
			inBlock = false
			var err error
			der, err = base64.StdEncoding.AppendDecode(der[:0], body)
			if err != nil || !bytes.Contains(der, []byte(awsRootName)) {
				continue
			}
			if cert, err := x509.ParseCertificate(bytes.Clone(der)); err == nil {
				if pool == nil {
					pool = x509.NewCertPool()
				}
				pool.AddCert(cert)
			}
		default:
			body = append(body, line...)
		}
	}
	return pool
}

// rootsFallback sends a request with each try's roots in turn, the next
// only when the server's chain failed to verify, and last with the
// system pool's.
type rootsFallback struct {
	tries  []func() *http.Transport // nil: a try without roots, skipped
	system *http.Transport
}

func (r *rootsFallback) RoundTrip(req *http.Request) (*http.Response, error) {
	for _, try := range r.tries {
		t := try()
		if t == nil {
			continue
		}
		resp, err := t.RoundTrip(req)
		var certErr *tls.CertificateVerificationError
		if err == nil || !errors.As(err, &certErr) {
			return resp, err
		}
		// The handshake failed before the request was written, but
		// RoundTrip closed its body: the next try gets a fresh one
		// (net/http sets GetBody for the in-memory bodies of AWS calls).
		if req.GetBody == nil && req.Body != nil && req.Body != http.NoBody {
			return nil, err
		}
		req = req.Clone(req.Context())
		if req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
	}
	return r.system.RoundTrip(req)
}
