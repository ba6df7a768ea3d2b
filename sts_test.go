package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// What the fake STS hands out and expects. The secrets are sentinels:
// tests assert they never reach an error.
const (
	stsAccessKey    = "ASIASTSTESTTESTTEST"
	stsSecretKey    = "SENTINEL-STS-SECRET-KEY-do-not-print"
	stsSessionToken = "SENTINEL-STS-SESSION-TOKEN-do-not-print"
	stsWebToken     = "SENTINEL-WEB-IDENTITY-TOKEN.do-not-print"
	stsExternalID   = "SENTINEL-EXTERNAL-ID"
	stsRoleARN      = "arn:aws:iam::123456789012:role/ecr/pull"
	stsSessionName  = "ecr-credential-provider"
)

// stsSentinels are the secrets of the STS tests, the caller's included.
var stsSentinels = []string{testSecretKey, testSessionToken, stsSecretKey, stsSessionToken, stsWebToken, stsExternalID}

// stsCall is what the fake STS saw of one valid request.
type stsCall struct {
	action, roleARN, sessionName string
	accessKey, region            string // of AssumeRole's signature; "" for the unsigned call
}

// fakeSTS answers AssumeRole and AssumeRoleWithWebIdentity like STS after
// checking the request: method, path, content type, the exact set of form
// fields, no Authorization on the unsigned call, and the signature
// (service "sts") on the signed one.
type fakeSTS struct {
	t testing.TB
	// What each request must carry. "" accepts any non-empty roleARN,
	// sessionName, webToken and region; for externalID and
	// durationSeconds, "" means the field must be absent.
	roleARN, sessionName, webToken string
	externalID, durationSeconds    string
	region                         string // AssumeRole's signing region
	// keys are the credentials AssumeRole may be signed with, by access
	// key ID; the session token must arrive exactly as given.
	keys map[string]credentials

	expiration string // the Expiration element; "" is an hour after now
	// When errCode is set, every valid request gets this error.
	errStatus           int
	errCode, errMessage string
	fakeAWS
	calls []stsCall
}

// newFakeSTS accepts AssumeRole signed with testCreds or with the
// credentials it hands out itself (a role chain).
func newFakeSTS(t testing.TB) *fakeSTS {
	return &fakeSTS{t: t, keys: map[string]credentials{
		testAccessKey: testCreds,
		stsAccessKey:  {AccessKeyID: stsAccessKey, SecretAccessKey: stsSecretKey, SessionToken: stsSessionToken},
	}}
}

// Calls returns the valid requests seen so far.
func (f *fakeSTS) Calls() []stsCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]stsCall(nil), f.calls...)
}

// Requests counts every request, valid or not.
func (f *fakeSTS) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.begin(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	call, problem := f.check(r, body)
	if problem != "" {
		f.t.Errorf("fake STS: %s", problem)
		stsXMLError(w, 400, "InvalidParameterValue", problem)
		return
	}
	if call.accessKey != "" {
		if !f.fresh(r) {
			stsXMLError(w, 403, "SignatureDoesNotMatch", "Signature expired: "+r.Header.Get("X-Amz-Date")+" is now earlier than ...")
			return
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if f.errCode != "" {
		stsXMLError(w, f.errStatus, f.errCode, f.errMessage)
		return
	}
	f.answer(w, call.action)
}

// check verifies an STS request (SPEC §4, §7).
func (f *fakeSTS) check(r *http.Request, body []byte) (stsCall, string) {
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "":
		return stsCall{}, fmt.Sprintf("request %s %s, want POST /", r.Method, r.URL)
	case r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
		return stsCall{}, fmt.Sprintf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	form, problem := f.checkForm(body)
	if problem != "" {
		return stsCall{}, problem
	}
	call := stsCall{action: form.Get("Action"), roleARN: form.Get("RoleArn"), sessionName: form.Get("RoleSessionName")}
	if call.action == "AssumeRoleWithWebIdentity" {
		for _, h := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date"} {
			if r.Header.Get(h) != "" {
				return call, h + " on the unsigned AssumeRoleWithWebIdentity"
			}
		}
		return call, ""
	}
	call.accessKey, call.region, problem = verifySTSSignature(r, body, f.keys)
	if problem == "" && f.region != "" && call.region != f.region {
		problem = fmt.Sprintf("signed for region %q, want %q", call.region, f.region)
	}
	return call, problem
}

// checkForm decodes the body and checks that it holds exactly the fields
// of its action, each once, with the expected values.
func (f *fakeSTS) checkForm(body []byte) (url.Values, string) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Sprintf("body %q is not a form: %v", body, err)
	}
	if form.Encode() != string(body) {
		return nil, fmt.Sprintf("body %q is not in canonical form (sorted, encoded once)", body)
	}
	want := []string{"Action", "RoleArn", "RoleSessionName", "Version"}
	action := form.Get("Action")
	switch action {
	case "AssumeRoleWithWebIdentity":
		want = append(want, "WebIdentityToken")
	case "AssumeRole":
		if f.externalID != "" {
			want = append(want, "ExternalId")
		}
	default:
		return nil, fmt.Sprintf("Action %q", action)
	}
	if f.durationSeconds != "" {
		want = append(want, "DurationSeconds")
	}
	var got []string
	for k, vs := range form {
		if len(vs) != 1 || vs[0] == "" {
			return nil, fmt.Sprintf("field %s has values %q, want one non-empty", k, vs)
		}
		got = append(got, k)
	}
	slices.Sort(got)
	if slices.Sort(want); !slices.Equal(got, want) {
		return nil, fmt.Sprintf("%s fields %q, want %q", action, got, want)
	}
	return form, f.checkValues(form)
}

