package main

// Container credentials (ECS task roles and EKS Pod Identity, SPEC §5.4),
// following aws-sdk-go-v2 (config/resolve_credentials.go,
// credentials/endpointcreds) except where noted.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

const (
	// containerHost is the ECS agent's credentials endpoint, the base of
	// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (SPEC §5.4).
	containerHost = "169.254.170.2"

	// containerAttemptTimeout bounds one GET, body included. The endpoint
	// is a local agent that answers in milliseconds.
	containerAttemptTimeout = 2 * time.Second

	// containerMaxAttempts is how many GETs one fetch may make.
	containerMaxAttempts = 3

	// maxContainerResponseBytes bounds the endpoint's answer; real ones
	// are under 4 KiB.
	maxContainerResponseBytes = 64 << 10

	// maxContainerTokenBytes bounds AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
	// the EKS Pod Identity token is a service account JWT of 1–2 KiB.
	maxContainerTokenBytes = 16 << 10
)

// containerConfig is the environment's say on container credentials, read
// once at the start of the run.
type containerConfig struct {
	relativeURI   string // AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
	fullURI       string // AWS_CONTAINER_CREDENTIALS_FULL_URI
	authToken     string // AWS_CONTAINER_AUTHORIZATION_TOKEN
	authTokenFile string // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
}

// loadContainerConfig reads the container credential variables.
func loadContainerConfig(getenv func(string) string) containerConfig {
	return containerConfig{
		relativeURI:   getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
		fullURI:       getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
		authToken:     getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
		authTokenFile: getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
	}
}

// containerCredentials GETs the credentials from the configured endpoint.
func containerCredentials(ctx context.Context, cfg containerConfig, now func() time.Time) (credentials, error) {
	endpoint, err := containerURL(cfg)
	if err != nil {
		return credentials{}, err
	}
	token, err := containerAuthorization(cfg)
	if err != nil {
		return credentials{}, err
	}
	// Anything not https gets the plain-http dial check.
	client := newContainerHTTPClient(!strings.HasPrefix(strings.ToLower(endpoint), "https:"))
	body, err := fetchContainerCredentials(ctx, client, endpoint, token)
	if err != nil {
		return credentials{}, err
	}
	creds, err := parseContainerCredentials(body, now())
	if err != nil {
		return credentials{}, fmt.Errorf("answer from %s: %w", endpointHost(endpoint), err)
	}
	return creds, nil
}

// containerURL is the URL to GET. The relative URI wins when both are set,
// as in the SDKs' shared container-credentials rules (aws-sdk-go-v2's
// profile chain tried the full URI first; its credential_source path and
// the other SDKs do not). A set but invalid URI is an error, never a
// reason to fall back to the other.
func containerURL(cfg containerConfig) (string, error) {
	if cfg.relativeURI != "" {
		return containerRelativeURL(cfg.relativeURI)
	}
	return containerFullURL(cfg.fullURI)
}

// containerRelativeURL appends AWS_CONTAINER_CREDENTIALS_RELATIVE_URI to
// http://169.254.170.2 (SPEC §5.4). The SDK concatenates blindly; we make
// sure the value is a path, so that no value can move the request (and
// its Authorization header) to another host: "@evil.com/", "//evil" and
// ".evil.com/" all fail here.
func containerRelativeURL(path string) (string, error) {
	const name = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return "", fmt.Errorf("invalid %s: want a path that starts with a single /", name)
	}
	if err := checkURIBytes(name, path); err != nil {
		return "", err
	}
	raw := "http://" + containerHost + path
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host != containerHost || u.User != nil {
		return "", fmt.Errorf("invalid %s: not a URL path", name)
	}
	return raw, nil
}

// containerFullURL checks AWS_CONTAINER_CREDENTIALS_FULL_URI (SPEC §5.4):
// https to any host, plain http only to a host where the token cannot be
// overheard on the way: loopback, the ECS agent or the EKS Pod Identity
// agent.
func containerFullURL(raw string) (string, error) {
	const name = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	if err := checkURIBytes(name, raw); err != nil {
		return "", err
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || u.Host == "" || u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("invalid %s: want an absolute http:// or https:// URL", name)
	case u.User != nil:
		// Not quoted: the user information may hold a password.
		return "", fmt.Errorf("invalid %s: user information in the URL is not allowed", name)
	case u.Scheme == "http" && !plainHTTPHostAllowed(u.Hostname()):
		return "", fmt.Errorf("invalid %s: plain http is allowed only to loopback, %s, 169.254.170.23 or fd00:ec2::23, not %s; use https", name, containerHost, shortQuote(u.Hostname()))
	}
	return raw, nil
}

// checkURIBytes refuses bytes that url.Parse would accept and reshape, or
// that have no business in a URI: controls, spaces, non-ASCII, '\' (which
// some parsers read as '/') and '#' (a fragment is never sent).
func checkURIBytes(name, value string) error {
	if i := slices.IndexFunc([]byte(value), func(c byte) bool { return c <= ' ' || c >= 0x7f || c == '\\' || c == '#' }); i >= 0 {
		return fmt.Errorf("invalid %s: character %q at byte %d not allowed", name, value[i], i)
	}
	return nil
}

// plainHTTPHostAllowed reports whether a URL host may be reached over
// plain http (SPEC §5.4). IP literals are checked here, and the name
// "localhost" is let through without a lookup (the SDK resolves names and
// requires every address to be allowed); the dialer then checks the
// address it actually connects to, so no DNS answer can widen the list.
func plainHTTPHostAllowed(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && plainHTTPAddrAllowed(addr)
}

