package interop

import (
	"crypto/tls"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The node's own static keys, as a node's environment would carry them.
var nodeKey = awsKey{AccessKeyID: "AKIAINTEROPNODE00001", SecretAccessKey: "node/Secret+Key/interop0000000000000000", SessionToken: "node-session-token/interop=="}

// The credentials STS hands out in the role tests.
var roleKey = awsKey{AccessKeyID: "ASIAINTEROPROLE00001", SecretAccessKey: "role/Secret+Key/interop0000000000000000", SessionToken: "role-session-token/interop=="}

// world is one test's fakes: a CA, the fake AWS and a CONNECT proxy in
// front of it, and the environment the binary gets through the config.
type world struct {
	t     *testing.T
	dir   string
	ca    *testCA
	aws   *fakeAWS
	proxy *connectProxy
	env   map[string]string
}

// newWorld starts the fakes. The environment sends every HTTPS call
// through the proxy, trusts only the suite's CA, keeps the binary off the
// real metadata address and away from any shared config file, and sets a
// default region unlike every registry's so a wrong region shows.
func newWorld(t *testing.T, password string, keys ...awsKey) *world {
	t.Helper()
	dir := t.TempDir()
	ca, err := newTestCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeAWS(password, keys...)
	proxy, err := startConnectProxy(ca, fake)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	w := &world{t: t, dir: dir, ca: ca, aws: fake, proxy: proxy}
	w.env = map[string]string{
		"HTTPS_PROXY":                 proxy.URL,
		"AWS_CA_BUNDLE":               ca.pemPath,
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
		"AWS_REGION":                  "eu-west-1",
	}
	return w
}

// withNodeKey adds the node's static keys to the environment.
func (w *world) withNodeKey() *world {
	w.env["AWS_ACCESS_KEY_ID"] = nodeKey.AccessKeyID
	w.env["AWS_SECRET_ACCESS_KEY"] = nodeKey.SecretAccessKey
	w.env["AWS_SESSION_TOKEN"] = nodeKey.SessionToken
	return w
}

// wantCalls compares the accepted AWS calls with want (Form is not
// compared) and reports every problem the proxy and the fakes found.
func (w *world) wantCalls(want ...awsCall) {
	w.t.Helper()
	for _, p := range append(w.proxy.Problems(), w.aws.Problems()...) {
		w.t.Errorf("fake AWS: %s", p)
	}
	got := summarize(w.aws.Calls())
	if !slices.Equal(got, summarize(want)) {
		w.t.Errorf("AWS calls:\n got  %+v\n want %+v\nCONNECT targets: %q", got, summarize(want), w.proxy.Targets())
	}
}

// callSummary is an awsCall without the parts wantCalls leaves out.
type callSummary struct{ Via, Op, Region, Service, KeyID string }

// summarize drops Host and Form.
func summarize(calls []awsCall) []callSummary {
	out := []callSummary{}
	for _, c := range calls {
		out = append(out, callSummary{c.Via, c.Op, c.Region, c.Service, c.KeyID})
	}
	return out
}

// ecrCall is the call expected for a registry whose API host, region and
// service are given, signed by key.
func ecrCall(apiHost, region, service string, key awsKey) awsCall {
	return awsCall{Via: apiHost + ":443", Op: service + ":GetAuthorizationToken", Region: region, Service: service, KeyID: key.AccessKeyID}
}

// TestKubeletConfigVersions runs one private-registry pull per config
// version, then a second image of the same registry that kubelet must
// serve from its cache (the binary said cacheKeyType Registry and a
// non-zero cacheDuration), then an image the globs do not match.
func TestKubeletConfigVersions(t *testing.T) {
	for _, version := range []string{"v1alpha1", "v1beta1", "v1"} {
		t.Run(version, func(t *testing.T) {
			w := newWorld(t, "pw-"+version, nodeKey).withNodeKey()
			cfg := newConfig(version, []string{"*.dkr.ecr.*.amazonaws.com"}, w.env)
			res, log := runKubelet(t, cfg, scenario{
				Pod: pod{Namespace: "default", Name: "app", UID: "pod-uid-1"},
				Images: []string{
					"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3",
					"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/other@sha256:" + strings.Repeat("ab", 32),
					"registry.k8s.io/pause:3.10",
				},
			})
			if len(res.Pulls) != 3 {
				t.Fatalf("pulls = %+v, want 3\nkubelet log:\n%s", res.Pulls, indent(log))
			}
			if want := "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app"; res.Pulls[0].Repo != want {
				t.Errorf("kubelet looked up %q, want %q", res.Pulls[0].Repo, want)
			}
			wantAuth(t, res.Pulls[0], "pw-"+version, log)
			wantAuth(t, res.Pulls[1], "pw-"+version, log)
			if p := res.Pulls[2]; p.Found || len(p.Auth) != 0 {
				t.Errorf("keyring.Lookup(%q) = %v, %v; want nothing", p.Repo, p.Auth, p.Found)
			}
			w.wantCalls(ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey))
		})
	}
}