// checkValues compares the form's values with the expected ones.
func (f *fakeSTS) checkValues(form url.Values) string {
	for _, c := range []struct{ field, want string }{
		{"Version", "2011-06-15"},
		{"RoleArn", f.roleARN},
		{"RoleSessionName", f.sessionName},
		{"WebIdentityToken", f.webToken},
		{"ExternalId", f.externalID},
		{"DurationSeconds", f.durationSeconds},
	} {
		if got, ok := form[c.field]; ok && c.want != "" && got[0] != c.want {
			return fmt.Sprintf("%s is not the expected value", c.field)
		}
	}
	return ""
}

// verifySTSSignature recomputes the SigV4 signature of an AssumeRole
// request with the secret of the access key it names, and returns that
// key and the scope's region. Unlike verifySignature (ECR), it needs no
// X-Amz-Target: STS has none.
func verifySTSSignature(r *http.Request, body []byte, keys map[string]credentials) (accessKey, region, problem string) {
	authz := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(authz, "AWS4-HMAC-SHA256 Credential=")
	cred, rest, ok2 := strings.Cut(rest, ", SignedHeaders=")
	signed, sig, ok3 := strings.Cut(rest, ", Signature=")
	if !ok || !ok2 || !ok3 {
		return "", "", fmt.Sprintf("Authorization %q is not a SigV4 header", authz)
	}
	scope := strings.Split(cred, "/")
	creds, known := keys[scope[0]]
	if len(scope) != 5 || !known || scope[3] != "sts" || scope[4] != "aws4_request" {
		return "", "", fmt.Sprintf("credential scope %q (want a known key and service sts)", cred)
	}
	if r.Header.Get("X-Amz-Security-Token") != creds.SessionToken {
		return "", "", "X-Amz-Security-Token is not the session token of " + scope[0]
	}
	must := []string{"content-type", "host", "x-amz-date"}
	if creds.SessionToken != "" {
		must = append(must, "x-amz-security-token")
	}
	for _, m := range must {
		if !slices.Contains(strings.Split(signed, ";"), m) {
			return "", "", fmt.Sprintf("%s not signed (SignedHeaders=%s)", m, signed)
		}
	}
	vr, _ := http.NewRequest(r.Method, "https://"+r.Host+r.URL.Path, nil)
	for _, name := range strings.Split(signed, ";") {
		if name != "host" {
			vr.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	creq, _ := canonicalRequest(vr, hexSHA256(body))
	t, _ := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	mac := hmac.New(sha256.New, signingKey(creds.SecretAccessKey, scope[1], scope[2], "sts"))
	mac.Write([]byte(stringToSign(t, strings.Join(scope[1:], "/"), creq)))
	if hex.EncodeToString(mac.Sum(nil)) != sig {
		return "", "", "signature does not match"
	}
	return scope[0], scope[2], ""
}

// answer writes a successful answer in STS's layout, namespace included.
func (f *fakeSTS) answer(w http.ResponseWriter, action string) {
	expiration := f.expiration
	if expiration == "" {
		expiration = f.clock().Add(time.Hour).UTC().Format(time.RFC3339)
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <%[1]sResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:%[3]s</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/pull/%[3]s</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>%[4]s</AccessKeyId>
      <SecretAccessKey>%[5]s</SecretAccessKey>
      <SessionToken>%[6]s</SessionToken>
      <Expiration>%[2]s</Expiration>
    </Credentials>
  </%[1]sResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</%[1]sResponse>
`, action, expiration, stsSessionName, stsAccessKey, stsSecretKey, stsSessionToken)
}

// stsXMLError answers like STS refusing a request.
func stsXMLError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>4e5b8a9c-0000-0000-0000-000000000000</RequestId>
</ErrorResponse>
`, code, message)
}

// leakedSTSSecret returns the first sentinel secret err shows, or "".
func leakedSTSSecret(err error) string {
	if err == nil {
		return ""
	}
	for _, s := range stsSentinels {
		if strings.Contains(err.Error(), s) {
			return s
		}
	}
	return ""
}

// checkNoSTSSecret fails when err shows any sentinel secret.
func checkNoSTSSecret(t *testing.T, err error) {
	t.Helper()
	if s := leakedSTSSecret(err); s != "" {
		t.Errorf("error shows a secret (%.12s…): %v", s, err)
	}
}

// wantSTSCreds is what the fake hands out.
func wantSTSCreds(expires time.Time) credentials {
	return credentials{AccessKeyID: stsAccessKey, SecretAccessKey: stsSecretKey, SessionToken: stsSessionToken, Expires: expires}
}

// stsDefaultInput names the fake's role with the default session name.
func stsDefaultInput() assumeRoleInput {
	return assumeRoleInput{roleARN: stsRoleARN, sessionName: stsSessionName}
}

// stsFixedNow is the clock of tests that compare expiry times.
var stsFixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	tests := []struct {
		name string
		in   assumeRoleInput
	}{
		{"default duration", stsDefaultInput()},
		{"15 minutes", assumeRoleInput{roleARN: stsRoleARN, sessionName: stsSessionName, durationSeconds: 900}},
		{"12 hours", assumeRoleInput{roleARN: "arn:aws-us-gov:iam::123456789012:role/a", sessionName: "x@y.z", durationSeconds: 43200}},
		{"role path", assumeRoleInput{roleARN: "arn:aws:iam::123456789012:role/a/b+c=d,e.f@g-h_i/Role_Name+=,.@-", sessionName: "s1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t)
			fake.roleARN, fake.sessionName, fake.webToken = tt.in.roleARN, tt.in.sessionName, stsWebToken
			if tt.in.durationSeconds != 0 {
				fake.durationSeconds = fmt.Sprint(tt.in.durationSeconds)
			}
			fake.now = stsFixedNow
			url, ca := tlsFake(t, fake)
			c, _ := testClient(t, ca, 3, func() time.Time { return stsFixedNow })
			got, err := assumeRoleWithWebIdentity(context.Background(), c, url, tt.in, stsWebToken)
			if want := wantSTSCreds(stsFixedNow.Add(time.Hour)); err != nil || got != want {
				t.Fatalf("assumeRoleWithWebIdentity(%+v) = %+v, %v; want %+v", tt.in, got, err, want)
			}
			want := []stsCall{{action: "AssumeRoleWithWebIdentity", roleARN: tt.in.roleARN, sessionName: tt.in.sessionName}}
			if calls := fake.Calls(); !slices.Equal(calls, want) {
				t.Errorf("calls %+v, want %+v", calls, want)
			}
		})
	}
}

func TestAssumeRole(t *testing.T) {
	withToken := credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: testSessionToken}
	chained := wantSTSCreds(stsFixedNow.Add(time.Hour))
	tests := []struct {
		name   string
		creds  credentials
		region string
		in     assumeRoleInput
	}{
		{"long-term keys", testCreds, "us-east-1", stsDefaultInput()},
		{"session token", withToken, "eu-west-1", stsDefaultInput()},
		{"role chain", chained, "cn-north-1", assumeRoleInput{roleARN: "arn:aws-cn:iam::123456789012:role/next", sessionName: "chain"}},
		{"external ID and duration", testCreds, "us-gov-west-1", assumeRoleInput{roleARN: stsRoleARN, sessionName: stsSessionName, externalID: stsExternalID, durationSeconds: 3600}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t)
			fake.keys[tt.creds.AccessKeyID] = tt.creds
			fake.roleARN, fake.sessionName, fake.region, fake.externalID = tt.in.roleARN, tt.in.sessionName, tt.region, tt.in.externalID
			if tt.in.durationSeconds != 0 {
				fake.durationSeconds = fmt.Sprint(tt.in.durationSeconds)
			}
			fake.now = stsFixedNow
			url, ca := tlsFake(t, fake)
			c, _ := testClient(t, ca, 3, func() time.Time { return stsFixedNow })
			got, err := assumeRole(context.Background(), c, url, tt.region, tt.creds, tt.in)
			if want := wantSTSCreds(stsFixedNow.Add(time.Hour)); err != nil || got != want {
				t.Fatalf("assumeRole(%+v) = %+v, %v; want %+v", tt.in, got, err, want)
			}
			want := []stsCall{{action: "AssumeRole", roleARN: tt.in.roleARN, sessionName: tt.in.sessionName, accessKey: tt.creds.AccessKeyID, region: tt.region}}
			if calls := fake.Calls(); !slices.Equal(calls, want) {
				t.Errorf("calls %+v, want %+v", calls, want)
			}
		})
	}
}

