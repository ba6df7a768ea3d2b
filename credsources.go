package main

// Two links of the AWS default credential chain (SPEC §5): container
// credentials (ECS task roles and EKS Pod Identity, SPEC §5.4) and a
// profile's credential_process (SPEC §5.3). Both follow aws-sdk-go-v2
// (config/resolve_credentials.go, credentials/endpointcreds,
// credentials/processcreds) except where noted.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os/exec"
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

	// processTimeout bounds a credential_process run. The SDK allows a
	// minute, but kubelet kills the whole plugin after one, and the run
	// still needs time for ECR afterwards.
	processTimeout = 10 * time.Second

	// processWaitDelay is how long to wait, after killing a
	// credential_process, for a descendant that escaped the kill to
	// release stdout and stderr.
	processWaitDelay = time.Second

	// maxProcessOutputBytes bounds what a credential_process may print on
	// stdout; more is an error and the process is killed.
	maxProcessOutputBytes = 64 << 10

	// maxProcessStderrBytes is how much of a credential_process's stderr
	// reaches ours; the rest is dropped.
	maxProcessStderrBytes = 64 << 10
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

// containerSource is the container link of the chain (SPEC §5.4). It has
// nothing to offer when neither URI is set; once one is, every failure is
// reported rather than skipped.
func containerSource(cfg containerConfig, now func() time.Time) credentialSource {
	return credentialSource{name: "container credentials", fetch: func(ctx context.Context) (credentials, error) {
		if cfg.relativeURI == "" && cfg.fullURI == "" {
			return credentials{}, &notConfigured{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set"}
		}
		return containerCredentials(ctx, cfg, now)
	}}
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
		return "", fmt.Errorf("invalid %s %s: want a path that starts with a single /", name, shortQuote(path))
	}
	if err := checkURIBytes(name, path); err != nil {
		return "", err
	}
	raw := "http://" + containerHost + path
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host != containerHost || u.User != nil {
		return "", fmt.Errorf("invalid %s %s: not a URL path", name, shortQuote(path))
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
	for i := 0; i < len(value); i++ {
		if c := value[i]; c <= ' ' || c >= 0x7f || c == '\\' || c == '#' {
			return fmt.Errorf("invalid %s: character %q at byte %d not allowed", name, c, i)
		}
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
	if addr.Zone() != "" {
		return false
	}
	switch addr.String() {
	case containerHost, "169.254.170.23", "fd00:ec2::23":
		return true
	}
	return addr.IsLoopback()
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
// further than it must. TLS 1.2 or later against the system roots;
// redirects refused, since one would carry the token elsewhere. For plain
// http the dialer refuses any address outside the allow-list.
func newContainerHTTPClient(plainHTTP bool) *http.Client {
	dialer := &net.Dialer{Timeout: containerAttemptTimeout}
	if plainHTTP {
		dialer.Control = checkPlainHTTPDial
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    containerAttemptTimeout,
			ResponseHeaderTimeout:  containerAttemptTimeout,
			MaxResponseHeaderBytes: 64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// fetchContainerCredentials GETs endpoint and returns a 2xx body. It
// tries up to containerMaxAttempts times on a 5xx, a 429 or a failed
// connection, all within ctx. A timed-out attempt is not retried: an agent
// that did not answer in 2 seconds will not answer the next time, and the
// run's deadline is better spent reporting that.
func fetchContainerCredentials(ctx context.Context, client *http.Client, endpoint, token string) ([]byte, error) {
	host := endpointHost(endpoint)
	for attempt := 1; ; attempt++ {
		body, err := containerAttempt(ctx, client, endpoint, token)
		if err == nil {
			return body, nil
		}
		if attempt >= containerMaxAttempts || !containerRetryable(err) || !sleep(ctx, backoff(attempt)) {
			return nil, fmt.Errorf("GET credentials from %s (attempt %d): %w", host, attempt, err)
		}
	}
}

// containerAttempt is one GET under its own timeout.
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
	return readContainerResponse(resp)
}

// readContainerResponse returns a 2xx body, or the error the answer
// carries as {"code","message"} (endpointcreds' error shape). A 2xx body
// never goes into an error.
func readContainerResponse(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxContainerResponseBytes+1))
	if err != nil {
		return nil, &netError{err}
	}
	switch {
	case len(body) > maxContainerResponseBytes:
		return nil, fmt.Errorf("HTTP %d with a body larger than %d bytes", resp.StatusCode, maxContainerResponseBytes)
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

// describeJSONError says what is wrong with a JSON document without
// quoting any of it: the document holds secrets.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON (syntax error at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("not the expected JSON object (field %s is not a %s)", typ.Field, typ.Type)
	}
	return "not the expected JSON object"
}

// processCredentials runs a profile's credential_process and reads its
// stdout (SPEC §5.3). As in the SDK on Unix the command goes to `sh -c`
// and inherits our whole environment (kubelet's plus the provider
// config's env). Its stdin is empty: ours held kubelet's request, and no
// one is there to answer a prompt. Its stderr passes through to ours, up
// to maxProcessStderrBytes; its stdout is never printed or quoted. It may
// run for processTimeout, or less if ctx ends first.
func processCredentials(ctx context.Context, command string, stderr io.Writer, now func() time.Time) (credentials, error) {
	if strings.TrimSpace(command) == "" {
		return credentials{}, errors.New("credential_process is empty")
	}
	out, err := runCredentialProcess(ctx, command, stderr, processTimeout)
	if err != nil {
		return credentials{}, err
	}
	creds, err := parseProcessOutput(out, now())
	if err != nil {
		return credentials{}, fmt.Errorf("credential_process output: %w", err)
	}
	return creds, nil
}

// runCredentialProcess runs command for at most timeout and returns its
// stdout. The process gets its own process group, and a kill (timeout,
// ctx, too much output) kills the whole group, so that nothing it started
// outlives the run.
func runCredentialProcess(ctx context.Context, command string, stderr io.Writer, timeout time.Duration) ([]byte, error) {
	procCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(procCtx, "sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = processWaitDelay
	stdout := &limitedBuffer{max: maxProcessOutputBytes, overflow: cancel}
	cmd.Stdout = stdout
	if stderr == nil {
		stderr = io.Discard
	}
	cmd.Stderr = &cappedWriter{w: stderr, left: maxProcessStderrBytes}
	err := cmd.Run()
	switch {
	case stdout.over:
		return nil, fmt.Errorf("credential_process printed more than %d bytes on stdout: killed", maxProcessOutputBytes)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("credential_process stopped: the run's deadline passed (%v)", ctx.Err())
	case procCtx.Err() != nil:
		return nil, fmt.Errorf("credential_process did not finish within %v: killed", timeout)
	case err != nil:
		return nil, processError(err)
	}
	return stdout.buf.Bytes(), nil
}

// processError explains a credential_process that failed on its own.
func processError(err error) error {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("credential_process could not run: %v", err)
	}
	switch exit.ExitCode() {
	case 126:
		return fmt.Errorf("credential_process failed: %v (the command was found but could not be executed)", exit)
	case 127:
		return fmt.Errorf("credential_process failed: %v (command not found; see the shell's message above)", exit)
	}
	return fmt.Errorf("credential_process failed: %v", exit)
}

// parseProcessOutput reads credential_process output (SPEC §5):
// {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"},
// the last two optional. Version must be 1, as in processcreds.
// Credentials already expired at now are refused.
func parseProcessOutput(out []byte, now time.Time) (credentials, error) {
	var doc struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      *string
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return credentials{}, fmt.Errorf("credentials are %s", describeJSONError(err))
	}
	if doc.Version != 1 {
		return credentials{}, fmt.Errorf("credentials have Version %d, want 1", doc.Version)
	}
	c := credentials{AccessKeyID: doc.AccessKeyID, SecretAccessKey: doc.SecretAccessKey, SessionToken: doc.SessionToken}
	return finishCredentials(c, doc.Expiration, now)
}

// limitedBuffer keeps up to max bytes; a write beyond that sets over and
// calls overflow (which kills the process) instead of growing.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	over     bool
	overflow func()
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.over || b.buf.Len()+len(p) > b.max {
		b.over = true
		b.overflow()
		return 0, errors.New("output too large")
	}
	return b.buf.Write(p)
}

// cappedWriter passes the first left bytes to w and drops the rest,
// reporting success so that the writer is never stopped by a broken pipe.
type cappedWriter struct {
	w    io.Writer
	left int
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if n := min(len(p), c.left); n > 0 {
		c.left -= n
		c.w.Write(p[:n])
	}
	return len(p), nil
}
