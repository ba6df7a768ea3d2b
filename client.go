package main

// The HTTP side of every AWS API call (ECR and STS): TLS, proxy, no
// redirects, bounded reads, per-attempt timeouts, retries as the SDK's
// standard mode does them, and clock-skew correction (SPEC §3).

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

const (
	// attemptTimeout bounds one HTTP exchange with ECR or STS, body
	// included; the run's deadline bounds all of them together.
	attemptTimeout = 5 * time.Second

	// maxResponseBytes bounds every AWS response body. Real ones are a few KiB.
	maxResponseBytes = 1 << 20

	// maxCABundleBytes bounds the AWS_CA_BUNDLE file.
	maxCABundleBytes = 4 << 20

	// backoffBase and backoffMax shape the SDK's exponential backoff with
	// full jitter: attempt n waits a random time in [0, min(max, base·2ⁿ)).
	backoffBase = 500 * time.Millisecond
	backoffMax  = 5 * time.Second

	// skewThreshold is how far the server's Date must be from ours before
	// a skew error is blamed on our clock (the SDKs use about 4 minutes).
	skewThreshold = 4 * time.Minute
)

// retryableCodes are the AWS error codes the SDK's standard retry mode
// retries: timeouts and throttling (SPEC §3).
var retryableCodes = map[string]bool{
	"RequestTimeout": true, "RequestTimeoutException": true,
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "RequestLimitExceeded": true,
	"BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true,
	"EC2ThrottledException": true,
	// STS: the identity provider behind AssumeRoleWithWebIdentity did not answer.
	"IDPCommunicationError": true,
}

// skewCodes are the errors with which AWS refuses a request dated too far
// from its own clock (SPEC §3).
var skewCodes = map[string]bool{
	"InvalidSignatureException": true, "SignatureDoesNotMatch": true,
	"AuthFailure": true, "RequestTimeTooSkewed": true, "RequestExpired": true,
}

// clock is the run's time: the wall clock plus the skew learnt from AWS.
type clock struct {
	now  func() time.Time
	skew time.Duration
}

// Now returns the corrected time.
func (c *clock) Now() time.Time { return c.now().Add(c.skew) }

// awsClient sends AWS API calls for one run.
type awsClient struct {
	http        *http.Client
	maxAttempts int
	clock       *clock
	warn        func(string)
	skewFixed   bool
}

// awsRequest is one API call: POST to endpoint + "/" with header and body,
// signed when sign is set.
type awsRequest struct {
	operation   string // names the call in errors, e.g. "ECR GetAuthorizationToken"
	endpoint    string
	header      http.Header
	body        []byte
	sign        *signer
	decodeError func(body []byte) (code, message string)
}

// signer is what SigV4 needs besides the request.
type signer struct {
	creds           credentials
	region, service string
}

// apiError is an error answer from AWS. It never holds a successful body.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.status)
	if e.code != "" {
		s += " " + e.code
	}
	if e.message != "" {
		s += ": " + e.message
	}
	return s
}

// httpOptions is what differs between the program's HTTP clients (ECR and
// STS, instance metadata, container credentials); newHTTPClient holds the
// rules they share, in one place.
type httpOptions struct {
	timeout time.Duration  // each of: dial, TLS handshake, response headers
	proxy   bool           // HTTPS_PROXY, NO_PROXY; never for link-local or loopback agents
	roots   *x509.CertPool // nil: the system roots
	// control is the dialer's last word on the address it connects to.
	control func(network, address string, c syscall.RawConn) error
}

