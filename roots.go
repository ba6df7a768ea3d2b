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
// to verify one chain that ends in one of five AWS roots. So a call is
// tried against a pool that trusts fewer roots, all taken from the system
// bundle, and tried again against a larger one each time the server's
// chain fails to verify, for any reason:
//
//  1. the bundle's AWS roots: a cheap look at each certificate's bytes
//     finds the few that name one, and crypto/x509 parses only those;
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
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io/fs"
	"net/http"
	"runtime"
	"slices"
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

// awsRootNames are in the certificates of the roots AWS's endpoints chain
// to: Amazon Trust Services' "Amazon Root CA 1" to "4", cross-signed by
// "Starfield Services Root Certificate Authority - G2", itself once
// cross-signed by Starfield Class 2 (the Amazon Trust Services repository
// lists the five roots; AWS's service endpoints use its certificates).
// They only choose which roots are tried first: a certificate that
// matches by accident costs its parse, one that does not costs a try.
var awsRootNames = [][]byte{[]byte("Amazon Root CA"), []byte("Starfield")}

// bundleFirst returns t's round trips tried against the bundle's AWS
// roots, the whole bundle, then the system pool. certFile is
// SSL_CERT_FILE, which replaces the list of bundles as for crypto/x509.
// t is returned as it is where this does not apply: roots of its own
// (AWS_CA_BUNDLE), a system other than Linux (whose pool is not these
// files), or no bundle that can be read here.
func bundleFirst(t *http.Transport, certFile string) http.RoundTripper {
	if t.TLSClientConfig.RootCAs != nil || runtime.GOOS != "linux" {
		return t
	}
	bundle := readSystemBundle(certFile)
	if bundle == nil {
		return t
	}
	trusting := func(pool func() *x509.CertPool) func() *http.Transport {
		return sync.OnceValue(func() *http.Transport {
			p := pool()
			if p == nil {
				return nil
			}
			c := t.Clone()
			c.TLSClientConfig.RootCAs = p
			return c
		})
	}
	return &rootsFallback{system: t, tries: []func() *http.Transport{
		trusting(func() *x509.CertPool { return awsRoots(bundle) }),
		trusting(func() *x509.CertPool {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(bundle) {
				return nil
			}
			return pool
		}),
	}}
}

// readSystemBundle reads the bundle crypto/x509 would read (only certFile
// when set), or returns nil to leave the roots to crypto/x509: when none
// exists, or the one it would read cannot be read here.
func readSystemBundle(certFile string) []byte {
	files := systemBundles
	if certFile != "" {
		files = []string{certFile}
	}
	for _, f := range files {
		data, err := readFileBounded(f, maxCABundleBytes)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil
		}
		return data
	}
	return nil
}

// awsRoots returns the bundle's certificates that name an AWS root, or
// nil. Each PEM block is decoded into one reused buffer and searched for
// the names; crypto/x509 reads the few blocks that match, as it reads the
// whole bundle. A block is taken only in the strict form (its markers on
// lines of their own, nothing but base64 between) in which crypto/x509
// takes it too, so that the pool is part of the bundle's.
func awsRoots(bundle []byte) *x509.CertPool {
	begin, end := []byte("-----BEGIN CERTIFICATE-----\n"), []byte("\n-----END CERTIFICATE-----")
	var pool *x509.CertPool
	var der []byte
	for {
		i := bytes.Index(bundle, begin)
		if i < 0 {
			return pool
		}
		j := bytes.Index(bundle[i:], end)
		if j < 0 {
			return pool
		}
		block, body, rest := bundle[i:i+j+len(end)], bundle[i+len(begin):i+j], bundle[i+j+len(end):]
		atLineStart := i == 0 || bundle[i-1] == '\n'
		atLineEnd := len(rest) == 0 || rest[0] == '\n'
		bundle = rest
		der = slices.Grow(der[:0], base64.StdEncoding.DecodedLen(len(body)))
		n, err := base64.StdEncoding.Decode(der[:cap(der)], body) // skips newlines
		if err != nil || !atLineStart || !atLineEnd || !namesAWSRoot(der[:n]) {
			continue
		}
		if pool == nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM(block)
	}
}

// namesAWSRoot reports whether a certificate's bytes hold an AWS root's name.
func namesAWSRoot(der []byte) bool {
	return slices.ContainsFunc(awsRootNames, func(name []byte) bool { return bytes.Contains(der, name) })
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
		if req, err = resend(req, err); err != nil {
			return nil, err
		}
	}
	return r.system.RoundTrip(req)
}

// resend is req to send again after err, a failed handshake: the request
// was not written, but RoundTrip has closed its body, so it gets a fresh
// one (net/http sets GetBody for the in-memory bodies of AWS calls). A
// body that cannot be read again leaves err as the answer.
func resend(req *http.Request, err error) (*http.Request, error) {
	again := req.Clone(req.Context())
	switch {
	case req.GetBody != nil:
		again.Body, err = req.GetBody()
		return again, err
	case req.Body != nil && req.Body != http.NoBody:
		return nil, err
	}
	return again, nil
}
