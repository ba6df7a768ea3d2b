package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fixedSource is a chain link with a canned answer.
func fixedSource(name string, creds credentials, err error) credentialSource {
	return credentialSource{name: name, fetch: func(context.Context) (credentials, error) { return creds, err }}
}

func TestResolveCredentials(t *testing.T) {
	a := credentials{AccessKeyID: "AKIDA", SecretAccessKey: "a"}
	b := credentials{AccessKeyID: "AKIDB", SecretAccessKey: "b"}
	none := &notConfigured{"nothing here"}
	tests := []struct {
		name    string
		sources []credentialSource
		want    string // access key ID, or an error substring
	}{
		{"first wins", []credentialSource{fixedSource("one", a, nil), fixedSource("two", b, nil)}, "AKIDA"},
		{"skips unconfigured", []credentialSource{fixedSource("one", credentials{}, none), fixedSource("two", b, nil)}, "AKIDB"},
		{"configured failure stops the chain", []credentialSource{fixedSource("one", credentials{}, errors.New("token file unreadable")), fixedSource("two", b, nil)},
			"AWS credentials from one: token file unreadable"},
		{"none lists every reason", []credentialSource{fixedSource("one", credentials{}, none), fixedSource("two", credentials{}, &notConfigured{"off"})},
			"no AWS credentials found (one: nothing here; two: off)"},
		{"malformed credentials refused", []credentialSource{fixedSource("one", credentials{AccessKeyID: "AKID\n", SecretAccessKey: "s"}, nil)},
			"the access key ID is malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, err := resolveCredentials(context.Background(), tt.sources)
			got := creds.AccessKeyID
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("resolveCredentials = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProfileKind(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   string // kind, or an error substring
	}{
		{"static", map[string]string{"aws_access_key_id": "A", "aws_secret_access_key": "S"}, "static"},
		{"static with token", map[string]string{"aws_access_key_id": "A", "aws_secret_access_key": "S", "aws_session_token": "T"}, "static"},
		{"region only", map[string]string{"region": "us-east-1"}, ""},
		{"source_profile", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "base"}, "source_profile"},
		{"self-sourced with keys", map[string]string{"name": "p", "role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "p", "aws_access_key_id": "A", "aws_secret_access_key": "S"}, "source_profile"},
		{"credential_source", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "credential_source": "Ec2InstanceMetadata"}, "credential_source"},
		{"web identity", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "web_identity_token_file": "/t"}, "web_identity_token_file"},
		{"process", map[string]string{"credential_process": "/bin/creds"}, "credential_process"},
		{"partial keys", map[string]string{"aws_access_key_id": "A"}, "only one of aws_access_key_id and aws_secret_access_key"},
		{"secret only", map[string]string{"aws_secret_access_key": "S"}, "only one of"},
		{"both sources", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "credential_source": "Environment"}, "more than one of"},
		{"role on other source with own keys", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "aws_access_key_id": "A", "aws_secret_access_key": "S"}, "mixes its own static keys"},
		{"role on other source with process", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "credential_process": "x"}, "mixes its own static keys or credential_process"},
		{"role on credential_source with process", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "credential_source": "Environment", "credential_process": "x"}, "mixes"},
		{"role on own keys", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "aws_access_key_id": "A", "aws_secret_access_key": "S"}, "static"},
		{"role on process", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "credential_process": "x"}, "credential_process"},
		{"keys and process", map[string]string{"aws_access_key_id": "A", "aws_secret_access_key": "S", "credential_process": "x"}, "both static keys and credential_process"},
		{"role alone", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r"}, "role_arn without credentials"},
		{"source without role", map[string]string{"source_profile": "b"}, "source_profile without role_arn"},
		{"mfa", map[string]string{"role_arn": "arn:aws:iam::123456789012:role/r", "source_profile": "b", "mfa_serial": "arn:aws:iam::123456789012:mfa/u"}, "MFA"},
		{"sso", map[string]string{"sso_session": "corp"}, "IAM Identity Center"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.values["name"]
			if name == "" {
				name = "p"
			}
			kind, err := profileKind(profile{name: name, values: tt.values})
			got := kind
			if err != nil {
				got = err.Error()
			}
			if (tt.want == "" && got != "") || !strings.Contains(got, tt.want) {
				t.Errorf("profileKind(%v) = %q, want %q", tt.values, got, tt.want)
			}
		})
	}
}

func TestPodRoleARN(t *testing.T) {
	const ecrKey, irsaKey = "eks.amazonaws.com/ecr-role-arn", "eks.amazonaws.com/role-arn"
	tests := []struct {
		annotations map[string]string
		env         string
		arn, from   string
	}{
		{map[string]string{ecrKey: "A", irsaKey: "B"}, "C", "A", "service-account annotation " + ecrKey},
		{map[string]string{irsaKey: "B"}, "C", "B", "service-account annotation " + irsaKey},
		{map[string]string{"other": "X"}, "C", "C", "AWS_ECR_ROLE_ARN"},
		{map[string]string{ecrKey: ""}, "C", "C", "AWS_ECR_ROLE_ARN"},
		{nil, "", "", ""},
	}
	for _, tt := range tests {
		arn, from := podRoleARN(tt.annotations, tt.env)
		if arn != tt.arn || from != tt.from {
			t.Errorf("podRoleARN(%v, %q) = %q, %q; want %q, %q", tt.annotations, tt.env, arn, from, tt.arn, tt.from)
		}
	}
}

// The credentials the fakes hand out: STS's role credentials, and the
// instance role's from IMDS.
var (
	stsCreds  = credentials{AccessKeyID: stsAccessKey, SecretAccessKey: stsSecretKey, SessionToken: stsSessionToken}
	imdsCreds = credentials{AccessKeyID: "ASIAFAKEACCESSKEY", SecretAccessKey: fakeSecretKey, SessionToken: fakeSessionToken}
)

// awsWorld is a fake AWS for end-to-end runs: ECR and STS over TLS, an
// IMDSv2 service and a container credentials endpoint over plain HTTP.
type awsWorld struct {
	ecr  *fakeECR
	sts  *fakeSTS
	imds *fakeIMDS
	env  map[string]string
	dir  string
}

// newAWSWorld starts the fakes; ECR accepts only calls signed with want.
func newAWSWorld(t testing.TB, want credentials) *awsWorld {
	w := &awsWorld{ecr: newFakeECR(t).signedWith(want), sts: newFakeSTS(t), dir: t.TempDir()}
	w.sts.keys[imdsCreds.AccessKeyID] = imdsCreds
	ecrURL, ca := tlsFake(t, w.ecr)
	stsURL, _ := tlsFake(t, w.sts) // httptest servers share one certificate
	expires := time.Now().Add(6 * time.Hour).UTC().Format(time.RFC3339)
	w.imds = &fakeIMDS{routes: map[string][]fakeReply{
		imdsRolesPath:            {{200, fakeRole}},
		imdsRolesPath + fakeRole: {{200, fmt.Sprintf(`{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":%q,"SecretAccessKey":%q,"Token":%q,"Expiration":%q}`, imdsCreds.AccessKeyID, imdsCreds.SecretAccessKey, imdsCreds.SessionToken, expires)}},
		imdsRegionPath:           {{200, "eu-west-1"}},
	}}
	imdsURL := newFakeIMDS(t, w.imds).cfg.endpoint
	w.env = map[string]string{
		"AWS_ENDPOINT_URL_ECR": ecrURL, "AWS_ENDPOINT_URL_ECR_PUBLIC": ecrURL, "AWS_ENDPOINT_URL_STS": stsURL,
		"AWS_CA_BUNDLE": ca, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imdsURL,
		"AWS_CONFIG_FILE": w.file("config", ""), "AWS_SHARED_CREDENTIALS_FILE": w.file("credentials", ""),
	}
	return w
}

// file writes a file into the world's directory and returns its path.
func (w *awsWorld) file(name, content string) string {
	path := filepath.Join(w.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
		panic(err)
	}
	return path
}

