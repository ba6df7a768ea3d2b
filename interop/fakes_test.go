package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// awsKey is one set of credentials the fakes accept, by access key ID.
type awsKey struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// awsCall is what the fakes saw of one request that passed every check.
type awsCall struct {
	Via     string // CONNECT target, "" for a direct request
	Host    string // Host header
	Op      string // service:operation
	Region  string // from the signature scope; "" when unsigned
	Service string // from the signature scope; "" when unsigned
	KeyID   string // access key ID that signed it; "" when unsigned
	Form    url.Values
}

// fakeAWS answers ECR GetAuthorizationToken (private and public) and STS
// AssumeRoleWithWebIdentity and AssumeRole, as SPEC §3 and §7 describe
// them. Every signed request is re-signed with the AWS SDK for Go v2's
// SigV4 signer from what arrived and the known secret; any difference is
// a problem the test reports.
type fakeAWS struct {
	password         string                      // ECR password handed out
	tokenLife        time.Duration               // ECR token life
	ecrError         string                      // when set, ECR fails with this __type
	account          string                      // for proxyEndpoint
	webIdentityToken string                      // the only token STS accepts
	paddedTokenOK    bool                        // also accept it with trailing whitespace
	issued           awsKey                      // what STS hands out
	issueFor         func(roleARN string) awsKey // when set, what STS hands out per role

	mu       sync.Mutex
	keys     map[string]awsKey
	calls    []awsCall
	problems []string
}

// newFakeAWS accepts the given signing keys; STS adds the keys it issues.
func newFakeAWS(password string, keys ...awsKey) *fakeAWS {
	f := &fakeAWS{password: password, tokenLife: 12 * time.Hour, account: "123456789012", keys: map[string]awsKey{}}
	for _, k := range keys {
		f.keys[k.AccessKeyID] = k
	}
	return f
}

// Calls returns the accepted requests so far.
func (f *fakeAWS) Calls() []awsCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]awsCall(nil), f.calls...)
}

// form is the form of the first accepted call of operation op.
func (f *fakeAWS) form(op string) (url.Values, bool) {
	for _, c := range f.Calls() {
		if c.Op == op {
			return c.Form, true
		}
	}
	return nil, false
}

// Problems returns every check that failed.
func (f *fakeAWS) Problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.problems...)
}

// problem records a failed check and answers with an AWS-shaped error, so
// the binary fails too and the test sees both.
func (f *fakeAWS) problem(w http.ResponseWriter, status int, code, msg string) {
	f.mu.Lock()
	f.problems = append(f.problems, code+": "+msg)
	f.mu.Unlock()
	writeJSONError(w, status, code, msg)
}

// record keeps an accepted call.
func (f *fakeAWS) record(c awsCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// key looks up a signing key by access key ID.
func (f *fakeAWS) key(id string) (awsKey, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[id]
	return k, ok
}

// ServeHTTP checks the transport facts every call shares, then dispatches
// on X-Amz-Target (ECR) or the form's Action (STS).
func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		f.problem(w, 400, "ReadError", err.Error())
		return
	}
	call := awsCall{Via: connectTarget(r), Host: r.Host}
	if msg := checkTransport(r, call.Via); msg != "" {
		f.problem(w, 400, "BadTransport", msg)
		return
	}
	switch target := r.Header.Get("X-Amz-Target"); target {
	case "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken":
		f.serveECR(w, r, body, call, "ecr")
	case "SpencerFrontendService.GetAuthorizationToken":
		f.serveECR(w, r, body, call, "ecr-public")
	case "":
		f.serveSTS(w, r, body, call)
	default:
		f.problem(w, 400, "UnknownOperationException", fmt.Sprintf("X-Amz-Target %q", target))
	}
}

// checkTransport wants POST / over TLS, with SNI and Host naming the host
// that was CONNECTed to.
func checkTransport(r *http.Request, via string) string {
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.URL.RawQuery != "" {
		return fmt.Sprintf("got %s %s, want POST /", r.Method, r.URL)
	}
	if r.TLS == nil {
		return "request not over TLS"
	}
	if via == "" {
		return ""
	}
	host, port, _ := net.SplitHostPort(via)
	if port != "443" {
		return fmt.Sprintf("CONNECT %q, want port 443", via)
	}
	if r.TLS.ServerName != host {
		return fmt.Sprintf("SNI %q through CONNECT %q", r.TLS.ServerName, via)
	}
	if r.Host != host && r.Host != via {
		return fmt.Sprintf("Host %q through CONNECT %q", r.Host, via)
	}
	return ""
}