// callBoth runs action against the fake with valid parameters.
func callBoth(t *testing.T, action string, c *awsClient, url string) (credentials, error) {
	t.Helper()
	if action == "AssumeRole" {
		return assumeRole(context.Background(), c, url, "us-east-1", testCreds, stsDefaultInput())
	}
	return assumeRoleWithWebIdentity(context.Background(), c, url, stsDefaultInput(), stsWebToken)
}

func TestSTSErrors(t *testing.T) {
	tests := []struct {
		action, code string
		status       int
		message      string
		hint         string
	}{
		{"AssumeRole", "AccessDenied", 403, "User: arn:aws:iam::123456789012:user/node is not authorized to perform: sts:AssumeRole", "trust policy allows sts:AssumeRole"},
		{"AssumeRoleWithWebIdentity", "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity", "trust policy allows sts:AssumeRoleWithWebIdentity"},
		{"AssumeRoleWithWebIdentity", "InvalidIdentityToken", 400, "Incorrect token audience", "audience (sts.amazonaws.com)"},
		{"AssumeRoleWithWebIdentity", "ExpiredTokenException", 400, "Token expired: current date/time 1700000000 must be before the expiration date/time 1690000000", "that it is fresh"},
		{"AssumeRoleWithWebIdentity", "IDPRejectedClaim", 403, "Claim rejected", "claims (sub, aud)"},
		{"AssumeRole", "RegionDisabledException", 403, "STS is not activated in this region", "activate STS"},
		{"AssumeRole", "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", "maximum session duration"},
		{"AssumeRole", "ExpiredToken", 400, "The security token included in the request is expired", "credentials used to assume the role"},
		{"AssumeRole", "InvalidClientTokenId", 403, "The security token included in the request is invalid.", "credentials used to assume the role"},
		{"AssumeRole", "MalformedPolicyDocument", 400, "no hint for this one", ""},
	}
	for _, tt := range tests {
		t.Run(tt.action+" "+tt.code, func(t *testing.T) {
			fake := newFakeSTS(t)
			fake.errStatus, fake.errCode, fake.errMessage = tt.status, tt.code, tt.message
			url, ca := tlsFake(t, fake)
			c, _ := testClient(t, ca, 3, time.Now)
			_, err := callBoth(t, tt.action, c, url)
			want := fmt.Sprintf("STS %s at %s: HTTP %d %s: %s", tt.action, endpointHost(url), tt.status, tt.code, tt.message)
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("error %v, want %q with hint %q", err, want, tt.hint)
			}
			if tt.hint == "" && err.Error() != want {
				t.Errorf("error %q, want exactly %q", err, want)
			}
			if n := fake.Requests(); n != 1 {
				t.Errorf("%d requests, want 1 (not retried)", n)
			}
			checkNoSTSSecret(t, err)
		})
	}
}