// with returns the world's environment plus kv pairs.
func (w *awsWorld) with(kv ...string) map[string]string {
	env := maps.Clone(w.env)
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

const privateImage = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app"

// TestEndToEndCredentialSources runs the binary once per source of the
// chain; the fake ECR accepts only a call signed with the credentials
// that source must yield.
func TestEndToEndCredentialSources(t *testing.T) {
	staticINI := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", testAccessKey, testSecretKey)
	process := fmt.Sprintf("#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"}'\n", testAccessKey, testSecretKey)
	tests := []struct {
		name  string
		want  credentials
		setup func(w *awsWorld) map[string]string
		sts   []string // the STS actions the run must make
	}{
		{"environment", testCreds, func(w *awsWorld) map[string]string {
			return w.with("AWS_ACCESS_KEY_ID", testAccessKey, "AWS_SECRET_ACCESS_KEY", testSecretKey)
		}, nil},
		{"web identity", stsCreds, func(w *awsWorld) map[string]string {
			w.sts.webToken, w.sts.roleARN = stsWebToken, stsRoleARN
			return w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.file("token", stsWebToken+"\n"), "AWS_ROLE_ARN", stsRoleARN)
		}, []string{"AssumeRoleWithWebIdentity"}},
		{"profile static keys", testCreds, func(w *awsWorld) map[string]string {
			return w.with("AWS_SHARED_CREDENTIALS_FILE", w.file("credentials", staticINI))
		}, nil},
		{"profile source_profile chain", stsCreds, func(w *awsWorld) map[string]string {
			w.sts.roleARN, w.sts.region = stsRoleARN, "us-west-2"
			config := "[profile base]\nregion = eu-central-1\n[profile app]\nrole_arn = " + stsRoleARN + "\nsource_profile = base\n"
			creds := fmt.Sprintf("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n", testAccessKey, testSecretKey)
			return w.with("AWS_PROFILE", "app", "AWS_CONFIG_FILE", w.file("config", config), "AWS_SHARED_CREDENTIALS_FILE", w.file("credentials", creds))
		}, []string{"AssumeRole"}},
		{"profile role chain of two", stsCreds, func(w *awsWorld) map[string]string {
			config := "[profile a]\nrole_arn = " + stsRoleARN + "\nsource_profile = b\n[profile b]\nrole_arn = " + stsRoleARN + "\nsource_profile = c\n" +
				fmt.Sprintf("[profile c]\naws_access_key_id = %s\naws_secret_access_key = %s\n", testAccessKey, testSecretKey)
			return w.with("AWS_PROFILE", "a", "AWS_CONFIG_FILE", w.file("config", config))
		}, []string{"AssumeRole", "AssumeRole"}},
		{"profile credential_source Ec2InstanceMetadata", stsCreds, func(w *awsWorld) map[string]string {
			config := "[default]\nrole_arn = " + stsRoleARN + "\ncredential_source = Ec2InstanceMetadata\n"
			return w.with("AWS_CONFIG_FILE", w.file("config", config))
		}, []string{"AssumeRole"}},
		{"profile web_identity_token_file", stsCreds, func(w *awsWorld) map[string]string {
			w.sts.webToken = stsWebToken
			config := "[default]\nrole_arn = " + stsRoleARN + "\nweb_identity_token_file = " + w.file("token", stsWebToken) + "\n"
			return w.with("AWS_CONFIG_FILE", w.file("config", config))
		}, []string{"AssumeRoleWithWebIdentity"}},
		{"profile credential_process", testCreds, func(w *awsWorld) map[string]string {
			config := "[default]\ncredential_process = " + w.file("creds.sh", process) + "\n"
			return w.with("AWS_CONFIG_FILE", w.file("config", config))
		}, nil},
		{"profile role_arn on credential_process", stsCreds, func(w *awsWorld) map[string]string {
			config := "[default]\nrole_arn = " + stsRoleARN + "\ncredential_process = " + w.file("creds.sh", process) + "\n"
			return w.with("AWS_CONFIG_FILE", w.file("config", config))
		}, []string{"AssumeRole"}},
		{"container", testCreds, func(w *awsWorld) map[string]string {
			agent := newFakeContainerEndpoint(t, func(_ int, rw http.ResponseWriter, _ *http.Request) {
				fmt.Fprint(rw, credentialsJSON(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
			})
			w.ecr.sessionToken = testSessionToken
			return w.with("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.URL+"/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", w.file("agent-token", testContainerToken))
		}, nil},
		{"instance metadata", imdsCreds, func(w *awsWorld) map[string]string { return w.env }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAWSWorld(t, tt.want)
			env := tt.setup(w)
			r := runBinary(t, env, request("v1", privateImage))
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			resp := decodeStrictly(t, r.stdout)
			if resp.Auth["123456789012.dkr.ecr.us-west-2.amazonaws.com"].Password != testPassword {
				t.Errorf("auth %v", resp.Auth)
			}
			var actions []string
			for _, c := range w.sts.Calls() {
				actions = append(actions, c.action)
			}
			if tt.sts != nil && !slices.Equal(actions, tt.sts) {
				t.Errorf("STS calls %v, want %v", actions, tt.sts)
			}
			if len(w.ecr.Calls()) != 1 {
				t.Errorf("ECR calls %+v, want one signed with the %s credentials", w.ecr.Calls(), tt.name)
			}
			assertNoSecrets(t, r)
		})
	}
}

// TestCredentialSourceEnvironment: a role profile with credential_source =
// Environment assumes its role with the environment's keys. In the whole
// chain the environment link itself comes first, so the profile is asked
// directly here.
func TestCredentialSourceEnvironment(t *testing.T) {
	fake := newFakeSTS(t)
	fake.roleARN, fake.externalID, fake.durationSeconds, fake.region = stsRoleARN, stsExternalID, "3600", "eu-west-3"
	url, ca := tlsFake(t, fake)
	c, _ := testClient(t, ca, 3, time.Now)
	config := filepath.Join(t.TempDir(), "config")
	os.WriteFile(config, []byte("[profile x]\nrole_arn = "+stsRoleARN+"\ncredential_source = Environment\nexternal_id = "+stsExternalID+"\nduration_seconds = 3600\n"), 0o600)
	ch := &chain{
		cfg: chainConfig{
			env:         envCredentials{accessKeyID: testAccessKey, secretAccessKey: testSecretKey},
			profileName: "x", profileSet: true, configFile: config, credentialsFile: config + ".none",
		},
		client: c, endpoints: endpointConfig{sts: url}, regions: []string{"eu-west-3"},
	}
	creds, err := ch.profileCredentials(context.Background())
	if err != nil || creds.AccessKeyID != stsAccessKey || len(fake.Calls()) != 1 || fake.Calls()[0].accessKey != testAccessKey {
		t.Fatalf("profileCredentials = %+v, %v; STS calls %+v", creds.AccessKeyID, err, fake.Calls())
	}
}

// tokenRequest is kubelet's v1 request in service-account token mode
// (KEP-4412): the pod's token and its service account's annotations.
func tokenRequest(image, token string, annotations map[string]string) string {
	req := map[string]any{
		"kind": "CredentialProviderRequest", "apiVersion": "credentialprovider.kubelet.k8s.io/v1",
		"image": image, "serviceAccountToken": token, "serviceAccountAnnotations": annotations,
	}
	data, _ := json.Marshal(req)
	return string(data) + "\n"
}

// TestEndToEndPodRole runs the binary in token mode: the ECR call must be
// signed with the role credentials STS gave for the pod's token, or, with
// no role named anywhere, with the node's.
func TestEndToEndPodRole(t *testing.T) {
	const ecrKey, irsaKey = "eks.amazonaws.com/ecr-role-arn", "eks.amazonaws.com/role-arn"
	const otherRole = "arn:aws:iam::123456789012:role/other"
	node := []string{"AWS_ACCESS_KEY_ID", testAccessKey, "AWS_SECRET_ACCESS_KEY", testSecretKey}
	tests := []struct {
		name        string
		annotations map[string]string
		env         []string
		wantRole    string // "" means the node's credentials, no STS call
	}{
		{"ecr-role-arn annotation wins", map[string]string{ecrKey: stsRoleARN, irsaKey: otherRole}, append(node, "AWS_ECR_ROLE_ARN", otherRole), stsRoleARN},
		{"IRSA annotation", map[string]string{irsaKey: stsRoleARN}, append(node, "AWS_ECR_ROLE_ARN", otherRole), stsRoleARN},
		{"AWS_ECR_ROLE_ARN fallback", map[string]string{"team": "a"}, append(node, "AWS_ECR_ROLE_ARN", stsRoleARN), stsRoleARN},
		{"no role: the node's chain", nil, node, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := stsCreds
			if tt.wantRole == "" {
				want = testCreds
			}
			w := newAWSWorld(t, want)
			w.sts.webToken, w.sts.sessionName = stsWebToken, "ecr-credential-provider"
			r := runBinary(t, w.with(tt.env...), tokenRequest(privateImage, stsWebToken, tt.annotations))
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if resp := decodeStrictly(t, r.stdout); resp.CacheKeyType != "Registry" || len(resp.Auth) != 1 {
				t.Errorf("response %+v", resp)
			}
			calls := w.sts.Calls()
			switch {
			case tt.wantRole == "" && len(calls) != 0:
				t.Errorf("STS calls %+v, want none: the node's credentials", calls)
			case tt.wantRole != "" && (len(calls) != 1 || calls[0].action != "AssumeRoleWithWebIdentity" || calls[0].roleARN != tt.wantRole):
				t.Errorf("STS calls %+v, want one AssumeRoleWithWebIdentity for %s", calls, tt.wantRole)
			}
			if len(w.ecr.Calls()) != 1 {
				t.Errorf("ECR calls %+v", w.ecr.Calls())
			}
			assertNoSecrets(t, r)
			if strings.Contains(r.stderr, stsWebToken) {
				t.Errorf("stderr shows the token")
			}
		})
	}
}

// TestEndToEndPodRoleEndpoints: the STS endpoint follows the registry.
// ECR Public with no region anywhere still works, with STS in us-east-1
// (upstream fails there with "Missing Region"); a FIPS or dual-stack
// registry host chooses the ECR endpoint but, as in the SDKs, not STS's,
// which only AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT change.
// The proxy shows which endpoints were called.
func TestEndToEndPodRoleEndpoints(t *testing.T) {
	tests := []struct {
		image, env string
		want       []string
	}{
		{"public.ecr.aws/team/app", "", []string{"sts.us-east-1.amazonaws.com:443", "api.ecr-public.us-east-1.amazonaws.com:443"}},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/app", "", []string{"sts.us-east-1.amazonaws.com:443", "api.ecr-fips.us-east-1.amazonaws.com:443"}},
		{"123456789012.dkr-ecr.us-east-2.on.aws/app", "", []string{"sts.us-east-2.amazonaws.com:443", "ecr.us-east-2.api.aws:443"}},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app", "", []string{"sts.cn-north-1.amazonaws.com.cn:443", "api.ecr.cn-north-1.amazonaws.com.cn:443"}},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "AWS_USE_FIPS_ENDPOINT", []string{"sts-fips.us-east-1.amazonaws.com:443", "api.ecr-fips.us-east-1.amazonaws.com:443"}},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "AWS_USE_DUALSTACK_ENDPOINT", []string{"sts.us-east-1.api.aws:443", "ecr.us-east-1.api.aws:443"}},
	}
	for _, tt := range tests {
		t.Run(tt.image+" "+tt.env, func(t *testing.T) {
			ecr := newFakeECR(t).signedWith(stsCreds)
			sts := newFakeSTS(t)
			sts.webToken = stsWebToken
			proxy := newMITMProxy(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.Host, "sts") {
					sts.ServeHTTP(w, r)
					return
				}
				ecr.ServeHTTP(w, r)
			}))
			env := map[string]string{"HTTPS_PROXY": proxy.URL, "AWS_CA_BUNDLE": proxy.CABundle}
			if tt.env != "" {
				env[tt.env] = "true"
			}
			r := runBinary(t, env, tokenRequest(tt.image, stsWebToken, map[string]string{"eks.amazonaws.com/role-arn": stsRoleARN}))
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			decodeStrictly(t, r.stdout)
			if got := proxy.Connects(); !slices.Equal(got, tt.want) {
				t.Errorf("CONNECT %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEndToEndPodRoleFailures(t *testing.T) {
	tests := []struct {
		name    string
		role    string
		stsCode string
		want    string
		stsHits int
	}{
		{"malformed ARN", "arn:aws:iam::12345:role/x", "", `pod role "arn:aws:iam::12345:role/x" from service-account annotation eks.amazonaws.com/ecr-role-arn is not an IAM role ARN`, 0},
		{"user, not role", "arn:aws:iam::123456789012:user/x", "", "is not an IAM role ARN", 0},
		{"newline in ARN", "arn:aws:iam::123456789012:role/x\nevil", "", "is not an IAM role ARN", 0},
		{"STS refuses", stsRoleARN, "AccessDenied", "AssumeRoleWithWebIdentity", 1},
		{"STS refuses the token", stsRoleARN, "InvalidIdentityToken", "InvalidIdentityToken", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAWSWorld(t, stsCreds)
			w.sts.webToken = stsWebToken
			if tt.stsCode != "" {
				w.sts.errStatus, w.sts.errCode, w.sts.errMessage = 400, tt.stsCode, "Not authorized to perform sts:AssumeRoleWithWebIdentity"
			}
			env := w.with("AWS_ACCESS_KEY_ID", testAccessKey, "AWS_SECRET_ACCESS_KEY", testSecretKey)
			r := runBinary(t, env, tokenRequest(privateImage, stsWebToken, map[string]string{"eks.amazonaws.com/ecr-role-arn": tt.role}))
			assertFailed(t, r, tt.want)
			if strings.Contains(r.stderr, stsWebToken) {
				t.Errorf("stderr shows the token: %q", r.stderr)
			}
			if w.sts.Requests() != tt.stsHits || len(w.ecr.Calls()) != 0 {
				t.Errorf("STS saw %d requests (want %d), ECR %d (want 0)", w.sts.Requests(), tt.stsHits, len(w.ecr.Calls()))
			}
		})
	}
}

// TestEndToEndChainOrder enables two sources at a time, for every pair
// that can be present together, and checks that the earlier one in the
// SDK's order signs the ECR call (SPEC §5).
func TestEndToEndChainOrder(t *testing.T) {
	profileCreds := credentials{AccessKeyID: "AKIDPROFILEPROFILE", SecretAccessKey: "SENTINEL-PROFILE-SECRET"}
	containerCreds := credentials{AccessKeyID: "ASIACONTAINERCONT", SecretAccessKey: "SENTINEL-CONTAINER-SECRET", SessionToken: "SENTINEL-CONTAINER-SESSION"}
	type source struct {
		name   string
		creds  credentials
		enable func(t *testing.T, w *awsWorld, env map[string]string)
	}
	sources := []source{
		{"environment", testCreds, func(_ *testing.T, _ *awsWorld, env map[string]string) {
			env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = testAccessKey, testSecretKey
		}},
		{"web identity", stsCreds, func(_ *testing.T, w *awsWorld, env map[string]string) {
			env["AWS_WEB_IDENTITY_TOKEN_FILE"], env["AWS_ROLE_ARN"] = w.file("token", stsWebToken), stsRoleARN
		}},
		{"profile", profileCreds, func(_ *testing.T, w *awsWorld, env map[string]string) {
			env["AWS_SHARED_CREDENTIALS_FILE"] = w.file("credentials", fmt.Sprintf("[default]\naws_access_key_id=%s\naws_secret_access_key=%s\n", profileCreds.AccessKeyID, profileCreds.SecretAccessKey))
		}},
		{"container", containerCreds, func(t *testing.T, w *awsWorld, env map[string]string) {
			agent := newFakeContainerEndpoint(t, func(_ int, rw http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(rw, `{"AccessKeyId":%q,"SecretAccessKey":%q,"Token":%q,"Expiration":%q}`, containerCreds.AccessKeyID,
					containerCreds.SecretAccessKey, containerCreds.SessionToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
			})
			env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = agent.URL+"/v1/credentials", testContainerToken
		}},
		{"instance metadata", imdsCreds, func(*testing.T, *awsWorld, map[string]string) {}},
	}
	for i, first := range sources {
		for _, second := range sources[i+1:] {
			t.Run(first.name+" before "+second.name, func(t *testing.T) {
				w := newAWSWorld(t, first.creds)
				env := maps.Clone(w.env)
				if first.name != "instance metadata" && second.name != "instance metadata" {
					env["AWS_EC2_METADATA_SERVICE_ENDPOINT"], env["AWS_EC2_METADATA_DISABLED"] = "", "true"
				}
				first.enable(t, w, env)
				second.enable(t, w, env)
				r := runBinary(t, env, request("v1", privateImage))
				if r.code != 0 || len(w.ecr.Calls()) != 1 {
					t.Fatalf("exit %d, stderr %q, ECR calls %+v; want one signed by %s", r.code, r.stderr, w.ecr.Calls(), first.name)
				}
			})
		}
	}
}

func TestParseINI(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want iniSections
	}{
		// An empty file has no sections.
		{"empty", "", iniSections{}},
		// `#` or `;` at line start, after optional blanks, is a comment.
		{"comment lines", "# c\n; c\n[a]\n  # k = v\n\t; k = v\nk = v\n#k = w\n",
			iniSections{"a": {"k": "v"}}},
		// An inline comment starts at space-# , space-; , tab-# or tab-; .
		{"inline comments", "[a]\nk1 = v # c\nk2 = v ; c\nk3 = v\t# c\nk4 = v\t; c\nk5 = v #c ; d\n",
			iniSections{"a": {"k1": "v", "k2": "v", "k3": "v", "k4": "v", "k5": "v"}}},
		// A `#` or `;` not preceded by a blank is part of the value; `k = #x` is an empty value.
		{"hash inside value", "[a]\nk1 = a#b\nk2 = https://h/p#frag\nk3 = a;b\nk4=#x\nk5 = #x\n",
			iniSections{"a": {"k1": "a#b", "k2": "https://h/p#frag", "k3": "a;b", "k4": "#x", "k5": ""}}},
		// `key = value`, `key: value`, `key=value`: key and value trimmed.
		{"separators and trimming", "[a]\nk1 = v1\nk2: v2\nk3=v3\nk4   =   v 4  \nk5\t=\tv5\t\n",
			iniSections{"a": {"k1": "v1", "k2": "v2", "k3": "v3", "k4": "v 4", "k5": "v5"}}},
		// The separator is whichever of `=` and `:` comes first.
		{"first separator wins", "[a]\nrole_arn = arn:aws:iam::1:role/r\nk: a=b\n",
			iniSections{"a": {"role_arn": "arn:aws:iam::1:role/r", "k": "a=b"}}},
		// Values may contain `=` after the separator.
		{"equals in value", "[a]\nk = a=b==\n", iniSections{"a": {"k": "a=b=="}}},
		// Keys are case-insensitive: stored lower-case. Values keep their case.
		{"key case", "[a]\nAWS_Access_Key_ID = AbC\n", iniSections{"a": {"aws_access_key_id": "AbC"}}},
		// One pair of surrounding double or single quotes is removed.
		{"quotes", "[a]\nk1 = \"v 1\"\nk2 = 'v2'\nk3 = \"\"\nk4 = \"\"x\"\"\nk5 = \"a\"b\"\nk6 = \"v\nk7 = \"v'\nk8 = \"\nk9 = ' '\n",
			iniSections{"a": {"k1": "v 1", "k2": "v2", "k3": "", "k4": "\"x\"", "k5": "a\"b", "k6": "\"v", "k7": "\"v'", "k8": "\"", "k9": " "}}},
		// Inline comments are cut before quotes are removed (SDK order).
		{"comment inside quotes", "[a]\nk = \"a #b\"\n", iniSections{"a": {"k": "\"a"}}},
		// No escapes are processed in values.
		{"no escapes", "[a]\nk = a\\nb\\\"c\n", iniSections{"a": {"k": `a\nb\"c`}}},
		// Duplicate keys: the last wins.
		{"duplicate keys", "[a]\nk = 1\nK = 2\n", iniSections{"a": {"k": "2"}}},
		// Duplicate sections are merged, later keys winning.
		{"duplicate sections", "[a]\nk = 1\nj = 1\n[b]\nk = b\n[a]\nk = 2\n",
			iniSections{"a": {"k": "2", "j": "1"}, "b": {"k": "b"}}},
		// Section names are trimmed inside and outside the brackets.
		{"section trimming", "  [ a ]  \nk = 1\n\t[b]\nk = 2\n",
			iniSections{"a": {"k": "1"}, "b": {"k": "2"}}},
		// The first blank run inside a section name becomes one space; later ones stay.
		{"section inner blanks", "[profile   foo]\nk = 1\n[profile\tbar]\nk = 2\n[x  y  z]\nk = 3\n",
			iniSections{"profile foo": {"k": "1"}, "profile bar": {"k": "2"}, "x y  z": {"k": "3"}}},
		// Section names keep their case.
		{"section case", "[Default]\nk = 1\n", iniSections{"Default": {"k": "1"}}},
		// A header may carry a comment, with or without a blank before it.
		{"header comment", "[a] # c\nk = 1\n[b];c\nk = 2\n",
			iniSections{"a": {"k": "1"}, "b": {"k": "2"}}},
		// A `#` inside brackets breaks the header; its keys stay in the previous section.
		{"hash in header", "[a]\nk = 1\n[profile b#c]\nk = 2\nj = 3\n",
			iniSections{"a": {"k": "2", "j": "3"}}},
		// `[]` has an empty name: the keys under it are ignored like global keys.
		{"empty header", "[]\nk = 1\n[a]\nk = 2\n", iniSections{"a": {"k": "2"}}},
		// A section with no keys still exists.
		{"empty section", "[a]\n", iniSections{"a": {}}},
		// A line without `=` or `:` is skipped, not an error.
		{"line without separator", "[a]\njunk\nk = 1\n[b\nj = 2\n",
			iniSections{"a": {"k": "1", "j": "2"}}},
		// Keys before any section are ignored.
		{"global keys", "k = 0\n[a]\nk = 1\n", iniSections{"a": {"k": "1"}}},
		// CRLF line endings parse as LF.
		{"crlf", "[a]\r\nk = v\r\nq = \"w\"\r\n\r\n# c\r\n[b] \r\nj: x # c\r\n",
			iniSections{"a": {"k": "v", "q": "w"}, "b": {"j": "x"}}},
		// A BOM is not stripped (SDK): the first header is not recognised and its keys are lost.
		{"bom", "\ufeff[a]\nk = 1\n[b]\nk = 2\n", iniSections{"b": {"k": "2"}}},
		// `key =` is present with an empty value.
		{"empty value", "[a]\nk =\nj = # c\n", iniSections{"a": {"k": "", "j": ""}}},
		// An empty key is kept as such: harmless, and what the SDK does.
		{"empty key", "[a]\n= v\n", iniSections{"a": {"": "v"}}},
		// Sub-properties are ignored and leave other keys alone.
		{"sub-properties", "[a]\ns3 =\n  max_concurrent_requests = 10\n  region = bad\nregion = us-east-1\n",
			iniSections{"a": {"s3": "", "region": "us-east-1"}}},
		// Indented keys are sub-properties, so ignored, even right under a header (SDK).
		{"indented keys", "[a]\n  k = 1\nj = 2\n  k = 3\n", iniSections{"a": {"j": "2"}}},
		// Continuation lines are ignored: values never span lines.
		{"continuation", "[a]\nk = first\n  second\nj = x\n", iniSections{"a": {"k": "first", "j": "x"}}},
		// No final newline is needed.
		{"no final newline", "[a]\nk = v", iniSections{"a": {"k": "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseINI([]byte(tt.in))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseINI(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

// A very long line parses whole, up to the file bound; past it is an error.
func TestParseINISizeBound(t *testing.T) {
	head := "[a]\nk = "
	long := head + strings.Repeat("x", maxSharedFileSize-len(head))
	got, err := parseINI([]byte(long))
	if err != nil || len(got["a"]["k"]) != maxSharedFileSize-len(head) {
		t.Errorf("parseINI(%d bytes) = len %d, %v, want len %d, nil", len(long), len(got["a"]["k"]), err, maxSharedFileSize-len(head))
	}
	if _, err := parseINI([]byte(long + "x")); err == nil {
		t.Errorf("parseINI(%d bytes) error = nil, want too large", len(long)+1)
	}
}

func TestLookupProfile(t *testing.T) {
	tests := []struct {
		name, config, creds, profile string
		want                         map[string]string
		found, partial               bool
	}{
		// Config file: `[profile NAME]`; credentials file: `[NAME]`.
		{"config named", "[profile p]\nregion = r\n", "", "p", map[string]string{"region": "r"}, true, false},
		{"creds named", "", "[p]\nregion = r\n", "p", map[string]string{"region": "r"}, true, false},
		// A bare `[NAME]` in the config file is not a profile.
		{"config bare name ignored", "[p]\nregion = r\n", "", "p", nil, false, false},
		// `[profile NAME]` in the credentials file is not a profile.
		{"creds prefixed ignored", "", "[profile p]\nregion = r\n", "p", nil, false, false},
		{"creds prefixed name", "", "[profile p]\nregion = r\n", "profile p", nil, false, false},
		// Other config sections are not profiles.
		{"sso-session ignored", "[sso-session x]\nsso_region = r\n", "", "sso-session x", nil, false, false},
		{"services ignored", "[services x]\ns3 =\n", "", "services x", nil, false, false},
		// `[default]` in the config file is the default profile.
		{"config default", "[default]\nregion = r\n", "", "default", map[string]string{"region": "r"}, true, false},
		// `[profile default]` replaces `[default]` wholesale, whatever the order.
		{"profile default wins", "[profile default]\nregion = p\n[default]\nregion = d\noutput = json\n", "",
			"default", map[string]string{"region": "p"}, true, false},
		{"profile default wins after", "[default]\nregion = d\noutput = json\n[profile default]\nregion = p\n", "",
			"default", map[string]string{"region": "p"}, true, false},
		// A bare section named default in any case is kept (SDK EqualFold); names stay case-sensitive.
		{"bare DEFAULT", "[DEFAULT]\nregion = r\n", "", "DEFAULT", map[string]string{"region": "r"}, true, false},
		{"default is case-sensitive", "[DEFAULT]\nregion = r\n", "", "default", nil, false, false},
		// The named profile is missing from both files: found is false.
		{"missing", "[default]\nregion = r\n", "[default]\nregion = r\n", "named", nil, false, false},
		{"missing, no files", "", "", "default", nil, false, false},
		// Credentials file wins key by key; config-only keys are kept.
		{"merge precedence", "[profile p]\nregion = c\nrole_arn = c\noutput = json\n", "[p]\nregion = k\n",
			"p", map[string]string{"region": "k", "role_arn": "c", "output": "json"}, true, false},
		// A key present with an empty value in the credentials file still wins.
		{"empty value wins", "[profile p]\nregion = c\n", "[p]\nregion =\n", "p", map[string]string{"region": ""}, true, false},
		// Static keys merge only as a pair, and the token only alongside them (SDK).
		{"key pair merges with token", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\naws_session_token = CT\n",
			"[p]\naws_access_key_id = K\naws_secret_access_key = KS\naws_session_token = KT\n", "p",
			map[string]string{"aws_access_key_id": "K", "aws_secret_access_key": "KS", "aws_session_token": "KT"}, true, false},
		{"key pair keeps config token", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\naws_session_token = CT\n",
			"[p]\naws_access_key_id = K\naws_secret_access_key = KS\n", "p",
			map[string]string{"aws_access_key_id": "K", "aws_secret_access_key": "KS", "aws_session_token": "CT"}, true, false},
		{"lone token not merged", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\n",
			"[p]\naws_session_token = KT\n", "p",
			map[string]string{"aws_access_key_id": "C", "aws_secret_access_key": "CS"}, true, false},
		// A key outside the SDK's merge list is dropped from the credentials file when the config has the profile.
		{"unlisted key dropped", "[profile p]\nregion = c\n", "[p]\nendpoint_url = https://e\n", "p",
			map[string]string{"region": "c"}, true, false},
		{"unlisted key kept alone", "", "[p]\nendpoint_url = https://e\n", "p",
			map[string]string{"endpoint_url": "https://e"}, true, false},
		// Exactly one of the key id and secret is partial; the credentials file's section decides when it has one.
		{"partial in creds", "", "[p]\naws_access_key_id = K\n", "p", map[string]string{"aws_access_key_id": "K"}, true, true},
		{"partial in config", "[profile p]\naws_secret_access_key = S\n", "", "p", map[string]string{"aws_secret_access_key": "S"}, true, true},
		{"partial empty value", "[profile p]\naws_access_key_id =\n", "", "p", map[string]string{"aws_access_key_id": ""}, true, true},
		{"partial config overridden", "[profile p]\naws_access_key_id = C\n", "[p]\nregion = r\n", "p",
			map[string]string{"aws_access_key_id": "C", "region": "r"}, true, false},
		{"partial creds over full config", "[profile p]\naws_access_key_id = C\naws_secret_access_key = CS\n", "[p]\naws_access_key_id = K\n", "p",
			map[string]string{"aws_access_key_id": "C", "aws_secret_access_key": "CS"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config, err1 := parseINI([]byte(tt.config))
			creds, err2 := parseINI([]byte(tt.creds))
			if err1 != nil || err2 != nil {
				t.Fatalf("parseINI: %v, %v", err1, err2)
			}
			p, found := lookupProfile(config, creds, tt.profile)
			if found != tt.found || p.partialKeys != tt.partial || (found && !reflect.DeepEqual(p.values, tt.want)) {
				t.Errorf("lookupProfile(%q) = %v (partial %v), %v, want %v (partial %v), %v",
					tt.profile, p.values, p.partialKeys, found, tt.want, tt.partial, tt.found)
			}
			if p.name != tt.profile {
				t.Errorf("lookupProfile(%q).name = %q", tt.profile, p.name)
			}
		})
	}
}

// The merged profile is a copy: changing it leaves the parsed files alone.
func TestLookupProfileCopies(t *testing.T) {
	config, _ := parseINI([]byte("[default]\nregion = c\n"))
	p, _ := lookupProfile(config, iniSections{}, "default")
	p.values["region"] = "changed"
	if got := config["default"]["region"]; got != "c" {
		t.Errorf("config region after changing profile = %q, want %q", got, "c")
	}
	if got := p.get("region"); got != "changed" {
		t.Errorf("p.get(%q) = %q, want %q", "region", got, "changed")
	}
	if got := p.get("absent"); got != "" {
		t.Errorf("p.get(%q) = %q, want empty", "absent", got)
	}
}

func TestLoadSharedFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("config", "[default]\nregion = r\n")
	creds := write("credentials", "[default]\naws_access_key_id = K\n")
	atLimit := write("at-limit", strings.Repeat("#", maxSharedFileSize))
	tooBig := write("too-big", strings.Repeat("#", maxSharedFileSize+1))
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name, config, creds string
		wantConfig          iniSections
		wantCreds           iniSections
		wantErr             bool
	}{
		// Both files read and parsed.
		{"both", good, creds, iniSections{"default": {"region": "r"}}, iniSections{"default": {"aws_access_key_id": "K"}}, false},
		// A missing file, or no path at all, is empty, not an error (SPEC §5).
		{"missing", missing, "", iniSections{}, iniSections{}, false},
		// A file of exactly the bound is accepted.
		{"at limit", atLimit, good, iniSections{}, iniSections{"default": {"region": "r"}}, false},
		// A file over the bound is an error, in either position.
		{"config too big", tooBig, good, nil, nil, true},
		{"credentials too big", good, tooBig, nil, nil, true},
		// A path that opens but cannot be read (a directory) is an error, as in the SDK.
		{"directory", dir, good, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, k, err := loadSharedFiles(tt.config, tt.creds)
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(c, tt.wantConfig) || !reflect.DeepEqual(k, tt.wantCreds) {
				t.Errorf("loadSharedFiles(%q, %q) = %v, %v, %v, want %v, %v, error %v",
					tt.config, tt.creds, c, k, err, tt.wantConfig, tt.wantCreds, tt.wantErr)
			}
		})
	}
}

// FuzzParseINI checks that parseINI never panics, yields lower-case trimmed
// single-line keys and single-line values, is deterministic, and reads back a
// simple generated `[s]\nk = v\n` exactly. key and value seed that round trip.
func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[default]\nregion = us-east-1\n"), "region", "us-east-1")
	f.Add([]byte("[profile  p ] # c\r\nK: \"v\" ; c\n  sub = x\n"), "aws_access_key_id", "AKIA/+x=")
	f.Add([]byte("\ufeff[]\n=\n'\n[a#]\nk='\n"), "k", "a#b;c:d=")
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		got, err := parseINI(data)
		if err != nil {
			if len(data) <= maxSharedFileSize {
				t.Fatalf("parseINI(%q) error %v", data, err)
			}
			return
		}
		for name, sec := range got {
			if name == "" || strings.Contains(name, "\n") {
				t.Errorf("parseINI(%q): section name %q", data, name)
			}
			for k, v := range sec {
				if k != strings.ToLower(k) || k != strings.TrimSpace(k) || strings.Contains(k, "\n") || strings.Contains(v, "\n") {
					t.Errorf("parseINI(%q): key %q value %q", data, k, v)
				}
			}
			lookupProfile(got, got, name)
		}
		if again, _ := parseINI(data); !reflect.DeepEqual(got, again) {
			t.Errorf("parseINI(%q) not deterministic: %v then %v", data, got, again)
		}
		k := keepBytes(key, "abcdefghijklmnopqrstuvwxyz0123456789_-.")
		v := keepBytes(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-./+=:#;")
		if k == "" {
			return
		}
		file := "[s]\n" + k + " = " + v + "\n"
		want := iniSections{"s": {k: v}}
		if strings.HasPrefix(v, "#") || strings.HasPrefix(v, ";") {
			want["s"][k] = "" // the blank before it makes it a comment
		}
		if got, err := parseINI([]byte(file)); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseINI(%q) = %v, %v, want %v, nil", file, got, err, want)
		}
	})
}

// keepBytes returns s without the bytes that are not in allowed.
func keepBytes(s, allowed string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(allowed, s[i]) >= 0 {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// fixedNow is the clock of the credential source tests.
func fixedNow() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }

// testContainerToken is the Authorization token the fake endpoint wants;
// like the keys, it must never be printed.
const testContainerToken = "SENTINEL-CONTAINER-TOKEN-do-not-print"

// credentialsJSON is a container endpoint's answer carrying the sentinels.
func credentialsJSON(expiration string) string {
	return fmt.Sprintf(`{"AccessKeyId":%q,"SecretAccessKey":%q,"Token":%q,"Expiration":%q}`,
		testAccessKey, testSecretKey, testSessionToken, expiration)
}

// assertNoSentinel fails if err mentions any secret the tests use.
func assertNoSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{testSecretKey, testSessionToken, testContainerToken} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret (%.12s…)", err, s)
		}
	}
}