// plainHTTPAddrAllowed is the address allow-list for plain http: loopback
// (127.0.0.0/8, ::1), the ECS agent 169.254.170.2, and the EKS Pod
// Identity agent 169.254.170.23 and fd00:ec2::23.
func plainHTTPAddrAllowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	s := addr.String()
	return addr.Zone() == "" && (addr.IsLoopback() || s == containerHost || s == "169.254.170.23" || s == "fd00:ec2::23")
}

// checkPlainHTTPDial is the dialer's last word for plain http: the address
// being connected to, after any name resolution, must be allowed.
func checkPlainHTTPDial(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !plainHTTPAddrAllowed(ap.Addr()) {
		return &dialRefusedError{address}
	}
	return nil
}

// dialRefusedError is checkPlainHTTPDial's refusal. Retrying cannot help.
type dialRefusedError struct{ address string }

func (e *dialRefusedError) Error() string {
	return fmt.Sprintf("plain http to %s is not allowed (only loopback, %s, 169.254.170.23 or fd00:ec2::23)", shortQuote(e.address), containerHost)
}

// containerAuthorization is the Authorization header value (SPEC §5.4):
// the token file, read now (EKS rotates it), else the token variable.
// As in the SDK nothing is trimmed, so a file that ends in a newline is
// refused like any other token with CR or LF. Unlike the SDK, an empty
// token file is an error: the agent would only answer 401.
func containerAuthorization(cfg containerConfig) (string, error) {
	token, from := cfg.authToken, "AWS_CONTAINER_AUTHORIZATION_TOKEN"
	if cfg.authTokenFile != "" {
		data, err := readFileBounded(cfg.authTokenFile, maxContainerTokenBytes)
		if err != nil {
			return "", fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
		}
		if len(data) == 0 {
			return "", fmt.Errorf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %q is empty", cfg.authTokenFile)
		}
		token, from = string(data), fmt.Sprintf("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %q", cfg.authTokenFile)
	}
	// The token itself never goes into an error.
	if strings.ContainsAny(token, "\r\n") {
		return "", fmt.Errorf("the authorization token from %s contains CR or LF (a trailing newline counts), which cannot go into an HTTP header", from)
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
		return "", fmt.Errorf("the authorization token from %s contains a control character, which cannot go into an HTTP header", from)
	}
	return token, nil
}

// newContainerHTTPClient is the client for the credentials endpoint. No
// proxy: the endpoint is a local agent (loopback or link-local) that a
// proxy could not reach, and the Authorization token should not travel
// further than it must. For plain http the dialer refuses any address
// outside the allow-list.
func newContainerHTTPClient(plainHTTP bool) *http.Client {
	o := httpOptions{timeout: containerAttemptTimeout}
	if plainHTTP {
		o.control = checkPlainHTTPDial
	}
	return newHTTPClient(o)
}

// fetchContainerCredentials GETs endpoint and returns a 2xx body. It
// tries up to containerMaxAttempts times on a 5xx, a 429 or a failed
// connection, all within ctx. A timed-out attempt is not retried: an agent
// that did not answer in 2 seconds will not answer the next time, and the
// run's deadline is better spent reporting that.
func fetchContainerCredentials(ctx context.Context, client *http.Client, endpoint, token string) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		body, err := containerAttempt(ctx, client, endpoint, token)
		if err == nil {
			return body, nil
		}
		if attempt >= containerMaxAttempts || !containerRetryable(err) || !sleep(ctx, backoff(attempt)) {
			return nil, fmt.Errorf("GET credentials from %s (attempt %d): %w", endpointHost(endpoint), attempt, err)
		}
	}
}

// containerAttempt is one GET under its own timeout. It returns a 2xx
// body, or the error the answer carries as {"code","message"}
// (endpointcreds' error shape). A 2xx body never goes into an error.
func containerAttempt(ctx context.Context, client *http.Client, endpoint, token string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, containerAttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, errors.New("cannot build the request")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, &netError{err}
	}
	defer resp.Body.Close()
	body, err := readBody(resp, maxContainerResponseBytes)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return body, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, fmt.Errorf("HTTP %d redirect refused: redirects are never followed", resp.StatusCode)
	}
	var e struct{ Code, Message string }
	json.Unmarshal(body, &e) // a body that is not the error shape leaves both empty
	return nil, &apiError{status: resp.StatusCode, code: cleanMessage(e.Code), message: cleanMessage(e.Message)}
}

// containerRetryable reports a failure worth another GET: the agent is
// restarting or busy, or the connection failed other than by timing out.
func containerRetryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status == http.StatusTooManyRequests || ae.status >= 500
	}
	var ne *netError
	var refused *dialRefusedError
	if !errors.As(err, &ne) || errors.As(err, &refused) {
		return false
	}
	var timeout interface{ Timeout() bool }
	return !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &timeout) && timeout.Timeout())
}

// parseContainerCredentials reads the endpoint's answer (SPEC §5.4):
// {"AccessKeyId","SecretAccessKey","Token","Expiration"}, Token and
// Expiration optional as in endpointcreds. Credentials already expired at
// now are refused.
func parseContainerCredentials(body []byte, now time.Time) (credentials, error) {
	var doc struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		Token           string
		Expiration      *string
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return credentials{}, fmt.Errorf("credentials are %s", describeJSONError(err))
	}
	c := credentials{AccessKeyID: doc.AccessKeyID, SecretAccessKey: doc.SecretAccessKey, SessionToken: doc.Token}
	return finishCredentials(c, doc.Expiration, now)
}