func TestSTSRetries(t *testing.T) {
	tests := []struct {
		name     string
		fail     func(w http.ResponseWriter)
		failures int
		want     int // requests
		err      string
	}{
		{"throttled twice", func(w http.ResponseWriter) { stsXMLError(w, 400, "Throttling", "Rate exceeded") }, 2, 3, ""},
		{"IdP unreachable once", func(w http.ResponseWriter) {
			stsXMLError(w, 400, "IDPCommunicationError", "Couldn't retrieve verification key")
		}, 1, 2, ""},
		{"503 always", func(w http.ResponseWriter) { w.WriteHeader(503) }, 99, 3, "HTTP 503"},
		{"IdP always unreachable", func(w http.ResponseWriter) { stsXMLError(w, 400, "IDPCommunicationError", "timeout") }, 99, 3, "IDPCommunicationError: timeout (STS could not reach"},
	}
	for _, action := range []string{"AssumeRole", "AssumeRoleWithWebIdentity"} {
		for _, tt := range tests {
			t.Run(action+" "+tt.name, func(t *testing.T) {
				fake := newFakeSTS(t)
				fake.misbehave = func(n int, w http.ResponseWriter, _ *http.Request) bool {
					if n <= tt.failures {
						tt.fail(w)
						return true
					}
					return false
				}
				url, ca := tlsFake(t, fake)
				c, _ := testClient(t, ca, 3, time.Now)
				got, err := callBoth(t, action, c, url)
				if n := fake.Requests(); n != tt.want {
					t.Errorf("%d requests, want %d", n, tt.want)
				}
				if tt.err == "" && (err != nil || got.SecretAccessKey != stsSecretKey) {
					t.Fatalf("%s = %+v, %v; want the fake's credentials", action, got, err)
				}
				if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				checkNoSTSSecret(t, err)
			})
		}
	}
}

func TestAssumeRoleClockSkew(t *testing.T) {
	fake := newFakeSTS(t)
	fake.now = time.Now().Add(30 * time.Minute)
	url, ca := tlsFake(t, fake)
	c, warnings := testClient(t, ca, 3, time.Now)
	got, err := assumeRole(context.Background(), c, url, "us-east-1", testCreds, stsDefaultInput())
	if err != nil || got.SecretAccessKey != stsSecretKey {
		t.Fatalf("assumeRole = %+v, %v", got, err)
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], "clock is about 30m0s off") {
		t.Errorf("warnings %q, want one about the clock", *warnings)
	}
}