// fakeContainerEndpoint is an ECS or EKS agent: it checks every request
// (method, path, Authorization, Accept) and lets answer decide the reply
// to request n (1-based).
type fakeContainerEndpoint struct {
	*httptest.Server
	n atomic.Int32
}

func newFakeContainerEndpoint(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *fakeContainerEndpoint {
	f := &fakeContainerEndpoint{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.n.Add(1))
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/v1/credentials":
			t.Errorf("fake container endpoint: %s %s, want GET /v1/credentials", r.Method, r.URL.Path)
		case r.Header.Get("Authorization") != testContainerToken:
			t.Errorf("fake container endpoint: wrong Authorization header (%d bytes)", len(r.Header.Get("Authorization")))
		case r.Header.Get("Accept") != "application/json":
			t.Errorf("fake container endpoint: Accept %q", r.Header.Get("Accept"))
		}
		answer(n, w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeContainerEndpoint) config() containerConfig {
	return containerConfig{fullURI: f.URL + "/v1/credentials", authToken: testContainerToken}
}

func TestContainerURL(t *testing.T) {
	for _, tt := range []struct {
		cfg     containerConfig
		want    string // "" when an error is expected
		wantErr string
	}{
		{containerConfig{relativeURI: "/v2/credentials/3f1c-uuid"}, "http://169.254.170.2/v2/credentials/3f1c-uuid", ""},
		{containerConfig{relativeURI: "/v2/credentials?id=1"}, "http://169.254.170.2/v2/credentials?id=1", ""},
		{containerConfig{relativeURI: "/@evil.com/x"}, "http://169.254.170.2/@evil.com/x", ""},
		{containerConfig{relativeURI: "/creds", fullURI: "https://example.com/creds"}, "http://169.254.170.2/creds", ""},
		{containerConfig{relativeURI: "@evil.com/"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: ".evil.com/"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: ":8080/creds"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "//evil.com/creds"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/\\evil.com"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds x"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds\n"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds\x00"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds\t"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/créds"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds#frag"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds%zz"}, "", "RELATIVE_URI"},
		{containerConfig{relativeURI: "/creds", fullURI: "http://evil.com/"}, "http://169.254.170.2/creds", ""},
		{containerConfig{relativeURI: "creds", fullURI: "http://127.0.0.1/"}, "", "RELATIVE_URI"},

		{containerConfig{fullURI: "http://127.0.0.1:51678/creds"}, "http://127.0.0.1:51678/creds", ""},
		{containerConfig{fullURI: "http://127.1.2.3/creds"}, "http://127.1.2.3/creds", ""},
		{containerConfig{fullURI: "http://[::1]:8080/creds"}, "http://[::1]:8080/creds", ""},
		{containerConfig{fullURI: "http://[::ffff:127.0.0.1]/creds"}, "http://[::ffff:127.0.0.1]/creds", ""},
		{containerConfig{fullURI: "http://localhost/creds"}, "http://localhost/creds", ""},
		{containerConfig{fullURI: "http://169.254.170.2/v2/credentials"}, "http://169.254.170.2/v2/credentials", ""},
		{containerConfig{fullURI: "http://169.254.170.23/v1/credentials"}, "http://169.254.170.23/v1/credentials", ""},
		{containerConfig{fullURI: "http://[fd00:ec2::23]/v1/credentials"}, "http://[fd00:ec2::23]/v1/credentials", ""},
		{containerConfig{fullURI: "HTTP://127.0.0.1/creds"}, "HTTP://127.0.0.1/creds", ""},
		{containerConfig{fullURI: "https://creds.example.com/x"}, "https://creds.example.com/x", ""},
		{containerConfig{fullURI: "https://10.0.0.1/creds"}, "https://10.0.0.1/creds", ""},
		{containerConfig{fullURI: "http://10.0.0.1/creds"}, "", "plain http"},
		{containerConfig{fullURI: "http://evil.com/creds"}, "", "plain http"},
		{containerConfig{fullURI: "http://169.254.169.254/latest"}, "", "plain http"},
		{containerConfig{fullURI: "http://169.254.170.3/"}, "", "plain http"},
		{containerConfig{fullURI: "http://127.0.0.1.evil.com/"}, "", "plain http"},
		{containerConfig{fullURI: "http://localhost.evil.com/"}, "", "plain http"},
		{containerConfig{fullURI: "http://127.1/"}, "", "plain http"},
		{containerConfig{fullURI: "http://2130706433/"}, "", "plain http"},
		{containerConfig{fullURI: "http://[fe80::1%25lo]/"}, "", "plain http"},
		{containerConfig{fullURI: "http://[::1%25lo]/"}, "", "plain http"},
		{containerConfig{fullURI: "http://user:pw@127.0.0.1/"}, "", "user information"},
		{containerConfig{fullURI: "https://user@example.com/"}, "", "user information"},
		{containerConfig{fullURI: "ftp://127.0.0.1/"}, "", "http:// or https://"},
		{containerConfig{fullURI: "127.0.0.1/creds"}, "", "http:// or https://"},
		{containerConfig{fullURI: "http:/creds"}, "", "http:// or https://"},
		{containerConfig{fullURI: "http:127.0.0.1"}, "", "http:// or https://"},
		{containerConfig{fullURI: "http://127.0.0.1/a b"}, "", "not allowed"},
		{containerConfig{fullURI: "http://127.0.0.1\\@evil.com/"}, "", "not allowed"},
		{containerConfig{fullURI: "http://127.0.0.1#@evil.com/"}, "", "not allowed"},
	} {
		t.Run(tt.cfg.relativeURI+"|"+tt.cfg.fullURI, func(t *testing.T) {
			got, err := containerURL(tt.cfg)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Errorf("containerURL(%+v) = %q, %v, want %q", tt.cfg, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("containerURL(%+v) = %q, %v, want an error containing %q", tt.cfg, got, err, tt.wantErr)
			}
			checkErrorText(t, err)
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("containerURL(%+v) error %q shows the URL's password", tt.cfg, err)
			}
		})
	}
}

func TestCheckPlainHTTPDial(t *testing.T) {
	for _, tt := range []struct {
		address string
		ok      bool
	}{
		{"127.0.0.1:80", true},
		{"127.255.0.9:80", true},
		{"[::1]:80", true},
		{"169.254.170.2:80", true},
		{"169.254.170.23:80", true},
		{"[fd00:ec2::23]:80", true},
		{"[::ffff:169.254.170.2]:80", true},
		{"10.0.0.1:80", false},
		{"169.254.169.254:80", false},
		{"[fd00:ec2::254]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"localhost:80", false},
		{"garbage", false},
	} {
		err := checkPlainHTTPDial("tcp", tt.address, nil)
		if (err == nil) != tt.ok {
			t.Errorf("checkPlainHTTPDial(%q) = %v, want ok %v", tt.address, err, tt.ok)
		}
	}
}

func TestPlainHTTPAddrAllowed(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "127.1.2.3", "::1", "169.254.170.2", "169.254.170.23", "fd00:ec2::23", "fd00:0ec2:0:0:0:0:0:0023"} {
		if !plainHTTPAddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("plainHTTPAddrAllowed(%s) = false, want true", s)
		}
	}
	for _, s := range []string{"10.0.0.1", "0.0.0.0", "::", "169.254.169.254", "fd00:ec2::254", "fe80::1", "128.0.0.1"} {
		if plainHTTPAddrAllowed(netip.MustParseAddr(s)) {
			t.Errorf("plainHTTPAddrAllowed(%s) = true, want false", s)
		}
	}
}

func TestContainerAuthorization(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good", testContainerToken)
	for _, tt := range []struct {
		name    string
		cfg     containerConfig
		want    string
		wantErr string
	}{
		{"none", containerConfig{}, "", ""},
		{"env", containerConfig{authToken: testContainerToken}, testContainerToken, ""},
		{"file", containerConfig{authTokenFile: good}, testContainerToken, ""},
		{"file wins", containerConfig{authToken: "other", authTokenFile: good}, testContainerToken, ""},
		{"env with LF", containerConfig{authToken: testContainerToken + "\nX-Evil: 1"}, "", "CR or LF"},
		{"env with CR", containerConfig{authToken: testContainerToken + "\r"}, "", "CR or LF"},
		{"env with NUL", containerConfig{authToken: testContainerToken + "\x00"}, "", "control character"},
		{"file with trailing newline", containerConfig{authTokenFile: file("nl", testContainerToken+"\n")}, "", "CR or LF"},
		{"file with CRLF", containerConfig{authTokenFile: file("crlf", testContainerToken+"\r\n")}, "", "CR or LF"},
		{"file missing", containerConfig{authToken: "fallback", authTokenFile: filepath.Join(dir, "missing")}, "", "no such file"},
		{"file empty", containerConfig{authTokenFile: file("empty", "")}, "", "is empty"},
		{"file too big", containerConfig{authTokenFile: file("big", strings.Repeat("a", maxContainerTokenBytes+1))}, "", "larger than"},
		{"file at the bound", containerConfig{authTokenFile: file("max", strings.Repeat("a", maxContainerTokenBytes))}, strings.Repeat("a", maxContainerTokenBytes), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := containerAuthorization(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("containerAuthorization(%s) = %d bytes, %v, want %d bytes", tt.name, len(got), err, len(tt.want))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("containerAuthorization(%s) = %d bytes, %v, want an error containing %q", tt.name, len(got), err, tt.wantErr)
			}
			assertNoSentinel(t, err)
			checkErrorText(t, err)
		})
	}
}

