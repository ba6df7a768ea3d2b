package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// testChain is a chain for unit tests: cfg, the clock at fixedNow, and no
// network client.
func testChain(cfg chainConfig) *chain {
	return &chain{cfg: cfg, client: &awsClient{clock: &clock{now: fixedNow}}, trace: &chainTrace{}}
}

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
			creds, err := resolveCredentials(context.Background(), tt.sources, &chainTrace{})
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
		// SDK fidelity (issue 10): each of these signed as another identity before.
		{"older key names", testCreds, func(w *awsWorld) map[string]string {
			return w.with("AWS_ACCESS_KEY", testAccessKey, "AWS_SECRET_KEY", testSecretKey)
		}, nil},
		{"indented role profile", stsCreds, func(w *awsWorld) map[string]string {
			config := "[profile app]\n  role_arn = " + stsRoleARN + "\n  credential_source = Ec2InstanceMetadata\n"
			return w.with("AWS_PROFILE", "app", "AWS_CONFIG_FILE", w.file("config", config))
		}, []string{"AssumeRole"}},
		{"keys in credentials file, role_arn in config file", stsCreds, func(w *awsWorld) map[string]string {
			creds := fmt.Sprintf("[app]\naws_access_key_id = %s\naws_secret_access_key = %s\n", testAccessKey, testSecretKey)
			config := "[profile app]\nrole_arn = " + stsRoleARN + "\ncredential_process = /bin/false\n"
			return w.with("AWS_PROFILE", "app", "AWS_CONFIG_FILE", w.file("config", config), "AWS_SHARED_CREDENTIALS_FILE", w.file("credentials", creds))
		}, []string{"AssumeRole"}},
		{"source profile uses its keys and its own role", stsCreds, func(w *awsWorld) map[string]string {
			config := "[profile dev]\nrole_arn = " + stsRoleARN + "\nsource_profile = base\n[profile base]\nrole_arn = " + stsRoleARN + "\nsource_profile = ops\n" +
				fmt.Sprintf("aws_access_key_id = %s\naws_secret_access_key = %s\n[profile ops]\ncredential_process = /bin/false\n", testAccessKey, testSecretKey)
			return w.with("AWS_PROFILE", "dev", "AWS_CONFIG_FILE", w.file("config", config))
		}, []string{"AssumeRole", "AssumeRole"}},
		{"keys and mfa_serial without a role need no code", testCreds, func(w *awsWorld) map[string]string {
			config := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nmfa_serial = arn:aws:iam::123456789012:mfa/u\n", testAccessKey, testSecretKey)
			return w.with("AWS_CONFIG_FILE", w.file("config", config))
		}, nil},
		{"missing AWS_DEFAULT_PROFILE is ignored, as in the SDK", imdsCreds, func(w *awsWorld) map[string]string {
			return w.with("AWS_DEFAULT_PROFILE", "nowhere")
		}, nil},
		{"AWS_DEFAULT_PROFILE", stsCreds, func(w *awsWorld) map[string]string {
			config := "[profile app]\nrole_arn = " + stsRoleARN + "\ncredential_source = Ec2InstanceMetadata\n"
			return w.with("AWS_DEFAULT_PROFILE", "app", "AWS_CONFIG_FILE", w.file("config", config))
		}, []string{"AssumeRole"}},
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

// TestEndToEndConfiguredProfileFails: a profile the operator named or
// configured that cannot give credentials fails the run, as in the SDK,
// instead of letting a later source sign as another identity.
func TestEndToEndConfiguredProfileFails(t *testing.T) {
	role := "[profile app]\nrole_arn = " + stsRoleARN + "\ncredential_source = "
	tests := []struct {
		name   string
		config string
		env    []string
		want   string
	}{
		{"missing profile despite environment keys", "[profile other]\nregion = us-east-1\n",
			[]string{"AWS_PROFILE", "app", "AWS_ACCESS_KEY_ID", testAccessKey, "AWS_SECRET_ACCESS_KEY", testSecretKey},
			`AWS_PROFILE names profile "app", which is in neither`},
		{"missing AWS_PROFILE=default", "", []string{"AWS_PROFILE", "default"}, `AWS_PROFILE names profile "default"`},
		{"credential_source Environment without keys", role + "Environment\n", []string{"AWS_PROFILE", "app"},
			"credential_source Environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set"},
		{"credential_source EcsContainer without variables", role + "EcsContainer\n", []string{"AWS_PROFILE", "app"},
			"credential_source EcsContainer: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set"},
		{"legacy SSO keys", "[profile app]\nsso_account_id = 123456789012\nsso_role_name = r\nsso_region = us-east-1\n", []string{"AWS_PROFILE", "app"},
			"IAM Identity Center (SSO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newAWSWorld(t, imdsCreds)
			env := w.with(append(tt.env, "AWS_CONFIG_FILE", w.file("config", tt.config))...)
			assertFailed(t, runBinary(t, env, request("v1", privateImage)), tt.want)
			if n := len(w.ecr.Calls()); n != 0 {
				t.Errorf("%d ECR calls, want none", n)
			}
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
	env := map[string]string{"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey, "AWS_PROFILE": "x", "AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": config + ".none"}
	cfg, err := loadChainConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ch := &chain{cfg: cfg, client: c, endpoints: endpointConfig{sts: url}, regions: []string{"eu-west-3"}, trace: &chainTrace{}}
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

// fixedNow is the clock of the credential source tests.
func fixedNow() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }

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

// sameCredentials compares credentials, expiry by instant.
func sameCredentials(a, b credentials) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SecretAccessKey == b.SecretAccessKey &&
		a.SessionToken == b.SessionToken && a.Expires.Equal(b.Expires)
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

func TestHomeDir(t *testing.T) {
	env := map[string]string{"HOME": "/home/k", "USERPROFILE": `C:\Users\k`}
	getenv := func(k string) string { return env[k] }
	if got := homeDir("linux", getenv); got != "/home/k" {
		t.Errorf("homeDir(linux) = %q", got)
	}
	if got := homeDir("windows", getenv); got != `C:\Users\k` {
		t.Errorf("homeDir(windows) = %q", got)
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
