// The EC2 instance metadata client (SPEC §6): the last source of the
// credential chain (SPEC §5, step 5) and the last source of a region.
//
// Only IMDSv2 is spoken, on purpose. The SDK falls back to IMDSv1 (plain GETs
// without a session token) when the token PUT is answered 403, 404 or 405;
// this client never does. Hardened nodes set HttpTokens=required precisely so
// that nothing on them reads metadata without a token: a silent downgrade is
// the attack they are hardened against (a forwarded or SSRF'd GET cannot carry
// a token it never obtained with a PUT). A service that refuses the PUT is
// reported as unavailable, with a message that says IMDSv1 is not used.
//
// Timeouts and retries: every HTTP call (dial, headers and body) has its own
// one-second limit, so a machine off EC2 learns it in about a second. A
// connection error or timeout is not retried: it means there is no service
// here, and retrying would only double the wait. A 5xx answer is retried once
// after a short pause, so one call stays near two seconds at worst. (The SDK
// retries IMDS with its standard retryer, 3 attempts, under a 5 s operation
// timeout; we trade that for a bounded wait in kubelet's one-minute budget.)

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	imdsIPv4Endpoint = "http://169.254.169.254"
	imdsIPv6Endpoint = "http://[fd00:ec2::254]"

	imdsTokenPath  = "/latest/api/token"
	imdsRolesPath  = "/latest/meta-data/iam/security-credentials/"
	imdsRegionPath = "/latest/meta-data/placement/region"

	imdsTokenHeader    = "X-aws-ec2-metadata-token"
	imdsTokenTTLHeader = "X-aws-ec2-metadata-token-ttl-seconds"
	// imdsTokenTTL is the longest life the service grants (SPEC §6: 1–21600
	// seconds); a run is short, so the token normally never expires under it.
	imdsTokenTTL = "21600"

	imdsCallTimeout = time.Second
	imdsAttempts    = 2
	imdsRetryPause  = 200 * time.Millisecond
	imdsMaxBody     = 64 << 10
)

// imdsConfig is the environment's say on IMDS, read once by the caller.
type imdsConfig struct {
	disabled bool   // AWS_EC2_METADATA_DISABLED=true
	endpoint string // validated base URL, no trailing slash
}

// imdsUnavailableError means the metadata service has nothing to offer here:
// it is disabled, not reachable, refuses IMDSv2, or the instance has no role.
// The chain treats it as "not configured" and moves on; any other error from
// this file means the service answered, but wrongly.
type imdsUnavailableError struct{ reason string }

// Error returns the reason, which never holds a secret.
func (e *imdsUnavailableError) Error() string { return e.reason }

// loadIMDSConfig reads AWS_EC2_METADATA_DISABLED,
// AWS_EC2_METADATA_SERVICE_ENDPOINT and AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
// (SPEC §6). The explicit endpoint wins over the mode. When IMDS is disabled
// the other two are not checked: a service never called cannot be
// misconfigured in a way that matters.
func loadIMDSConfig(getenv func(string) string) (imdsConfig, error) {
	// Like the SDK, a bad mode is refused whatever else is set.
	endpoint, err := imdsModeEndpoint(getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"))
	if err != nil {
		return imdsConfig{}, fmt.Errorf("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: %w", err)
	}
	// Like the SDK: only a case-insensitive "true" disables; "false" and any
	// other value leave the service enabled.
	if strings.EqualFold(getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		return imdsConfig{disabled: true}, nil
	}
	if raw := getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"); raw != "" {
		if endpoint, err = parseIMDSEndpoint(raw); err != nil {
			return imdsConfig{}, fmt.Errorf("AWS_EC2_METADATA_SERVICE_ENDPOINT: %w", err)
		}
	}
	return imdsConfig{endpoint: endpoint}, nil
}

// imdsModeEndpoint is the endpoint of an endpoint mode, trimmed and
// compared without regard to case, as the SDK does.
func imdsModeEndpoint(mode string) (string, error) {
	switch mode = strings.TrimSpace(mode); {
	case mode == "", strings.EqualFold(mode, "IPv4"):
		return imdsIPv4Endpoint, nil
	case strings.EqualFold(mode, "IPv6"):
		return imdsIPv6Endpoint, nil
	}
	return "", fmt.Errorf("%s is neither IPv4 nor IPv6", shortQuote(mode))
}

// parseIMDSEndpoint checks that raw is an absolute http or https URL naming
// only a host (and port), and returns it without a trailing slash. A path is
// refused rather than silently dropped or kept: the SDK replaces it with the
// request path, so any meaning the user gave it would be lost either way.
func parseIMDSEndpoint(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// Not url.Error's text: it repeats the raw value, which may hold a password.
		return "", errors.New("not a valid URL")
	}
	switch {
	case u.User != nil:
		return "", errors.New("URL must not carry user information")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("not an http or https URL")
	case u.Host == "" || u.Opaque != "":
		return "", errors.New("no host")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return "", errors.New("a query or fragment is not allowed")
	case u.Path != "" && u.Path != "/":
		return "", errors.New("a path is not allowed")
	}
	return u.Scheme + "://" + u.Host, nil
}