func TestContainerSourceNotConfigured(t *testing.T) {
	_, err := containerSource(containerConfig{authToken: testContainerToken}, fixedNow).fetch(context.Background())
	var nc *notConfigured
	if !errors.As(err, &nc) {
		t.Fatalf("containerSource with no URI: %v, want notConfigured", err)
	}
	_, err = containerSource(containerConfig{fullURI: "http://evil.com/"}, fixedNow).fetch(context.Background())
	if err == nil || errors.As(err, &nc) {
		t.Fatalf("containerSource with a refused URI: %v, want a real error", err)
	}
}

func TestLoadContainerConfig(t *testing.T) {
	env := map[string]string{
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/rel",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "http://127.0.0.1/full",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN":      "tok",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/tok/file",
	}
	got := loadContainerConfig(func(k string) string { return env[k] })
	want := containerConfig{relativeURI: "/rel", fullURI: "http://127.0.0.1/full", authToken: "tok", authTokenFile: "/tok/file"}
	if got != want {
		t.Errorf("loadContainerConfig = %+v, want %+v", got, want)
	}
}

func TestContainerCredentials(t *testing.T) {
	later := fixedNow().Add(time.Hour).Format(time.RFC3339)
	ok := func(w http.ResponseWriter) { fmt.Fprint(w, credentialsJSON(later)) }
	for _, tt := range []struct {
		name     string
		answer   func(n int, w http.ResponseWriter)
		wantErr  string // "" for success
		attempts int
	}{
		{"success", func(n int, w http.ResponseWriter) { ok(w) }, "", 1},
		{"success without expiry", func(n int, w http.ResponseWriter) {
			fmt.Fprintf(w, `{"AccessKeyId":%q,"SecretAccessKey":%q,"Token":%q}`, testAccessKey, testSecretKey, testSessionToken)
		}, "", 1},
		{"500 then success", func(n int, w http.ResponseWriter) {
			if n == 1 {
				w.WriteHeader(500)
				return
			}
			ok(w)
		}, "", 2},
		{"503 every time", func(n int, w http.ResponseWriter) {
			w.WriteHeader(503)
			fmt.Fprint(w, `{"code":"ServiceUnavailable","message":"agent\nrestarting"}`)
		}, "HTTP 503 ServiceUnavailable: agent restarting", 3},
		{"401 with code and message", func(n int, w http.ResponseWriter) {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":"AccessDenied","message":"bad token"}`)
		}, "HTTP 401 AccessDenied: bad token", 1},
		{"400 garbage body", func(n int, w http.ResponseWriter) {
			w.WriteHeader(400)
			fmt.Fprint(w, "<html>"+testSecretKey)
		}, "HTTP 400", 1},
		{"redirect", func(n int, w http.ResponseWriter) {
			w.Header().Set("Location", "http://evil.example/steal")
			w.WriteHeader(302)
		}, "redirect refused", 1},
		{"garbage 200", func(n int, w http.ResponseWriter) { fmt.Fprint(w, "x"+credentialsJSON(later)) }, "not valid JSON", 1},
		{"truncated 200", func(n int, w http.ResponseWriter) { fmt.Fprint(w, credentialsJSON(later)[:60]) }, "not valid JSON", 1},
		{"wrong type", func(n int, w http.ResponseWriter) {
			fmt.Fprintf(w, `{"AccessKeyId":%q,"SecretAccessKey":["%s"]}`, testAccessKey, testSecretKey)
		}, "field SecretAccessKey", 1},
		{"huge 200", func(n int, w http.ResponseWriter) {
			fmt.Fprint(w, `{"AccessKeyId":"`+strings.Repeat(testSecretKey, 3000)+`"}`)
		}, "larger than 65536 bytes", 1},
		{"no secret key", func(n int, w http.ResponseWriter) { fmt.Fprintf(w, `{"AccessKeyId":%q}`, testAccessKey) }, "no SecretAccessKey", 1},
		{"no access key", func(n int, w http.ResponseWriter) { fmt.Fprintf(w, `{"SecretAccessKey":%q}`, testSecretKey) }, "no AccessKeyId", 1},
		{"expired", func(n int, w http.ResponseWriter) {
			fmt.Fprint(w, credentialsJSON(fixedNow().Add(-time.Minute).Format(time.RFC3339)))
		}, "expired at 2025-06-01T11:59:00Z", 1},
		{"bad expiry", func(n int, w http.ResponseWriter) { fmt.Fprint(w, credentialsJSON("tomorrow")) }, `Expiration "tomorrow"`, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) { tt.answer(n, w) })
			creds, err := containerSource(f.config(), fixedNow).fetch(context.Background())
			if got := int(f.n.Load()); got != tt.attempts {
				t.Errorf("%d requests, want %d", got, tt.attempts)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("containerSource(%s) = %v, want an error containing %q", tt.name, err, tt.wantErr)
				}
				assertNoSentinel(t, err)
				checkErrorText(t, err)
				return
			}
			if err != nil {
				t.Fatalf("containerSource(%s): %v", tt.name, err)
			}
			if creds.AccessKeyID != testAccessKey || creds.SecretAccessKey != testSecretKey || creds.SessionToken != testSessionToken {
				t.Errorf("containerSource(%s) = %+v, want the sentinels", tt.name, creds)
			}
		})
	}
}