// newHTTPClient applies the rules every call shares: TLS 1.2 or later,
// verified; response headers bounded (bodies are read with readBody or
// readBounded); redirects refused, since one would carry a signed request,
// a session token or an authorization token to another host.
func newHTTPClient(o httpOptions) *http.Client {
	transport := &http.Transport{
		DialContext:            (&net.Dialer{Timeout: o.timeout, Control: o.control}).DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: o.roots},
		TLSHandshakeTimeout:    o.timeout,
		ResponseHeaderTimeout:  o.timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	if o.proxy {
		transport.Proxy = http.ProxyFromEnvironment // net/http reads the variables itself
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// newAWSHTTPClient is the client for ECR and STS: through the proxy the
// environment names, verified against caBundle (AWS_CA_BUNDLE) or else the
// system roots, tried cheapest first (roots.go; certFile is SSL_CERT_FILE).
func newAWSHTTPClient(caBundle, certFile string) (*http.Client, error) {
	o := httpOptions{timeout: attemptTimeout, proxy: true}
	if caBundle != "" {
		pool, err := loadCABundle(caBundle)
		if err != nil {
			return nil, err
		}
		o.roots = pool
	}
	hc := newHTTPClient(o)
	hc.Transport = bundleFirst(hc.Transport.(*http.Transport), certFile)
	return hc, nil
}

// loadCABundle reads the PEM file named by AWS_CA_BUNDLE.
func loadCABundle(path string) (*x509.CertPool, error) {
	data, err := readFileBounded(path, maxCABundleBytes)
	if err != nil {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("AWS_CA_BUNDLE: no PEM certificate in %q", path)
	}
	return pool, nil
}

// send makes the call, retrying what the SDK's standard mode retries, and
// returns the body of a 2xx answer.
func (c *awsClient) send(ctx context.Context, r awsRequest) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		body, err := c.attempt(ctx, r)
		if err != nil && c.correctSkew(err) {
			body, err = c.attempt(ctx, r)
		}
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil || !retryable(err) || attempt >= c.maxAttempts || !sleep(ctx, backoff(attempt)) {
			return nil, failure(ctx, r, attempt, err)
		}
	}
}

// failure is the error of a call that gave up: what was called, and, for
// a network failure, how long it was tried and what to check.
func failure(ctx context.Context, r awsRequest, attempts int, err error) error {
	host := endpointHost(r.endpoint)
	var ne *netError
	var ae *apiError
	switch {
	case ctx.Err() != nil && errors.As(err, &ae):
		// Every attempt was answered: routes and firewalls are fine.
		return fmt.Errorf("%s at %s: the run's %v deadline passed after %d attempt(s), each answered with an error; the last: %w", r.operation, host, runTimeout, attempts, err)
	case ctx.Err() != nil:
		return fmt.Errorf("%s at %s: no answer before the run's %v deadline (%d attempt(s); check that this node can reach %s: routes, firewalls, HTTPS_PROXY and NO_PROXY): %w", r.operation, host, runTimeout, attempts, host, err)
	case errors.As(err, &ne):
		return fmt.Errorf("%s at %s: %d attempt(s) failed (check that this node can reach %s: routes, firewalls, HTTPS_PROXY and NO_PROXY): %w", r.operation, host, attempts, host, err)
	}
	return fmt.Errorf("%s at %s: %w", r.operation, host, err)
}

// skewedError is an apiError about our clock, with the server's time.
type skewedError struct {
	*apiError
	serverTime time.Time
}

// Unwrap exposes the apiError, so that hints and retry rules see it.
func (e *skewedError) Unwrap() error { return e.apiError }

// correctSkew adopts the server's clock after a skew error, once per run,
// and warns that the node's clock is off (SPEC §3).
func (c *awsClient) correctSkew(err error) bool {
	var se *skewedError
	if c.skewFixed || !errors.As(err, &se) {
		return false
	}
	skew := se.serverTime.Sub(c.clock.now())
	if skew.Abs() < skewThreshold {
		return false
	}
	c.skewFixed = true
	c.clock.skew = skew
	c.warn(fmt.Sprintf("warning: this node's clock is about %v off AWS's; signing with AWS's time (fix the node's time sync)", skew.Round(time.Minute)))
	return true
}