// TestKubeletRegistryKinds pulls from each kind of ECR registry under one
// node config that lists a glob for each (SPEC §1: FIPS, China and
// dual-stack hosts each need their own), and checks through the proxy
// which API endpoint the binary chose and how it scoped the signature.
func TestKubeletRegistryKinds(t *testing.T) {
	globs := []string{
		"*.dkr.ecr.*.amazonaws.com",
		"*.dkr.ecr.*.amazonaws.com:443",
		"*.dkr.ecr-fips.*.amazonaws.com",
		"*.dkr.ecr.*.amazonaws.com.cn",
		"*.dkr-ecr.*.on.aws",
		"public.ecr.aws",
	}
	tests := []struct {
		name, image string
		want        awsCall
	}{
		{"private", "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3", ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey)},
		{"port", "123456789012.dkr.ecr.us-west-2.amazonaws.com:443/app:1.2.3", ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey)},
		{"fips", "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/team/app:1.2.3", ecrCall("api.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1", "ecr", nodeKey)},
		{"china", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app:1.2.3", ecrCall("api.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1", "ecr", nodeKey)},
		{"dual-stack", "123456789012.dkr-ecr.us-east-2.on.aws/team/app:1.2.3", ecrCall("ecr.us-east-2.api.aws", "us-east-2", "ecr", nodeKey)},
		{"public", "public.ecr.aws/team/app:1.2.3", ecrCall("api.ecr-public.us-east-1.amazonaws.com", "us-east-1", "ecr-public", nodeKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, "pw-"+tt.name, nodeKey).withNodeKey()
			res, log := runKubelet(t, newConfig("v1", globs, w.env), scenario{
				Pod:    pod{Namespace: "default", Name: "app", UID: "pod-uid-1"},
				Images: []string{tt.image},
			})
			wantAuth(t, res.Pulls[0], "pw-"+tt.name, log)
			w.wantCalls(tt.want)
		})
	}
}

// tokenConfig is the v1 config of KEP-4412's service-account token mode
// as EKS documents it for this provider.
func tokenConfig(env map[string]string) credentialProviderConfig {
	cfg := newConfig("v1", []string{"*.dkr.ecr.*.amazonaws.com"}, env)
	no := false
	cfg.Providers[0].TokenAttributes = &tokenAttribute{
		ServiceAccountTokenAudience:          "sts.amazonaws.com",
		CacheType:                            "ServiceAccount",
		RequireServiceAccount:                &no,
		OptionalServiceAccountAnnotationKeys: []string{"eks.amazonaws.com/ecr-role-arn", "eks.amazonaws.com/role-arn"},
	}
	return cfg
}

// TestKubeletServiceAccountToken drives token mode through kubelet's own
// code: kubelet asks the (fake) API server for the pod's service account
// and a token for audience sts.amazonaws.com, and passes both the token
// and the listed annotations to the binary, which must trade the token at
// STS AssumeRoleWithWebIdentity for the role's keys and sign ECR with
// them (SPEC §7). Without a role, or without a service account, the
// node's keys sign.
func TestKubeletServiceAccountToken(t *testing.T) {
	const (
		ecrRole  = "arn:aws:iam::123456789012:role/ecr-pull"
		irsaRole = "arn:aws:iam::123456789012:role/irsa"
		envRole  = "arn:aws:iam::123456789012:role/from-env"
		token    = "eyJhbGciOiJSUzI1NiJ9.pod-token.interop"
	)
	sts := awsCall{Via: "sts.us-west-2.amazonaws.com:443", Op: "sts:AssumeRoleWithWebIdentity"}
	viaRole := ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", roleKey)
	viaNode := ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey)
	tests := []struct {
		name        string
		sa          string
		annotations map[string]string
		env         map[string]string
		wantRole    string // "" for no STS call
	}{
		{"ecr-role-arn", "puller", map[string]string{"eks.amazonaws.com/ecr-role-arn": ecrRole}, nil, ecrRole},
		{"irsa role-arn", "puller", map[string]string{"eks.amazonaws.com/role-arn": irsaRole}, nil, irsaRole},
		{"ecr-role-arn wins", "puller", map[string]string{"eks.amazonaws.com/ecr-role-arn": ecrRole, "eks.amazonaws.com/role-arn": irsaRole}, nil, ecrRole},
		{"AWS_ECR_ROLE_ARN", "puller", map[string]string{"unrelated": "x"}, map[string]string{"AWS_ECR_ROLE_ARN": envRole}, envRole},
		{"no role", "puller", nil, nil, ""},
		{"no service account", "", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, "pw-token", nodeKey).withNodeKey()
			w.env["AWS_REGION"] = "us-west-2"
			for k, v := range tt.env {
				w.env[k] = v
			}
			w.aws.webIdentityToken, w.aws.issued = token, roleKey
			res, log := runKubelet(t, tokenConfig(w.env), scenario{
				Pod:            pod{Namespace: "team", Name: "app-7d9f", UID: "pod-uid-2", ServiceAccount: tt.sa},
				ServiceAccount: &serviceAccount{UID: "sa-uid-1", Annotations: tt.annotations, Token: token},
				Images:         []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3"},
			})
			wantAuth(t, res.Pulls[0], "pw-token", log)
			wantTokenRequests(t, res.TokenRequests, tt.sa)
			if tt.wantRole == "" {
				w.wantCalls(viaNode)
				return
			}
			w.wantCalls(sts, viaRole)
			if form, ok := w.aws.form("sts:AssumeRoleWithWebIdentity"); ok {
				if form.Get("RoleArn") != tt.wantRole || form.Get("RoleSessionName") != "ecr-credential-provider" {
					t.Errorf("AssumeRoleWithWebIdentity RoleArn=%q RoleSessionName=%q, want %q, %q", form.Get("RoleArn"), form.Get("RoleSessionName"), tt.wantRole, "ecr-credential-provider")
				}
			}
		})
	}
}