func TestContainerCredentialsTokenFile(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, credentialsJSON(fixedNow().Add(time.Hour).Format(time.RFC3339)))
	})
	tokenFile := filepath.Join(t.TempDir(), "eks-pod-identity-token")
	if err := os.WriteFile(tokenFile, []byte(testContainerToken), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := containerConfig{fullURI: f.URL + "/v1/credentials", authToken: "stale-token", authTokenFile: tokenFile}
	creds, err := containerCredentials(context.Background(), cfg, fixedNow)
	if err != nil || creds.SecretAccessKey != testSecretKey {
		t.Fatalf("containerCredentials with a token file = %v", err)
	}
	if want := fixedNow().Add(time.Hour); !creds.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", creds.Expires, want)
	}
}

func TestContainerCredentialsLocalhost(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, credentialsJSON(fixedNow().Add(time.Hour).Format(time.RFC3339)))
	})
	cfg := f.config()
	cfg.fullURI = strings.Replace(cfg.fullURI, "127.0.0.1", "localhost", 1)
	if _, err := containerCredentials(context.Background(), cfg, fixedNow); err != nil {
		t.Fatalf("containerCredentials(%q): %v", cfg.fullURI, err)
	}
}

func TestContainerCredentialsHang(t *testing.T) {
	release := make(chan struct{})
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	start := time.Now()
	_, err := containerCredentials(context.Background(), f.config(), fixedNow)
	elapsed := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "attempt 1") {
		t.Fatalf("containerCredentials against a hanging endpoint = %v, want a timeout on the first attempt", err)
	}
	if elapsed > 10*time.Second || elapsed < containerAttemptTimeout {
		t.Errorf("a hanging endpoint failed after %v, want about %v", elapsed, containerAttemptTimeout)
	}
	assertNoSentinel(t, err)
}