func TestSTSRefusesBadInput(t *testing.T) {
	long := strings.Repeat("a", 65)
	tests := []struct {
		name  string
		in    assumeRoleInput
		token string // AssumeRoleWithWebIdentity only when set
		want  string
	}{
		{"empty ARN", assumeRoleInput{sessionName: "s1"}, "", `invalid role ARN ""`},
		{"user ARN", assumeRoleInput{roleARN: "arn:aws:iam::123456789012:user/bob", sessionName: "s1"}, "", "invalid role ARN"},
		{"short account", assumeRoleInput{roleARN: "arn:aws:iam::12345678901:role/r", sessionName: "s1"}, "", "invalid role ARN"},
		{"unknown partition", assumeRoleInput{roleARN: "arn:aws-xx:iam::123456789012:role/r", sessionName: "s1"}, "", "invalid role ARN"},
		{"newline in ARN", assumeRoleInput{roleARN: stsRoleARN + "\nx", sessionName: "s1"}, "", `invalid role ARN "arn:aws:iam::123456789012:role/ecr/pull\nx"`},
		{"long role name", assumeRoleInput{roleARN: "arn:aws:iam::123456789012:role/" + long, sessionName: "s1"}, "", "invalid role ARN"},
		{"empty session", assumeRoleInput{roleARN: stsRoleARN}, "", `invalid role session name ""`},
		{"one-letter session", assumeRoleInput{roleARN: stsRoleARN, sessionName: "s"}, "", "invalid role session name"},
		{"session with space", assumeRoleInput{roleARN: stsRoleARN, sessionName: "a b"}, "", `invalid role session name "a b"`},
		{"long session", assumeRoleInput{roleARN: stsRoleARN, sessionName: long}, "", "invalid role session name"},
		{"external ID with space", assumeRoleInput{roleARN: stsRoleARN, sessionName: "s1", externalID: stsExternalID + " x"}, "", "invalid external ID"},
		{"one-letter external ID", assumeRoleInput{roleARN: stsRoleARN, sessionName: "s1", externalID: "x"}, "", "invalid external ID"},
		{"short duration", assumeRoleInput{roleARN: stsRoleARN, sessionName: "s1", durationSeconds: 899}, "", "invalid duration 899 seconds"},
		{"long duration", assumeRoleInput{roleARN: stsRoleARN, sessionName: "s1", durationSeconds: 43201}, "", "invalid duration 43201 seconds"},
		{"negative duration", assumeRoleInput{roleARN: stsRoleARN, sessionName: "s1", durationSeconds: -1}, "", "invalid duration -1 seconds"},
		{"web: external ID", assumeRoleInput{roleARN: stsRoleARN, sessionName: "s1", externalID: stsExternalID}, stsWebToken, "external ID is only for AssumeRole"},
		{"web: bad ARN", assumeRoleInput{roleARN: "role/x", sessionName: "s1"}, stsWebToken, `invalid role ARN "role/x"`},
		{"web: trailing newline", stsDefaultInput(), stsWebToken + "\n", "contains whitespace"},
		{"web: space", stsDefaultInput(), "SENTINEL-WEB-IDENTITY-TOKEN do-not-print", "contains whitespace"},
		{"web: NUL", stsDefaultInput(), stsWebToken + "\x00", "control character"},
		{"web: non-ASCII", stsDefaultInput(), stsWebToken + "é", "non-ASCII"},
		{"web: too long", stsDefaultInput(), stsWebToken + strings.Repeat("a", 20000), "more than STS's 20000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t)
			url, ca := tlsFake(t, fake)
			c, _ := testClient(t, ca, 3, time.Now)
			var err error
			op := "STS AssumeRole: "
			if tt.token != "" {
				op = "STS AssumeRoleWithWebIdentity: "
				_, err = assumeRoleWithWebIdentity(context.Background(), c, url, tt.in, tt.token)
			} else {
				_, err = assumeRole(context.Background(), c, url, "us-east-1", testCreds, tt.in)
			}
			if err == nil || !strings.HasPrefix(err.Error(), op) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q…%q", err, op, tt.want)
			}
			if n := fake.Requests(); n != 0 {
				t.Errorf("%d requests, want none", n)
			}
			checkNoSTSSecret(t, err)
			checkErrorText(t, err)
		})
	}
}

func TestSTSRefusesEmptyToken(t *testing.T) {
	fake := newFakeSTS(t)
	url, ca := tlsFake(t, fake)
	c, _ := testClient(t, ca, 3, time.Now)
	_, err := assumeRoleWithWebIdentity(context.Background(), c, url, stsDefaultInput(), "")
	if err == nil || err.Error() != "STS AssumeRoleWithWebIdentity: the web identity token is empty" || fake.Requests() != 0 {
		t.Fatalf("error %v after %d requests, want the empty token refused before any", err, fake.Requests())
	}
}

func TestAssumeRoleRefusesBadSourceCredentials(t *testing.T) {
	tests := []struct {
		name  string
		creds credentials
	}{
		{"no secret", credentials{AccessKeyID: testAccessKey}},
		{"newline in token", credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: testSessionToken + "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeSTS(t)
			url, ca := tlsFake(t, fake)
			c, _ := testClient(t, ca, 3, time.Now)
			_, err := assumeRole(context.Background(), c, url, "us-east-1", tt.creds, stsDefaultInput())
			if err == nil || !strings.HasPrefix(err.Error(), "STS AssumeRole: AWS credentials from the role's source") || fake.Requests() != 0 {
				t.Fatalf("error %v after %d requests, want the credentials refused before any", err, fake.Requests())
			}
			checkNoSTSSecret(t, err)
		})
	}
}