// wantTokenRequests checks that kubelet minted one token for the pod's
// service account, for the configured audience, bound to the pod; or none
// for a pod without a service account.
func wantTokenRequests(t *testing.T, got []tokenRequest, sa string) {
	t.Helper()
	var want []tokenRequest
	if sa != "" {
		want = []tokenRequest{{Namespace: "team", ServiceAccount: sa, Audiences: []string{"sts.amazonaws.com"}, BoundPod: "Pod/app-7d9f/pod-uid-2"}}
	}
	if !slices.EqualFunc(got, want, func(a, b tokenRequest) bool {
		return a.Namespace == b.Namespace && a.ServiceAccount == b.ServiceAccount && slices.Equal(a.Audiences, b.Audiences) && a.BoundPod == b.BoundPod
	}) {
		t.Errorf("token requests = %+v, want %+v", got, want)
	}
}

// TestKubeletPluginFailure: ECR refuses, the binary exits 1, and kubelet's
// code logs the failure with the binary's stderr and hands out nothing.
// A second pull runs the binary again: failures are not cached (SPEC §1),
// and AccessDeniedException is not retried (SPEC §3).
func TestKubeletPluginFailure(t *testing.T) {
	w := newWorld(t, "pw-unused", nodeKey).withNodeKey()
	w.aws.ecrError = "AccessDeniedException"
	image := "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3"
	res, log := runKubelet(t, newConfig("v1", []string{"*.dkr.ecr.*.amazonaws.com"}, w.env), scenario{
		Pod:    pod{Namespace: "default", Name: "app", UID: "pod-uid-1"},
		Images: []string{image, image},
	})
	for _, p := range res.Pulls {
		if p.Found || len(p.Auth) != 0 {
			t.Errorf("keyring.Lookup(%q) = %v, %v; want nothing", p.Repo, p.Auth, p.Found)
		}
	}
	for _, want := range []string{"Failed to provide credentials for image", "exit status 1", "AccessDeniedException"} {
		if got := strings.Count(log, want); got != 2 {
			t.Errorf("kubelet log has %q %d times, want 2\nkubelet log:\n%s", want, got, indent(log))
		}
	}
	for _, secret := range []string{nodeKey.SecretAccessKey, nodeKey.SessionToken} {
		if strings.Contains(log, secret) {
			t.Errorf("kubelet log contains a secret\nkubelet log:\n%s", indent(log))
		}
	}
	call := ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey)
	w.wantCalls(call, call)
}