func TestContainerCredentialsContextDeadline(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := containerCredentials(ctx, f.config(), fixedNow)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("containerCredentials under a 50ms deadline = %v after %v, want a prompt error", err, time.Since(start))
	}
}

func TestContainerCredentialsConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := containerCredentials(context.Background(), containerConfig{fullURI: url + "/v1/credentials"}, fixedNow)
	if err == nil || !strings.Contains(err.Error(), "attempt 3") {
		t.Fatalf("containerCredentials against a closed port = %v, want a failure after 3 attempts", err)
	}
}

func TestParseContainerCredentials(t *testing.T) {
	for _, tt := range []struct {
		body    string
		want    credentials
		wantErr string
	}{
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"T","Expiration":"2025-06-01T13:00:00Z"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T", Expires: fixedNow().Add(time.Hour)}, ""},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01T14:00:00.123+02:00"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK", Expires: fixedNow().Add(123 * time.Millisecond)}, ""},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":null,"RoleArn":"arn:aws:iam::1:role/x"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}, ""},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01T12:00:00Z"}`, credentials{}, "expired"},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":""}`, credentials{}, "RFC 3339"},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":1748779200}`, credentials{}, "field Expiration"},
		{`{"AccessKeyId":"","SecretAccessKey":"SK"}`, credentials{}, "no AccessKeyId"},
		{`null`, credentials{}, "no AccessKeyId"},
		{`[]`, credentials{}, "not the expected JSON object"},
		{``, credentials{}, "not valid JSON"},
		{`{"AccessKeyId":"AK","SecretAccessKey":"SK"} {}`, credentials{}, "not valid JSON"},
	} {
		got, err := parseContainerCredentials([]byte(tt.body), fixedNow())
		if tt.wantErr == "" {
			if err != nil || !sameCredentials(got, tt.want) {
				t.Errorf("parseContainerCredentials(%q) = %+v, %v, want %+v", tt.body, got, err, tt.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseContainerCredentials(%q) = %+v, %v, want an error containing %q", tt.body, got, err, tt.wantErr)
		}
	}
}

// sameCredentials compares credentials, expiry by instant.
func sameCredentials(a, b credentials) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SecretAccessKey == b.SecretAccessKey &&
		a.SessionToken == b.SessionToken && a.Expires.Equal(b.Expires)
}