// imdsClient talks to one metadata service for one run. It holds the session
// token so that a second lookup (credentials, then region) reuses it. A run
// asks one thing at a time, so nothing guards it against concurrent use.
type imdsClient struct {
	cfg   imdsConfig
	http  *http.Client
	token string
}

// newIMDSClient returns a client for cfg. It never uses a proxy (SPEC §6:
// the service is link-local), and each call, body included, has
// imdsCallTimeout.
func newIMDSClient(cfg imdsConfig) *imdsClient {
	hc := newHTTPClient(httpOptions{timeout: imdsCallTimeout})
	hc.Timeout = imdsCallTimeout
	return &imdsClient{cfg: cfg, http: hc}
}

// roleCredentials fetches the instance role's credentials (SPEC §6): the role
// name from the list, then that role's JSON document.
func (c *imdsClient) roleCredentials(ctx context.Context) (credentials, error) {
	noRole := &imdsUnavailableError{fmt.Sprintf("instance metadata at %s: no IAM role attached to this instance", c.cfg.endpoint)}
	body, err := c.get(ctx, imdsRolesPath, "role list", noRole)
	if err != nil {
		return credentials{}, err
	}
	role, err := parseIMDSRoleList(body)
	if err != nil {
		return credentials{}, err
	}
	body, err = c.get(ctx, imdsRolesPath+role, fmt.Sprintf("credentials for role %q", role), nil)
	if err != nil {
		return credentials{}, err
	}
	return parseIMDSCredentials(body)
}

// parseIMDSRoleList returns the first role name of the list, which has one
// name a line (an instance profile holds at most one role).
func parseIMDSRoleList(body []byte) (string, error) {
	first, _, _ := strings.Cut(string(body), "\n")
	role := strings.TrimSpace(first)
	if role == "" {
		return "", &imdsUnavailableError{"instance metadata: no IAM role attached to this instance"}
	}
	// The name goes into a URL path, where "." and ".." would move it.
	if !validIMDSRoleName(role) || role == "." || role == ".." {
		return "", fmt.Errorf("instance metadata role list: %s is not a role name", shortQuote(role))
	}
	return role, nil
}

// validIMDSRoleName reports whether role follows IAM's own rule for role
// names, ^[A-Za-z0-9+=,.@_-]{1,64}$. The name is put into a URL path, so
// nothing else may pass.
func validIMDSRoleName(role string) bool {
	return role != "" && len(role) <= 64 && allBytes(role, isIAMNameByte)
}

// parseIMDSCredentials decodes the JSON the service returns for a role
// (SPEC §6). Its errors name fields and quote Code only, never the body or
// any other value, since the body holds secrets.
//
// LastUpdated and Type are read but not checked: the SDK ignores them too.
// Unknown fields are allowed, since the service may add some; names match
// without regard to case, as encoding/json does, which no real answer relies on.
func parseIMDSCredentials(body []byte) (credentials, error) {
	var doc struct {
		Code, LastUpdated, Type            string
		AccessKeyID                        string `json:"AccessKeyId"`
		SecretAccessKey, Token, Expiration string
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return credentials{}, errors.New("instance metadata credentials: response is not a JSON object of strings")
	}
	// SPEC §6: anything but Code "Success" is a failure.
	if doc.Code != "Success" {
		return credentials{}, fmt.Errorf("instance metadata credentials: Code %s, want \"Success\"", shortQuote(doc.Code))
	}
	// Role credentials are always temporary, so the token is required too;
	// all three go into signed headers, so each must be a header-safe word.
	for _, f := range [...][2]string{{"AccessKeyId", doc.AccessKeyID}, {"SecretAccessKey", doc.SecretAccessKey}, {"Token", doc.Token}} {
		if !imdsHeaderWord(f[1]) {
			return credentials{}, fmt.Errorf("instance metadata credentials: %s is empty or not printable ASCII", f[0])
		}
	}
	expires, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil {
		return credentials{}, errors.New("instance metadata credentials: Expiration is not an RFC 3339 time")
	}
	return credentials{AccessKeyID: doc.AccessKeyID, SecretAccessKey: doc.SecretAccessKey, SessionToken: doc.Token, Expires: expires}, nil
}

