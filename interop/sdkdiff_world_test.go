package interop

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The differential test's view of one side (the SDK or the binary): the
// fake AWS behind the CONNECT proxy, and plain-HTTP fakes of the instance
// metadata service and a container credentials endpoint on 127.0.0.1.
// Both sides get worlds built the same way and run every case against a
// fresh state of their own world.
type diffWorld struct {
	*world
	imds      *nodeFake
	container *nodeFake
}

// newDiffWorld starts the fakes once for all cases of one side. STS hands
// out, for every role, keys named after the role, so the key that signs
// ECR says which chain of roles led to it.
func newDiffWorld(t *testing.T) *diffWorld {
	w := newWorld(t, "pw-differential")
	w.aws.webIdentityToken = webIdentityToken
	w.aws.paddedTokenOK = true // so the sent form, padding included, is recorded
	w.aws.issueFor = func(arn string) awsKey {
		_, name, _ := strings.Cut(arn, ":role/")
		return keyFor("role." + sanitizeLabel(name))
	}
	dw := &diffWorld{world: w, imds: newNodeFake(t, keyFor("imds")), container: newNodeFake(t, keyFor("container"))}
	return dw
}

// webIdentityToken is the one token STS accepts, written to token files.
const webIdentityToken = "eyJhbGciOiJSUzI1NiJ9.interop-differential.sig"

// reset forgets the last case's calls and accepts exactly the keys a
// node could hold (static, metadata, process); STS adds role keys as it
// issues them.
func (w *diffWorld) reset(imds imdsMode) {
	f := w.aws
	f.mu.Lock()
	f.calls, f.problems = nil, nil
	f.keys = map[string]awsKey{}
	for _, label := range staticLabels() {
		k := keyFor(label)
		f.keys[k.AccessKeyID] = k
	}
	f.mu.Unlock()
	w.imds.reset(imds == imdsV1Only)
	w.container.reset(false)
}

// keyFor is the deterministic key of a label: its access key ID carries
// the label, so a recorded call names its signer without a lookup.
func keyFor(label string) awsKey {
	return awsKey{AccessKeyID: "AKIDX" + label, SecretAccessKey: "secret/" + label, SessionToken: tokenFor(label)}
}

// tokenFor gives temporary credentials (roles, metadata, processes) a
// session token and leaves static keys without one, as on a real node.
func tokenFor(label string) string {
	for _, p := range []string{"role.", "imds", "container", "process."} {
		if strings.HasPrefix(label, p) {
			return "session/" + label
		}
	}
	return ""
}

// sanitizeLabel keeps a label usable inside an access key ID.
func sanitizeLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// profileNames are every profile name the cases use; staticLabels the
// labels of every key a node can hold before any role is assumed.
var profileNames = []string{"default", "dev", "base", "ops", "ci"}

func staticLabels() []string {
	labels := []string{"env", "env-alias", "imds", "container"}
	for _, p := range profileNames {
		labels = append(labels, "profile."+p, "process."+p)
	}
	return labels
}

// imdsMode is what the instance metadata service does in a case.
type imdsMode int

const (
	imdsOff    imdsMode = iota // AWS_EC2_METADATA_DISABLED=true
	imdsV2                     // IMDSv2 at the fake
	imdsV1Only                 // the fake refuses tokens: only IMDSv1 would work
)

// nodeFake is the metadata service or the container credentials endpoint
// of a node: plain HTTP on 127.0.0.1, answering with one fixed key.
type nodeFake struct {
	srv *httptest.Server
	key awsKey

	mu     sync.Mutex
	v1Only bool
}

func newNodeFake(t *testing.T, key awsKey) *nodeFake {
	f := &nodeFake{key: key}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *nodeFake) reset(v1Only bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.v1Only = v1Only
}

// serve answers IMDSv2 (SPEC §6), or IMDSv1 only when so set, and the
// container endpoint's /creds (SPEC §5.4).
func (f *nodeFake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	v1Only := f.v1Only
	f.mu.Unlock()
	const role = "node-role"
	switch {
	case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
		if v1Only {
			http.Error(w, "IMDSv2 disabled", http.StatusForbidden)
			return
		}
		// IMDS echoes the token's TTL; the SDK refuses a token without it.
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds"))
		w.Write([]byte("imds-session-token"))
	case r.Method != http.MethodGet:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	case strings.HasPrefix(r.URL.Path, "/latest/") && !v1Only && r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-session-token":
		http.Error(w, "no token", http.StatusUnauthorized)
	case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
		w.Write([]byte(role))
	case r.URL.Path == "/latest/meta-data/iam/security-credentials/"+role:
		f.writeCreds(w, map[string]string{"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": time.Now().UTC().Format(time.RFC3339)})
	case r.URL.Path == "/latest/meta-data/placement/region":
		w.Write([]byte("ap-south-1"))
	case r.URL.Path == "/creds":
		f.writeCreds(w, nil)
	default:
		http.NotFound(w, r)
	}
}