func TestSTSBadAnswers(t *testing.T) {
	good := func(action string) string {
		return fmt.Sprintf(`<%[1]sResponse><%[1]sResult><Credentials><AccessKeyId>%[2]s</AccessKeyId><SecretAccessKey>%[3]s</SecretAccessKey><SessionToken>%[4]s</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></%[1]sResult></%[1]sResponse>`,
			action, stsAccessKey, stsSecretKey, stsSessionToken)
	}
	tests := []struct {
		name string
		body func(action string) string
		want string
	}{
		{"garbage", func(string) string { return "\x00\x01not xml " + stsSecretKey }, "answer is not XML"},
		{"JSON", func(string) string { return `{"SecretAccessKey":"` + stsSecretKey + `"}` }, "answer is not XML"},
		{"truncated", func(a string) string { return good(a)[:len(good(a))/2] }, "answer is not XML: truncated"},
		{"empty", func(string) string { return "" }, "answer is not XML"},
		{"error document with 200", func(string) string { return `<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>` }, "Response"},
		{"other action's answer", func(a string) string {
			return strings.ReplaceAll(good(a), a+"Re", map[string]string{"AssumeRole": "AssumeRoleWithWebIdentity", "AssumeRoleWithWebIdentity": "AssumeRole"}[a]+"Re")
		}, "answer is not an"},
		{"missing secret", func(a string) string { return strings.Replace(good(a), "SecretAccessKey>", "Secret>", 2) }, "lacks AccessKeyId, SecretAccessKey or SessionToken"},
		{"missing token", func(a string) string { return strings.Replace(good(a), "SessionToken>", "Token>", 2) }, "lacks"},
		{"missing expiration", func(a string) string { return strings.Replace(good(a), "Expiration>", "Expiry>", 2) }, "Expiration is missing"},
		{"epoch expiration", func(a string) string { return strings.Replace(good(a), "2099-01-01T00:00:00Z", "4070908800", 1) }, "not an RFC 3339 time"},
		{"two Credentials", func(a string) string {
			creds := good(a)[strings.Index(good(a), "<Credentials>"):strings.Index(good(a), "</"+a+"Result>")]
			return strings.Replace(good(a), "</"+a+"Result>", creds+"</"+a+"Result>", 1)
		}, "not exactly one"},
		{"trailing element", func(a string) string { return good(a) + "<more/>" }, "answer is not XML"},
		{"expired", func(a string) string {
			return strings.Replace(good(a), "2099-01-01T00:00:00Z", "2020-01-01T00:00:00Z", 1)
		}, "the credentials expired at 2020-01-01T00:00:00Z"},
	}
	for _, action := range []string{"AssumeRole", "AssumeRoleWithWebIdentity"} {
		for _, tt := range tests {
			t.Run(action+" "+tt.name, func(t *testing.T) {
				fake := newFakeSTS(t)
				fake.misbehave = func(_ int, w http.ResponseWriter, _ *http.Request) bool {
					io.WriteString(w, tt.body(action))
					return true
				}
				url, ca := tlsFake(t, fake)
				c, _ := testClient(t, ca, 3, time.Now)
				_, err := callBoth(t, action, c, url)
				prefix := fmt.Sprintf("STS %s at %s: ", action, endpointHost(url))
				if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q…%q", err, prefix, tt.want)
				}
				if n := fake.Requests(); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
				checkNoSTSSecret(t, err)
			})
		}
	}
}

func TestParseSTSCredentials(t *testing.T) {
	want := credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "zzSECRETzz/+=", SessionToken: "zzTOKENzz+/=",
		Expires: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	const creds = `<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>zzSECRETzz/+=</SecretAccessKey>` +
		`<SessionToken>zzTOKENzz+/=</SessionToken><Expiration>2025-01-02T03:04:05Z</Expiration></Credentials>`
	tests := []struct {
		name, action, body string
		ok                 bool
	}{
		{"namespaced", "AssumeRole", `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` + creds + `</AssumeRoleResult></AssumeRoleResponse>`, true},
		{"no namespace", "AssumeRoleWithWebIdentity", `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>` + creds + `</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, true},
		{"prolog, comment, whitespace", "AssumeRole", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n<AssumeRoleResponse>\n <AssumeRoleResult>\n" + strings.ReplaceAll(creds, "><", ">\n  <") + "\n</AssumeRoleResult></AssumeRoleResponse>\n<!-- end -->\n", true},
		{"values padded", "AssumeRole", "<AssumeRoleResponse><AssumeRoleResult><Credentials>\n<AccessKeyId>\n  ASIAEXAMPLE\n</AccessKeyId>" +
			"<SecretAccessKey>\tzzSECRETzz/+= </SecretAccessKey><SessionToken> zzTOKENzz+/=\r\n</SessionToken><Expiration>\n2025-01-02T03:04:05Z\n</Expiration>" +
			"</Credentials></AssumeRoleResult></AssumeRoleResponse>", true},
		{"fractional offset time", "AssumeRole", `<AssumeRoleResponse><AssumeRoleResult>` + strings.Replace(creds, "03:04:05Z", "05:04:05.000+02:00", 1) + `</AssumeRoleResult></AssumeRoleResponse>`, true},
		{"foreign namespace", "AssumeRole", `<AssumeRoleResponse xmlns="urn:other"><AssumeRoleResult>` + creds + `</AssumeRoleResult></AssumeRoleResponse>`, false},
		{"wrong action", "AssumeRoleWithWebIdentity", `<AssumeRoleResponse><AssumeRoleResult>` + creds + `</AssumeRoleResult></AssumeRoleResponse>`, false},
		{"result missing", "AssumeRole", `<AssumeRoleResponse>` + creds + `</AssumeRoleResponse>`, false},
		{"two results", "AssumeRole", `<AssumeRoleResponse><AssumeRoleResult>` + creds + `</AssumeRoleResult><AssumeRoleResult>` + creds + `</AssumeRoleResult></AssumeRoleResponse>`, false},
		{"zero time", "AssumeRole", `<AssumeRoleResponse><AssumeRoleResult>` + strings.Replace(creds, "2025-01-02T03:04:05Z", "0001-01-01T00:00:00Z", 1) + `</AssumeRoleResult></AssumeRoleResponse>`, false},
		{"space in secret", "AssumeRole", `<AssumeRoleResponse><AssumeRoleResult>` + strings.Replace(creds, "zzSECRETzz/+=", "zzSECRET zz", 1) + `</AssumeRoleResult></AssumeRoleResponse>`, false},
		{"entity", "AssumeRole", `<!DOCTYPE x [<!ENTITY a "b">]><AssumeRoleResponse><AssumeRoleResult>` + strings.Replace(creds, "zzSECRETzz/+=", "&a;", 1) + `</AssumeRoleResult></AssumeRoleResponse>`, false},
		{"no access key", "AssumeRole", `<AssumeRoleResponse><AssumeRoleResult>` + strings.Replace(creds, "ASIAEXAMPLE", "", 1) + `</AssumeRoleResult></AssumeRoleResponse>`, false},
		{"text after the root", "AssumeRole", `<AssumeRoleResponse><AssumeRoleResult>` + creds + `</AssumeRoleResult></AssumeRoleResponse> x`, false},
		{"two roots", "AssumeRole", `<AssumeRoleResponse><AssumeRoleResult>` + creds + `</AssumeRoleResult></AssumeRoleResponse><AssumeRoleResponse/>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSTSCredentials([]byte(tt.body), tt.action)
			switch {
			case tt.ok && (err != nil || !got.Expires.Equal(want.Expires) || got.AccessKeyID != want.AccessKeyID ||
				got.SecretAccessKey != want.SecretAccessKey || got.SessionToken != want.SessionToken):
				t.Errorf("parseSTSCredentials(%q) = %+v, %v; want %+v", tt.body, got, err, want)
			case !tt.ok && err == nil:
				t.Errorf("parseSTSCredentials(%q) = %+v, want an error", tt.body, got)
			case !tt.ok && (strings.Contains(err.Error(), "zzSECRET") || strings.Contains(err.Error(), "zzTOKEN")):
				t.Errorf("parseSTSCredentials(%q) error %q shows the body", tt.body, err)
			}
		})
	}
}