// serveECR answers GetAuthorizationToken per SPEC §3: private answers carry
// a list, public ones a single object.
func (f *fakeAWS) serveECR(w http.ResponseWriter, r *http.Request, body []byte, call awsCall, service string) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		f.problem(w, 400, "SerializationException", fmt.Sprintf("Content-Type %q", ct))
		return
	}
	if strings.TrimSpace(string(body)) != "{}" {
		f.problem(w, 400, "SerializationException", fmt.Sprintf("body %q, want {}", body))
		return
	}
	if !f.verify(w, r, body, &call) {
		return
	}
	call.Op = call.Service + ":GetAuthorizationToken"
	if call.Service != service {
		f.problem(w, 400, "InvalidSignatureException", fmt.Sprintf("%s signed for service %q", r.Header.Get("X-Amz-Target"), call.Service))
		return
	}
	f.record(call)
	if f.ecrError != "" {
		writeJSONError(w, 400, f.ecrError, "User is not authorized to perform: ecr:GetAuthorizationToken")
		return
	}
	f.writeECRToken(w, call)
}

// writeECRToken writes the token with expiresAt in E-notation, as the
// service does (SPEC §3).
func (f *fakeAWS) writeECRToken(w http.ResponseWriter, call awsCall) {
	token := base64.StdEncoding.EncodeToString([]byte("AWS:" + f.password))
	secs := float64(time.Now().Add(f.tokenLife).UnixMilli()) / 1000
	expires := strconv.FormatFloat(secs/1e9, 'f', -1, 64) + "E9"
	var out string
	if call.Service == "ecr-public" {
		out = fmt.Sprintf(`{"authorizationData":{"authorizationToken":%q,"expiresAt":%s}}`, token, expires)
	} else {
		endpoint := fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", f.account, call.Region)
		out = fmt.Sprintf(`{"authorizationData":[{"authorizationToken":%q,"expiresAt":%s,"proxyEndpoint":%q}]}`, token, expires, endpoint)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	io.WriteString(w, out)
}

// serveSTS answers the two STS actions the binary may use (SPEC §7).
func (f *fakeAWS) serveSTS(w http.ResponseWriter, r *http.Request, body []byte, call awsCall) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		f.problem(w, 400, "InvalidParameterValue", fmt.Sprintf("STS Content-Type %q", ct))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Version") != "2011-06-15" {
		f.problem(w, 400, "InvalidParameterValue", fmt.Sprintf("STS form %q: %v", body, err))
		return
	}
	call.Form = form
	switch action := form.Get("Action"); action {
	case "AssumeRoleWithWebIdentity":
		f.serveWebIdentity(w, r, call)
	case "AssumeRole":
		if !f.verify(w, r, body, &call) {
			return
		}
		call.Op = call.Service + ":AssumeRole"
		f.issue(w, call, "AssumeRole")
	default:
		f.problem(w, 400, "InvalidAction", fmt.Sprintf("Action %q", action))
	}
}

// serveWebIdentity wants an unsigned request carrying the pod's token.
func (f *fakeAWS) serveWebIdentity(w http.ResponseWriter, r *http.Request, call awsCall) {
	if a := r.Header.Get("Authorization"); a != "" {
		f.problem(w, 400, "InvalidParameterValue", "AssumeRoleWithWebIdentity is signed: "+a)
		return
	}
	sent := call.Form.Get("WebIdentityToken")
	if f.paddedTokenOK {
		sent = strings.TrimRight(sent, " \t\r\n")
	}
	if sent != f.webIdentityToken || f.webIdentityToken == "" {
		f.problem(w, 400, "InvalidIdentityToken", "WebIdentityToken is not the pod's token")
		return
	}
	call.Op = "sts:AssumeRoleWithWebIdentity"
	f.issue(w, call, "AssumeRoleWithWebIdentity")
}