// writeScript writes an executable shell script into a temporary
// directory and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "credential-process.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// processJSON is credential_process output carrying the sentinels.
func processJSON(version int, expiration string) string {
	return fmt.Sprintf(`{"Version":%d,"AccessKeyId":%q,"SecretAccessKey":%q,"SessionToken":%q,"Expiration":%q}`,
		version, testAccessKey, testSecretKey, testSessionToken, expiration)
}

func TestProcessCredentials(t *testing.T) {
	later := fixedNow().Add(time.Hour).Format(time.RFC3339)
	echo := func(s string) string { return "cat <<'EOF'\n" + s + "\nEOF" }
	for _, tt := range []struct {
		name       string
		script     string
		wantErr    string // "" for success
		wantStderr string
	}{
		{"success", echo(processJSON(1, later)), "", ""},
		{"success with stderr", "echo 'fetching from the vault' >&2\n" + echo(processJSON(1, later)), "", "fetching from the vault\n"},
		{"no expiry or token", echo(fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SecretAccessKey":%q,"SessionToken":%q}`, testAccessKey, testSecretKey, testSessionToken)), "", ""},
		{"version 2", echo(processJSON(2, later)), "Version 2, want 1", ""},
		{"no version", echo(fmt.Sprintf(`{"AccessKeyId":%q,"SecretAccessKey":%q}`, testAccessKey, testSecretKey)), "Version 0, want 1", ""},
		{"version as string", echo(fmt.Sprintf(`{"Version":"1","AccessKeyId":%q,"SecretAccessKey":%q}`, testAccessKey, testSecretKey)), "field Version", ""},
		{"missing secret key", echo(fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SessionToken":%q}`, testAccessKey, testSessionToken)), "no SecretAccessKey", ""},
		{"missing access key", echo(fmt.Sprintf(`{"Version":1,"SecretAccessKey":%q}`, testSecretKey)), "no AccessKeyId", ""},
		{"not JSON", "echo 'AccessKeyId=" + testAccessKey + " SecretAccessKey=" + testSecretKey + "'", "not valid JSON", ""},
		{"empty output", "true", "not valid JSON", ""},
		{"expired", echo(processJSON(1, fixedNow().Add(-time.Second).Format(time.RFC3339))), "expired at", ""},
		{"exit 3", "echo 'no session: run aws sso login' >&2\n" + echo(processJSON(1, later)) + "\nexit 3", "exit status 3", "no session: run aws sso login\n"},
		{"huge stdout", "while :; do echo '" + testSecretKey + "'; done", "more than 65536 bytes on stdout", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			creds, err := processCredentials(context.Background(), writeScript(t, tt.script), &stderr, fixedNow)
			if got := stderr.String(); got != tt.wantStderr {
				t.Errorf("stderr %q, want %q", got, tt.wantStderr)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("processCredentials(%s) = %v, want an error containing %q", tt.name, err, tt.wantErr)
				}
				assertNoSentinel(t, err)
				checkErrorText(t, err)
				return
			}
			if err != nil {
				t.Fatalf("processCredentials(%s): %v", tt.name, err)
			}
			if creds.AccessKeyID != testAccessKey || creds.SecretAccessKey != testSecretKey || creds.SessionToken != testSessionToken {
				t.Errorf("processCredentials(%s) = %+v, want the sentinels", tt.name, creds)
			}
		})
	}
}

func TestProcessCredentialsCommandLine(t *testing.T) {
	// The command is a shell command line, as the SDK runs it on Unix:
	// arguments, quoting and pipes work.
	script := writeScript(t, `printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}' "$1" "$2"`)
	creds, err := processCredentials(context.Background(), script+" 'AK ID' SK | cat", nil, fixedNow)
	if err != nil || creds.AccessKeyID != "AK ID" || creds.SecretAccessKey != "SK" {
		t.Fatalf("processCredentials with arguments and a pipe = %+v, %v", creds, err)
	}
}

func TestProcessCredentialsEnvironment(t *testing.T) {
	t.Setenv("CREDSOURCES_TEST_ACCESS_KEY", "AK-FROM-ENV")
	script := writeScript(t, `printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"SK"}' "$CREDSOURCES_TEST_ACCESS_KEY"`)
	creds, err := processCredentials(context.Background(), script, nil, fixedNow)
	if err != nil || creds.AccessKeyID != "AK-FROM-ENV" {
		t.Fatalf("processCredentials did not pass the environment: %+v, %v", creds, err)
	}
}

func TestProcessCredentialsStdinIsEmpty(t *testing.T) {
	script := writeScript(t, `input=$(cat); printf '{"Version":1,"AccessKeyId":"AK%s","SecretAccessKey":"SK"}' "$input"`)
	creds, err := processCredentials(context.Background(), script, nil, fixedNow)
	if err != nil || creds.AccessKeyID != "AK" {
		t.Fatalf("processCredentials with a process reading stdin = %+v, %v", creds, err)
	}
}

func TestProcessCredentialsStderrBounded(t *testing.T) {
	script := writeScript(t, `head -c 200000 /dev/zero | tr '\0' e >&2
echo '{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK"}'`)
	var stderr bytes.Buffer
	if _, err := processCredentials(context.Background(), script, &stderr, fixedNow); err != nil {
		t.Fatalf("processCredentials with a chatty stderr: %v", err)
	}
	if stderr.Len() != maxProcessStderrBytes {
		t.Errorf("%d bytes of stderr passed through, want %d", stderr.Len(), maxProcessStderrBytes)
	}
}

func TestProcessCredentialsNotFound(t *testing.T) {
	for _, tt := range []struct{ command, want string }{
		{filepath.Join(t.TempDir(), "no-such-helper"), "exit status 127 (command not found"},
		{"no-such-credential-helper-anywhere --profile x", "exit status 127 (command not found"},
		{"", "credential_process is empty"},
		{"  ", "credential_process is empty"},
	} {
		var stderr bytes.Buffer
		_, err := processCredentials(context.Background(), tt.command, &stderr, fixedNow)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("processCredentials(%q) = %v, want an error containing %q", tt.command, err, tt.want)
		}
	}
	notExec := filepath.Join(t.TempDir(), "not-executable")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600)
	_, err := processCredentials(context.Background(), notExec, nil, fixedNow)
	if err == nil || !strings.Contains(err.Error(), "exit status 126") {
		t.Errorf("processCredentials(%q) = %v, want exit status 126", notExec, err)
	}
}