func TestParseSTSError(t *testing.T) {
	tests := []struct {
		body, code, message string
	}{
		{`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>`, "AccessDenied", "no"},
		{"<ErrorResponse>\n <Error>\n  <Code>\n   Throttling\n  </Code>\n  <Message>Rate &amp; exceeded</Message>\n </Error>\n</ErrorResponse>", "Throttling", "Rate & exceeded"},
		{`<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>`, "X", ""},
		{`<Response><Errors><Error><Code>EC2Style</Code></Error></Errors></Response>`, "", ""},
		{`{"__type":"AccessDenied","message":"json"}`, "", ""},
		{``, "", ""},
		{`<ErrorResponse><Error><Code>Trunc`, "", ""},
	}
	for _, tt := range tests {
		code, message := parseSTSError([]byte(tt.body))
		if code != tt.code || message != tt.message {
			t.Errorf("parseSTSError(%q) = %q, %q; want %q, %q", tt.body, code, message, tt.code, tt.message)
		}
	}
}

func TestValidRoleARN(t *testing.T) {
	tests := []struct {
		arn string
		ok  bool
	}{
		{"arn:aws:iam::123456789012:role/r", true},
		{"arn:aws:iam::123456789012:role/service-role/AmazonEKS_CNI+=,.@-_", true},
		{"arn:aws:iam::123456789012:role/a/b/c/" + strings.Repeat("n", 64), true},
		{"arn:aws-cn:iam::123456789012:role/r", true},
		{"arn:aws-us-gov:iam::123456789012:role/r", true},
		{"arn:aws-iso:iam::123456789012:role/r", true},
		{"arn:aws-iso-b:iam::123456789012:role/r", true},
		{"arn:aws-iso-e:iam::123456789012:role/r", true},
		{"arn:aws-iso-f:iam::123456789012:role/r", true},
		{"arn:aws-eusc:iam::123456789012:role/r", true},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("p/", 990) + "r", true},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("p/", 1010) + "r", false}, // over 2048
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("n", 65), false},
		{"arn:aws:iam::123456789012:role/", false},
		{"arn:aws:iam::123456789012:role/path/", false},
		{"arn:aws:iam::123456789012:role", false},
		{"arn:aws:iam::123456789012:user/r", false},
		{"arn:aws:sts::123456789012:role/r", false},
		{"arn:aws:iam:us-east-1:123456789012:role/r", false},
		{"arn:aws:iam::1234567890123:role/r", false},
		{"arn:aws:iam::12345678901a:role/r", false},
		{"arn:aws:iam::123456789012:role/r:x", false},
		{"arn:aws:iam::123456789012:role/r x", false},
		{"arn:aws:iam::123456789012:role/r\n", false},
		{"arn:aws:iam::123456789012:role/rö", false},
		{"arn:aws:iam::123456789012:role/r*", false},
		{"arn:AWS:iam::123456789012:role/r", false},
		{"arn:aws-xx:iam::123456789012:role/r", false},
		{" arn:aws:iam::123456789012:role/r", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validRoleARN(tt.arn); got != tt.ok {
			t.Errorf("validRoleARN(%.80q) = %v, want %v", tt.arn, got, tt.ok)
		}
	}
}