// issue records the call, accepts the issued key from now on and writes
// the STS XML answer.
func (f *fakeAWS) issue(w http.ResponseWriter, call awsCall, action string) {
	f.record(call)
	issued := f.issued
	if f.issueFor != nil {
		issued = f.issueFor(call.Form.Get("RoleArn"))
	}
	f.mu.Lock()
	f.keys[issued.AccessKeyID] = issued
	f.mu.Unlock()
	expiration := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%sResult><Credentials>`, action, action)
	for _, kv := range [][2]string{{"AccessKeyId", issued.AccessKeyID}, {"SecretAccessKey", issued.SecretAccessKey}, {"SessionToken", issued.SessionToken}, {"Expiration", expiration}} {
		fmt.Fprintf(&buf, "<%s>", kv[0])
		xml.EscapeText(&buf, []byte(kv[1]))
		fmt.Fprintf(&buf, "</%s>", kv[0])
	}
	fmt.Fprintf(&buf, `</Credentials></%sResult><ResponseMetadata><RequestId>interop</RequestId></ResponseMetadata></%sResponse>`, action, action)
	w.Header().Set("Content-Type", "text/xml")
	w.Write(buf.Bytes())
}

// verify is the oracle: it re-signs the request with the SDK and fails
// the call on any difference. It fills call's scope and key ID.
func (f *fakeAWS) verify(w http.ResponseWriter, r *http.Request, body []byte, call *awsCall) bool {
	auth, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		f.problem(w, 403, "IncompleteSignatureException", err.Error())
		return false
	}
	key, ok := f.key(auth.keyID)
	if !ok {
		f.problem(w, 403, "UnrecognizedClientException", fmt.Sprintf("access key %q is not one the fakes issued", auth.keyID))
		return false
	}
	if msg := resign(r, body, auth, key); msg != "" {
		f.problem(w, 403, "SignatureDoesNotMatch", msg)
		return false
	}
	call.Region, call.Service, call.KeyID = auth.region, auth.service, auth.keyID
	return true
}

// sigv4Auth is a parsed Authorization header.
type sigv4Auth struct {
	raw, keyID, date, region, service string
	signedHeaders                     []string
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…" (SPEC §4).
func parseAuthorization(h string) (sigv4Auth, error) {
	a := sigv4Auth{raw: h}
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return a, fmt.Errorf("Authorization %q is not AWS4-HMAC-SHA256", h)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return a, fmt.Errorf("Authorization %q is incomplete", h)
	}
	a.keyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	return a, nil
}

// resign rebuilds the request from exactly the headers the client said it
// signed, signs it with the SDK at the client's X-Amz-Date, and compares
// the Authorization headers. It returns "" when they are equal.
func resign(r *http.Request, body []byte, auth sigv4Auth, key awsKey) string {
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Sprintf("X-Amz-Date %q: %v", r.Header.Get("X-Amz-Date"), err)
	}
	if skew := time.Since(when); skew > 15*time.Minute || skew < -15*time.Minute {
		return fmt.Sprintf("X-Amz-Date %s is %s off", when, skew)
	}
	if got := r.Header.Get("X-Amz-Security-Token"); got != key.SessionToken {
		return fmt.Sprintf("X-Amz-Security-Token for %s is wrong or missing (sent %d bytes, want %d)", key.AccessKeyID, len(got), len(key.SessionToken))
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payload {
		return fmt.Sprintf("X-Amz-Content-Sha256 %q is not the body's hash %q", h, payload)
	}
	fresh, err := http.NewRequest(r.Method, "https://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return err.Error()
	}
	fresh.Host = r.Host
	for _, name := range auth.signedHeaders {
		switch name {
		case "host":
		case "content-length":
			fresh.ContentLength = int64(len(body))
		default:
			vals := r.Header.Values(name)
			if len(vals) == 0 {
				return fmt.Sprintf("signed header %q was not sent", name)
			}
			fresh.Header[http.CanonicalHeaderKey(name)] = vals
		}
	}
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey, SessionToken: key.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, fresh, payload, auth.service, auth.region, when); err != nil {
		return "SDK signer: " + err.Error()
	}
	if want := fresh.Header.Get("Authorization"); want != auth.raw {
		return fmt.Sprintf("signature differs from the AWS SDK's:\n got  %s\n want %s", auth.raw, want)
	}
	return ""
}

// writeJSONError writes an awsJson1.1 error.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