func TestProcessCredentialsTimeout(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// A pipeline: sh forks both sides, so only a process-group kill stops
	// the sleep, which would otherwise hold stdout open.
	script := writeScript(t, "sleep 30 | cat &\necho $! > "+pidFile+"\nwait")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := processCredentials(ctx, script, nil, fixedNow)
	if err == nil || !strings.Contains(err.Error(), "deadline passed") {
		t.Fatalf("processCredentials of a sleeping process = %v, want the deadline error", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("a sleeping credential_process was stopped after %v, want well under 2s", elapsed)
	}
	pid, err := readPID(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if !processGone(pid, 2*time.Second) {
		t.Errorf("process %d started by the credential_process survived the kill", pid)
	}
}

// TestProcessCredentialsLeftoverChild: a credential_process that answers
// and exits but leaves a child holding stdout still succeeds, and the
// child does not outlive the run.
func TestProcessCredentialsLeftoverChild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	script := writeScript(t, "sleep 30 &\necho $! > "+pidFile+"\necho '"+fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SecretAccessKey":%q}`, testAccessKey, testSecretKey)+"'")
	creds, err := processCredentials(context.Background(), script, nil, fixedNow)
	if err != nil || creds.AccessKeyID != testAccessKey {
		t.Fatalf("processCredentials = %v, %v; want the printed credentials", creds.AccessKeyID, err)
	}
	pid, err := readPID(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if !processGone(pid, 2*time.Second) {
		t.Errorf("process %d started by the credential_process outlived the run", pid)
	}
}

// readPID reads a process ID the test script wrote.
func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// processGone waits up to d for pid to exit; a zombie counts as gone.
func processGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return true
		}
	}
	return false
}

func TestParseProcessOutput(t *testing.T) {
	for _, tt := range []struct {
		out     string
		want    credentials
		wantErr string
	}{
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"T","Expiration":"2025-06-01T13:00:00Z"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T", Expires: fixedNow().Add(time.Hour)}, ""},
		{"{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\",\"AccountId\":\"123456789012\"}\n",
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}, ""},
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01T11:00:00Z"}`, credentials{}, "expired"},
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01 13:00:00"}`, credentials{}, "RFC 3339"},
		{`{"Version":1.0,"AccessKeyId":"AK","SecretAccessKey":"SK"}`, credentials{}, "field Version"},
		{`{"Version":0,"AccessKeyId":"AK","SecretAccessKey":"SK"}`, credentials{}, "Version 0"},
		{`{"Version":1}`, credentials{}, "no AccessKeyId"},
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":""}`, credentials{}, "no SecretAccessKey"},
		{`Version: 1`, credentials{}, "not valid JSON"},
	} {
		got, err := parseProcessOutput([]byte(tt.out), fixedNow())
		if tt.wantErr == "" {
			if err != nil || !sameCredentials(got, tt.want) {
				t.Errorf("parseProcessOutput(%q) = %+v, %v, want %+v", tt.out, got, err, tt.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseProcessOutput(%q) = %+v, %v, want an error containing %q", tt.out, got, err, tt.wantErr)
		}
	}
}

// checkParsedCredentials is the invariant of both credential parsers:
// accepted credentials have both keys and have not expired; an error is
// short, printable and never repeats the secret key it was given.
func checkParsedCredentials(t *testing.T, input []byte, c credentials, err error) {
	t.Helper()
	if err == nil {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			t.Fatalf("accepted %q with an empty key: %+v", input, c)
		}
		if !c.Expires.IsZero() && !c.Expires.After(fixedNow()) {
			t.Fatalf("accepted %q, expired at %v", input, c.Expires)
		}
		return
	}
	checkErrorText(t, err)
	var doc struct {
		SecretAccessKey string
		Expiration      string
	}
	if json.Unmarshal(input, &doc) == nil && len(doc.SecretAccessKey) >= 8 &&
		!strings.Contains(doc.Expiration, doc.SecretAccessKey) &&
		strings.Contains(err.Error(), doc.SecretAccessKey) {
		t.Fatalf("error %q repeats the secret access key", err)
	}
}

func FuzzParseContainerCredentials(f *testing.F) {
	f.Add([]byte(credentialsJSON("2025-06-01T13:00:00Z")))
	f.Add([]byte(`{"AccessKeyId":"AK","SecretAccessKey":"SK"}`))
	f.Add([]byte(`{"code":"AccessDenied","message":"no"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseContainerCredentials(body, fixedNow())
		checkParsedCredentials(t, body, c, err)
	})
}

func FuzzParseProcessOutput(f *testing.F) {
	f.Add([]byte(processJSON(1, "2025-06-01T13:00:00Z")))
	f.Add([]byte(`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK"}`))
	f.Add([]byte(`{"Version":2}`))
	f.Fuzz(func(t *testing.T, out []byte) {
		c, err := parseProcessOutput(out, fixedNow())
		checkParsedCredentials(t, out, c, err)
	})
}

func TestContainerPlainHTTPDialGuard(t *testing.T) {
	f := newFakeContainerEndpoint(t, func(n int, w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, credentialsJSON(fixedNow().Add(time.Hour).Format(time.RFC3339)))
	})
	// On Linux 0.0.0.0 reaches the local host, but it is not on the
	// allow-list: it stands for any address a DNS name could resolve to.
	endpoint := strings.Replace(f.URL, "127.0.0.1", "0.0.0.0", 1) + "/v1/credentials"
	if _, err := fetchContainerCredentials(context.Background(), newContainerHTTPClient(false), endpoint, testContainerToken); err != nil {
		t.Fatalf("without the guard, GET %s: %v", endpoint, err)
	}
	_, err := fetchContainerCredentials(context.Background(), newContainerHTTPClient(true), endpoint, testContainerToken)
	if err == nil || !strings.Contains(err.Error(), "not allowed") || !strings.Contains(err.Error(), "attempt 1") {
		t.Fatalf("with the guard, GET %s = %v, want the dial refused at once", endpoint, err)
	}
	if got := f.n.Load(); got != 1 {
		t.Errorf("%d requests reached the endpoint, want 1 (the unguarded one)", got)
	}
}

func TestRunCredentialProcessTimeout(t *testing.T) {
	start := time.Now()
	_, err := runCredentialProcess(context.Background(), "sleep 30", nil, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not finish within 200ms: killed") {
		t.Fatalf("runCredentialProcess(sleep 30) = %v, want the timeout error", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("a sleeping credential_process was stopped after %v, want about 200ms", elapsed)
	}
}

func TestLoadChainConfigFiles(t *testing.T) {
	tests := []struct {
		env                     map[string]string
		config, credentialsFile string
	}{
		{map[string]string{"HOME": "/home/k"}, "/home/k/.aws/config", "/home/k/.aws/credentials"},
		{map[string]string{"HOME": "/home/k", "AWS_CONFIG_FILE": "/etc/c", "AWS_SHARED_CREDENTIALS_FILE": "/etc/k"}, "/etc/c", "/etc/k"},
		{map[string]string{}, "", ""}, // no HOME: no files, never a path relative to kubelet's directory
	}
	for _, tt := range tests {
		cfg, err := loadChainConfig(func(k string) string { return tt.env[k] })
		if err != nil || cfg.configFile != tt.config || cfg.credentialsFile != tt.credentialsFile {
			t.Errorf("loadChainConfig(%v) files = %q, %q, %v; want %q, %q", tt.env, cfg.configFile, cfg.credentialsFile, err, tt.config, tt.credentialsFile)
		}
	}
}