func TestValidSessionName(t *testing.T) {
	tests := []struct {
		s  string
		ok bool
	}{
		{"ab", true},
		{"ecr-credential-provider", true},
		{"a_b+c=d,e.f@g-h", true},
		{strings.Repeat("s", 64), true},
		{strings.Repeat("s", 65), false},
		{"a", false},
		{"", false},
		{"a b", false},
		{"a/b", false},
		{"a:b", false},
		{"ab\n", false},
		{"é€", false},
	}
	for _, tt := range tests {
		if got := validSessionName(tt.s); got != tt.ok {
			t.Errorf("validSessionName(%q) = %v, want %v", tt.s, got, tt.ok)
		}
	}
}

func FuzzParseSTSCredentials(f *testing.F) {
	const creds = `<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken><Expiration>2025-01-02T03:04:05Z</Expiration></Credentials>`
	f.Add([]byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+creds+`</AssumeRoleResult></AssumeRoleResponse>`), false)
	f.Add([]byte(`<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>`+creds+`</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`), true)
	f.Add([]byte(`<AssumeRoleResponse><AssumeRoleResult>`+creds+creds+`</AssumeRoleResult></AssumeRoleResponse>`), false)
	f.Add([]byte(`<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>`), true)
	f.Fuzz(func(t *testing.T, body []byte, webIdentity bool) {
		action := "AssumeRole"
		if webIdentity {
			action = "AssumeRoleWithWebIdentity"
		}
		c, err := parseSTSCredentials(body, action)
		if err != nil {
			// No error quotes the body, so every error is short.
			if len(err.Error()) > 200 {
				t.Errorf("parseSTSCredentials error is %d bytes: %q", len(err.Error()), err)
			}
			return
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || c.Expires.IsZero() {
			t.Errorf("parseSTSCredentials(%q) = %+v: accepted with a field missing", body, c)
		}
		if c.validate("fuzz") != nil {
			t.Errorf("parseSTSCredentials(%q) = %+v: accepted credentials validate refuses", body, c)
		}
	})
}

func FuzzParseSTSError(f *testing.F) {
	f.Add([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>`))
	f.Add([]byte("<ErrorResponse><Error><Code>a#b:c</Code><Message>line\r\nline&#10;&#x7f;</Message></Error></ErrorResponse>"))
	f.Add([]byte(`<ErrorResponse><Error><Message>` + strings.Repeat("€", 200) + `</Message></Error></ErrorResponse>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		code, message := parseSTSError(body)
		for _, s := range []string{cleanCode(code), cleanMessage(message)} {
			if len(s) > 300+len("…") {
				t.Errorf("parseSTSError(%q): cleaned %q is %d bytes", body, s, len(s))
			}
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("parseSTSError(%q): cleaned %q has a control character", body, s)
			}
		}
		if code != strings.TrimSpace(code) || message != strings.TrimSpace(message) {
			t.Errorf("parseSTSError(%q) = %q, %q: not trimmed", body, code, message)
		}
	})
}

func FuzzValidRoleARN(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/r")
	f.Add("arn:aws-us-gov:iam::123456789012:role/path/to/Name+=,.@-_")
	f.Add("arn:aws:iam::123456789012:role/r:x")
	f.Add("arn:aws:iam::123456789012:user/r")
	f.Fuzz(func(t *testing.T, arn string) {
		if !validRoleARN(arn) {
			return
		}
		fields := strings.Split(arn, ":")
		if !strings.HasPrefix(arn, "arn:") || len(fields) != 6 || len(arn) > 2048 {
			t.Fatalf("validRoleARN(%q) = true: not six colon-separated fields starting arn:", arn)
		}
		if fields[2] != "iam" || fields[3] != "" || len(fields[4]) != 12 || strings.Trim(fields[4], "0123456789") != "" || !strings.HasPrefix(fields[5], "role/") {
			t.Errorf("validRoleARN(%q) = true: not an IAM role of a 12-digit account", arn)
		}
		if !slices.ContainsFunc(partitions[:], func(e struct {
			prefix string
			p      partition
		}) bool {
			return e.p.name == fields[1]
		}) {
			t.Errorf("validRoleARN(%q) = true: partition %q is not in the partition table", arn, fields[1])
		}
		name := fields[5][strings.LastIndexByte(fields[5], '/')+1:]
		if len(name) < 1 || len(name) > 64 {
			t.Errorf("validRoleARN(%q) = true: role name %q not 1-64 characters", arn, name)
		}
		for _, c := range []byte(fields[5]) {
			if !isUnreserved(c) && !strings.ContainsRune("+=,@/", rune(c)) || c == '~' {
				t.Errorf("validRoleARN(%q) = true with character %q", arn, c)
			}
		}
	})
}

func TestLeakedSTSSecret(t *testing.T) {
	if got := leakedSTSSecret(errors.New("x " + stsWebToken + " y")); got != stsWebToken {
		t.Errorf("leakedSTSSecret(an error holding the web identity token) = %q", got)
	}
	if got := leakedSTSSecret(errors.New("STS AssumeRole: HTTP 403")); got != "" {
		t.Errorf("leakedSTSSecret(a clean error) = %q, want \"\"", got)
	}
}