// TestKubeletAssumeRoleProfile: the node's credentials come from a
// shared-config profile that assumes a role on top of another profile's
// static keys (SPEC §5); STS AssumeRole is signed with those keys and ECR
// with the role's.
func TestKubeletAssumeRoleProfile(t *testing.T) {
	w := newWorld(t, "pw-profile", nodeKey)
	w.aws.issued = roleKey
	config := filepath.Join(w.dir, "config")
	credentials := filepath.Join(w.dir, "credentials")
	writeFile(t, config, "[profile ecr]\nrole_arn = arn:aws:iam::123456789012:role/node-ecr\nsource_profile = base\n\n[profile base]\nregion = us-west-2\n")
	writeFile(t, credentials, "[base]\naws_access_key_id = "+nodeKey.AccessKeyID+"\naws_secret_access_key = "+nodeKey.SecretAccessKey+"\naws_session_token = "+nodeKey.SessionToken+"\n")
	w.env["AWS_CONFIG_FILE"], w.env["AWS_SHARED_CREDENTIALS_FILE"], w.env["AWS_PROFILE"] = config, credentials, "ecr"
	w.env["AWS_REGION"] = "us-west-2"
	res, log := runKubelet(t, newConfig("v1", []string{"*.dkr.ecr.*.amazonaws.com"}, w.env), scenario{
		Pod:    pod{Namespace: "default", Name: "app", UID: "pod-uid-1"},
		Images: []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3"},
	})
	wantAuth(t, res.Pulls[0], "pw-profile", log)
	w.wantCalls(
		awsCall{Via: "sts.us-west-2.amazonaws.com:443", Op: "sts:AssumeRole", Region: "us-west-2", Service: "sts", KeyID: nodeKey.AccessKeyID},
		ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", roleKey),
	)
	if form, ok := w.aws.form("sts:AssumeRole"); ok {
		if got := form.Get("RoleArn"); got != "arn:aws:iam::123456789012:role/node-ecr" {
			t.Errorf("AssumeRole RoleArn = %q, want the profile's role_arn", got)
		}
	}
}

// TestEC2MetadataMock: with no credentials in the environment, the binary
// must get the instance role's credentials from Amazon's EC2 metadata
// mock, which here refuses IMDSv1, and sign ECR with them.
func TestEC2MetadataMock(t *testing.T) {
	base, err := metadataMock()
	if err != nil {
		t.Fatal(err)
	}
	if _, status, err := imdsGet(base, "/latest/meta-data/iam/security-credentials/", ""); err != nil || status != 401 {
		t.Fatalf("IMDSv1 GET = %d, %v; want 401 (the mock must require IMDSv2)", status, err)
	}
	rc, err := mockRoleCredentials(base)
	if err != nil || rc.Code != "Success" || rc.AccessKeyId == "" {
		t.Fatalf("mock role credentials = %+v, %v", rc, err)
	}
	if exp, err := time.Parse(time.RFC3339, rc.Expiration); err != nil || exp.Before(time.Now()) {
		t.Fatalf("mock role credentials expire at %q: the suite's override of the mock's 2020 default did not apply", rc.Expiration)
	}
	instance := awsKey{AccessKeyID: rc.AccessKeyId, SecretAccessKey: rc.SecretAccessKey, SessionToken: rc.Token}
	w := newWorld(t, "pw-imds", instance)
	delete(w.env, "AWS_EC2_METADATA_DISABLED")
	w.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = base
	res, log := runKubelet(t, newConfig("v1", []string{"*.dkr.ecr.*.amazonaws.com"}, w.env), scenario{
		Pod:    pod{Namespace: "default", Name: "app", UID: "pod-uid-1"},
		Images: []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3"},
	})
	wantAuth(t, res.Pulls[0], "pw-imds", log)
	w.wantCalls(ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", instance))
}

// TestEndpointOverride: AWS_ENDPOINT_URL_ECR and _ECR_PUBLIC send the call
// to a plain httptest TLS server on 127.0.0.1 (no proxy), while the
// signature keeps the region and service the registry implies (SPEC §5).
func TestEndpointOverride(t *testing.T) {
	tests := []struct {
		name, envName, image string
		want                 awsCall
	}{
		{"ecr", "AWS_ENDPOINT_URL_ECR", "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3", awsCall{Op: "ecr:GetAuthorizationToken", Region: "us-west-2", Service: "ecr", KeyID: nodeKey.AccessKeyID}},
		{"ecr-public", "AWS_ENDPOINT_URL_ECR_PUBLIC", "public.ecr.aws/team/app:1.2.3", awsCall{Op: "ecr-public:GetAuthorizationToken", Region: "us-east-1", Service: "ecr-public", KeyID: nodeKey.AccessKeyID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, "pw-override", nodeKey).withNodeKey()
			srv := httptest.NewUnstartedServer(w.aws)
			leaf, err := w.ca.leaf("127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{*leaf}}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			delete(w.env, "HTTPS_PROXY")
			w.env[tt.envName] = srv.URL
			res, log := runKubelet(t, newConfig("v1", []string{"*.dkr.ecr.*.amazonaws.com", "public.ecr.aws"}, w.env), scenario{
				Pod:    pod{Namespace: "default", Name: "app", UID: "pod-uid-1"},
				Images: []string{tt.image},
			})
			wantAuth(t, res.Pulls[0], "pw-override", log)
			w.wantCalls(tt.want)
			if calls := w.aws.Calls(); len(calls) == 1 && calls[0].Host != strings.TrimPrefix(srv.URL, "https://") {
				t.Errorf("Host = %q, want %q", calls[0].Host, strings.TrimPrefix(srv.URL, "https://"))
			}
		})
	}
}

// writeFile writes a small text file.
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