// attempt makes one HTTP exchange under its own timeout.
func (c *awsClient) attempt(ctx context.Context, r awsRequest) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.endpoint+"/", bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	for name, values := range r.header {
		req.Header[name] = values
	}
	if r.sign != nil {
		signRequest(req, hexSHA256(r.body), r.sign.creds, r.sign.region, r.sign.service, c.clock.Now())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &netError{err}
	}
	defer resp.Body.Close()
	return readResponse(resp, r.decodeError)
}

// readResponse returns a 2xx body, or the error the answer carries.
func readResponse(resp *http.Response, decodeError func([]byte) (string, string)) ([]byte, error) {
	body, err := readBody(resp, maxResponseBytes)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return body, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		// Only the host: a Location's path and query may carry tokens.
		return nil, fmt.Errorf("HTTP %d redirect to host %s refused: redirects are never followed", resp.StatusCode, shortQuote(locationHost(resp)))
	}
	code, message := decodeError(body)
	if h := resp.Header.Get("X-Amzn-ErrorType"); h != "" {
		code = h
	}
	e := &apiError{status: resp.StatusCode, code: cleanCode(code), message: cleanMessage(message)}
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil && skewCodes[e.code] {
		return nil, &skewedError{e, date}
	}
	return nil, e
}

// withHint adds to err what to check, hint's answer for the AWS error code
// err carries, if any.
func withHint(err error, hint func(code string) string) error {
	var ae *apiError
	if errors.As(err, &ae) && hint(ae.code) != "" {
		return fmt.Errorf("%w (%s)", err, hint(ae.code))
	}
	return err
}

// locationHost is the host a redirect points to, "" when it names none.
func locationHost(resp *http.Response) string {
	if u, err := resp.Location(); err == nil {
		return u.Host
	}
	return ""
}

// cleanCode normalises an AWS error code: cut at the first ':' and keep
// what follows a '#' (SPEC §3), e.g.
// "aws.protocoltests#ThrottlingException:http://…" → "ThrottlingException".
func cleanCode(code string) string {
	code, _, _ = strings.Cut(code, ":")
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return cleanMessage(code)
}

// netError is a failure to get an answer at all: connection refused or
// reset, DNS failure, a timeout, a body cut short.
type netError struct{ err error }

// Error leaves out the URL that net/http puts in front: the hosts are
// named by the callers, and a configured URL's query may carry a token.
func (e *netError) Error() string {
	var ue *url.Error
	if errors.As(e.err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return e.err.Error()
}
func (e *netError) Unwrap() error { return e.err }

// retryable reports whether the SDK's standard mode would retry err:
// throttling and timeout codes, 5xx statuses it names, 429, and
// connection errors other than a failed TLS verification.
func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return slices.Contains([]int{429, 500, 502, 503, 504}, ae.status) || retryableCodes[ae.code]
	}
	var ne *netError
	if !errors.As(err, &ne) {
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	return !errors.As(err, &certErr) && !errors.As(err, &unknownAuthority) && !errors.As(err, &hostErr)
}

// backoff is the wait before retry n (1-based): full jitter, so that a
// fleet of nodes throttled together does not retry in lockstep.
func backoff(n int) time.Duration {
	ceiling := min(backoffMax, backoffBase<<(n-1))
	return rand.N(ceiling)
}

// sleep waits d, or less if ctx ends first; it reports whether ctx is alive.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// endpointHost is the host of an endpoint URL, for error messages.
func endpointHost(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return endpoint
}

// readBody reads a response body: a body over max is an answer, not a
// network failure, so only the latter is a netError (and retried).
func readBody(resp *http.Response, max int64) ([]byte, error) {
	body, err := readBounded(resp.Body, max)
	var tooLarge *tooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("HTTP %d with a body %w", resp.StatusCode, err)
	case err != nil:
		return nil, &netError{err}
	}
	return body, nil
}

// runTimeout is the whole run's deadline. kubelet kills the plugin after
// one minute; a third of that leaves room for a slow node.
const runTimeout = 20 * time.Second

// workTimeout bounds the run's context: a second inside the watchdog that
// enforces runTimeout, so that a call the context can stop reports its own
// error rather than the watchdog's.
const workTimeout = runTimeout - time.Second