func (f *nodeFake) writeCreds(w http.ResponseWriter, extra map[string]string) {
	doc := map[string]string{"AccessKeyId": f.key.AccessKeyID, "SecretAccessKey": f.key.SecretAccessKey, "Token": f.key.SessionToken, "Expiration": time.Now().Add(6 * time.Hour).UTC().Format(time.RFC3339)}
	for k, v := range extra {
		doc[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
}

// prepare writes the case's files into dir and returns the environment
// the side runs with: the case's own, with the placeholders filled in,
// plus what every case shares (the proxy, the CA, where the metadata
// service and the shared files are).
func (w *diffWorld) prepare(t *testing.T, c *nodeCase, dir string) map[string]string {
	fill := strings.NewReplacer("$DIR", dir, "$CA", w.ca.pemPath, "$IMDS", w.imds.srv.URL, "$CONTAINER", w.container.srv.URL).Replace
	env := map[string]string{
		"HTTPS_PROXY":                 w.proxy.URL,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	}
	if !c.caInProfile {
		env["AWS_CA_BUNDLE"] = w.ca.pemPath
	}
	switch {
	case c.imds == imdsOff:
		env["AWS_EC2_METADATA_DISABLED"] = "true"
	case !c.imdsInProfile:
		env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = w.imds.srv.URL
	}
	if c.container {
		env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = w.container.srv.URL + "/creds"
	}
	for k, v := range c.env {
		env[k] = fill(v)
	}
	for k, v := range env {
		if v == unset {
			delete(env, k)
		}
	}
	files := map[string]string{"config": c.config, "credentials": c.credentials}
	if c.token != "" {
		files["token"] = c.token
	}
	for name, text := range c.files {
		files[name] = text
	}
	for name, p := range c.processes {
		files["proc-"+name] = p.script()
	}
	for name, text := range files {
		if text == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(fill(text)), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// unset as a case's environment value removes a variable the shared
// defaults would set.
const unset = "\x00unset"

// processOut is what a credential_process prints.
type processOut struct {
	label   string
	expired bool
}

// script is a shell script printing the process's credentials (SPEC §5.3).
func (p processOut) script() string {
	k := keyFor(p.label)
	exp := time.Now().Add(time.Hour)
	if p.expired {
		exp = time.Now().Add(-time.Hour)
	}
	doc, _ := json.Marshal(map[string]any{"Version": 1, "AccessKeyId": k.AccessKeyID, "SecretAccessKey": k.SecretAccessKey, "SessionToken": k.SessionToken, "Expiration": exp.UTC().Format(time.RFC3339)})
	return "#!/bin/sh\nprintf '%s\\n' '" + string(doc) + "'\n"
}

// outcome is what one side did with a case: whether it produced
// registry credentials, and every AWS call the fakes accepted, in order,
// as one line each naming the endpoint host, the operation, the role and
// session, and the key that signed.
type outcome struct {
	ok     bool
	calls  []string
	detail string // the error, or the fakes' problems, shortened
}

func (o outcome) String() string {
	if !o.ok {
		return "FAIL " + strings.Join(o.calls, " → ") + " (" + o.detail + ")"
	}
	return strings.Join(o.calls, " → ")
}

// equal is the issue's test of sameness: both fail, or both succeed with
// the same calls (what a failing run did before it failed does not count).
func (o outcome) equal(p outcome) bool {
	return o.ok == p.ok && (!o.ok || strings.Join(o.calls, "\n") == strings.Join(p.calls, "\n"))
}

// observe turns what the world's fakes recorded into an outcome.
func (w *diffWorld) observe(ok bool, detail string) outcome {
	o := outcome{ok: ok, detail: shorten(detail)}
	for _, c := range w.aws.Calls() {
		o.calls = append(o.calls, describeCall(c))
	}
	if p := w.aws.Problems(); len(p) > 0 {
		o.ok = false
		o.detail = shorten("fake AWS: " + strings.Join(p, "; "))
	}
	return o
}

// describeCall is one call as the comparison sees it.
func describeCall(c awsCall) string {
	via, _, _ := strings.Cut(c.Via, ":")
	if via == "" {
		via = c.Host
	}
	signer := strings.TrimPrefix(c.KeyID, "AKIDX")
	switch c.Op {
	case "sts:AssumeRole":
		return fmt.Sprintf("AssumeRole(%s%s)@%s by %s in %s", roleForm(c.Form), extra(c.Form), via, signer, c.Region)
	case "sts:AssumeRoleWithWebIdentity":
		pad := ""
		if tok := c.Form.Get("WebIdentityToken"); tok != strings.TrimRight(tok, " \t\r\n") {
			pad = ",padded-token"
		}
		return fmt.Sprintf("WebIdentity(%s%s)@%s", roleForm(c.Form), pad, via)
	}
	return fmt.Sprintf("%s@%s by %s in %s", c.Op, via, signer, c.Region)
}

// Default session names: the SDK's AssumeRole uses aws-go-sdk-NANOS and
// its web identity provider NANOS; the binary ecr-credential-provider
// (one of the issue's deliberate differences).
var sdkDefaultSession = regexp.MustCompile(`^(aws-go-sdk-)?[0-9]{15,}$`)

const ourDefaultSession = "ecr-credential-provider"

func roleForm(f url.Values) string {
	_, name, _ := strings.Cut(f.Get("RoleArn"), ":role/")
	session := f.Get("RoleSessionName")
	switch {
	case sdkDefaultSession.MatchString(session):
		session = "<sdk-default>"
	case session == ourDefaultSession:
		session = "<our-default>"
	}
	return sanitizeLabel(name) + "," + session
}

func extra(f url.Values) string {
	if e := f.Get("ExternalId"); e != "" {
		return ",ext=" + e
	}
	return ""
}

// shorten keeps an error's useful tail on one line.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