// region fetches the instance's region (SPEC §5: the last place a region is
// looked for) and accepts only a plausible region name.
func (c *imdsClient) region(ctx context.Context) (string, error) {
	body, err := c.get(ctx, imdsRegionPath, "region", nil)
	if err != nil {
		return "", err
	}
	region := strings.TrimSpace(string(body))
	if !validRegion(region) {
		return "", fmt.Errorf("instance metadata region: %s is not a region name", shortQuote(region))
	}
	return region, nil
}

// get sends an authenticated GET and returns the body of a 200 answer. what
// names the document in errors; notFound, when set, is the error for a 404.
// A 401 means the token expired (SPEC §6): one fresh token, one more try.
func (c *imdsClient) get(ctx context.Context, path, what string, notFound error) ([]byte, error) {
	for _, renew := range []bool{false, true} {
		token, err := c.sessionToken(ctx, renew)
		if err != nil {
			return nil, err
		}
		status, body, err := c.send(ctx, http.MethodGet, path, imdsTokenHeader, token)
		switch {
		case err != nil:
			return nil, err
		case status == http.StatusOK:
			return body, nil
		case status == http.StatusNotFound && notFound != nil:
			return nil, notFound
		case status != http.StatusUnauthorized:
			return nil, fmt.Errorf("instance metadata %s: HTTP %d", what, status)
		}
	}
	return nil, fmt.Errorf("instance metadata GET %s: HTTP 401 even with a fresh token", path)
}

// sessionToken returns the held token, fetching one first when there is none
// or when renew says the held one was refused.
func (c *imdsClient) sessionToken(ctx context.Context, renew bool) (string, error) {
	if c.token != "" && !renew {
		return c.token, nil
	}
	var err error
	c.token, err = c.fetchIMDSToken(ctx) // "" on failure: the next call asks again
	return c.token, err
}

// fetchIMDSToken asks for a session token (SPEC §6). The PUT carries only the
// TTL header: a token header there would be meaningless, and the service
// refuses a PUT with X-Forwarded-For, which is why no proxy may stand between.
func (c *imdsClient) fetchIMDSToken(ctx context.Context) (string, error) {
	if c.cfg.disabled {
		return "", &imdsUnavailableError{"instance metadata disabled by AWS_EC2_METADATA_DISABLED"}
	}
	status, body, err := c.send(ctx, http.MethodPut, imdsTokenPath, imdsTokenTTLHeader, imdsTokenTTL)
	if err != nil {
		return "", err
	}
	switch status {
	case http.StatusOK:
	case http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed:
		// Where the SDK would fall back to IMDSv1; see the comment at the top.
		return "", &imdsUnavailableError{fmt.Sprintf("instance metadata at %s refused an IMDSv2 token (HTTP %d); IMDSv1 is deliberately not used", c.cfg.endpoint, status)}
	default:
		return "", fmt.Errorf("instance metadata token: HTTP %d", status)
	}
	token := strings.TrimSpace(string(body))
	if !imdsHeaderWord(token) {
		return "", errors.New("instance metadata token: empty or not printable ASCII")
	}
	return token, nil
}

// send makes one call, retrying once after a 5xx answer. A transport failure
// is not retried (see the comment at the top).
func (c *imdsClient) send(ctx context.Context, method, path, header, value string) (int, []byte, error) {
	for attempt := 1; ; attempt++ {
		status, body, err := c.sendOnce(ctx, method, path, header, value)
		if err != nil || status < 500 || attempt == imdsAttempts {
			return status, body, err
		}
		if !sleep(ctx, imdsRetryPause) {
			return 0, nil, fmt.Errorf("instance metadata %s %s: %w", method, path, ctx.Err())
		}
	}
}

// sendOnce makes one HTTP call and reads at most imdsMaxBody bytes of its body.
func (c *imdsClient) sendOnce(ctx context.Context, method, path, header, value string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.endpoint+path, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("instance metadata %s %s: %w", method, path, err)
	}
	req.Header.Set(header, value)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := readBounded(resp.Body, imdsMaxBody)
	var tooLarge *tooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return 0, nil, fmt.Errorf("instance metadata %s %s: response %w", method, path, err)
	case err != nil:
		return 0, nil, c.transportError(ctx, err)
	}
	return resp.StatusCode, body, nil
}

// transportError classifies a failed call: the caller's own deadline or
// cancellation is reported as such; anything else means no service answers.
// url.Error's URL is dropped because the message names the endpoint already.
func (c *imdsClient) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("instance metadata at %s: %w", c.cfg.endpoint, ctx.Err())
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &imdsUnavailableError{fmt.Sprintf("no instance metadata service at %s: %v", c.cfg.endpoint, err)}
}

// imdsHeaderWord reports whether s is non-empty printable ASCII without
// spaces, safe to put in a header as it is.
func imdsHeaderWord(s string) bool { return s != "" && !strings.ContainsFunc(s, notPrintableASCII) }
