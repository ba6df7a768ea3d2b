package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const (
	ecrImage = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app:1.2.3"
	secret   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-check"
)

// writeConfig writes a kubelet config file and returns its path.
func writeConfig(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunCheck(t *testing.T) {
	mirror := writeConfig(t, "mirror.yaml", `apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: ecr-credential-provider
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    defaultCacheDuration: 12h
    matchImages: [registry.example.com, "*.dkr.ecr.*.amazonaws.com"]
    env:
      - {name: AWS_REGION, value: eu-west-1}
      - {name: AWS_USE_FIPS_ENDPOINT, value: "true"}
      - {name: AWS_SECRET_ACCESS_KEY, value: `+secret+`}
  - name: other
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    defaultCacheDuration: 12h
    matchImages: ["*.amazonaws.com", "*.*.*.*.amazonaws.com"]
`)
	notOurs := writeConfig(t, "other.json", `{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "CredentialProviderConfig", "providers": [
		{"name": "ecr", "matchImages": ["*.dkr.ecr.*.amazonaws.com"], "defaultCacheDuration": "12h", "apiVersion": "credentialprovider.kubelet.k8s.io/v1"}]}`)
	refused := writeConfig(t, "refused.yaml", yamlConfig("v1", yamlProvider("a b", "v1", "env: [{name: AWS_SECRET_ACCESS_KEY, value: "+secret+"}]"),
		strings.Replace(yamlProvider("c", "v0"), "12h", "1d", 1)))
	broken := writeConfig(t, "broken.yaml", "providers:\n- env:\n  - value: \""+secret+"\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings, in order
		stderr string   // substring; "" means empty
	}{
		{"no image", []string{}, 0, []string{"no --config: matching with the README's recommended matchImages"}, ""},
		{"README globs", []string{ecrImage}, 0, []string{
			"image          " + ecrImage,
			"kubelet sends  123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app",
			`matched by     ecr-credential-provider (this program), glob "*.dkr.ecr.*.amazonaws.com"`,
			"registry       123456789012.dkr.ecr.us-west-2.amazonaws.com (partition aws, region us-west-2)",
			"ECR API        https://api.ecr.us-west-2.amazonaws.com",
			"credentials    environment", "verdict        ok"}, ""},
		{"a port", []string{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443/app"}, 1, []string{
			"registry       123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443 (partition aws-cn, region cn-north-1)",
			`verdict        FAIL: no matchImages glob of provider ecr-credential-provider matches 123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443/app: add "*.dkr.ecr.*.amazonaws.com.cn:443" to its matchImages`}, ""},
		{"not ECR", []string{"nginx"}, 1, []string{"kubelet sends  docker.io/library/nginx", "no glob of the README matches it"}, ""},
		{"bad image", []string{"Nginx", ecrImage}, 1, []string{"verdict        FAIL: kubelet fails the pull without running any provider: invalid image reference \"Nginx\"", "verdict        ok"}, ""},
		{"config env", []string{"--config", mirror, "registry.example.com/app", ecrImage}, 0, []string{
			"config " + mirror + ": 2 provider(s), accepted by kubelet's rules (its bin dir is not checked)",
			`matched by     ecr-credential-provider (this program), glob "registry.example.com"`,
			"registry       registry.example.com (partition aws, region eu-west-1)",
			"ECR API        https://api.ecr-fips.eu-west-1.amazonaws.com",
			`matched by     ecr-credential-provider (this program), glob "*.dkr.ecr.*.amazonaws.com"`,
			`matched by     other, glob "*.*.*.*.amazonaws.com"`,
			"ECR API        https://api.ecr-fips.us-west-2.amazonaws.com"}, ""},
		{"not our provider", []string{"--config", notOurs, ecrImage}, 1, []string{`matched by     ecr, glob`, "no provider is named ecr-credential-provider"}, ""},
		{"refused config", []string{"--config", refused, ecrImage}, 2, nil, "kubelet would refuse to start with the config " + refused + ":\n" +
			"  " + refused + `: provider "a b": name cannot contain spaces` + "\n" +
			"  " + refused + `: provider "c": apiVersion "credentialprovider.kubelet.k8s.io/v0" is not credentialprovider.kubelet.k8s.io/v1, v1beta1 or v1alpha1` + "\n" +
			"  " + refused + `: provider "c": defaultCacheDuration "1d" is not a duration such as 12h` + "\n"},
		{"broken YAML", []string{"--config", broken}, 2, nil, "broken.yaml: line 3: quoted scalar not closed"},
		{"missing config", []string{"--config", filepath.Join(t.TempDir(), "none.yaml")}, 2, nil, "no such file or directory"},
		{"help", []string{"-h"}, 0, []string{"usage: ecr-credential-provider check"}, ""},
		{"bad flag", []string{"--offlin"}, 2, nil, "ecr-credential-provider: check: flag provided but not defined: -offlin\nusage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := map[string]string{"AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey}
			r := runInProcess(t, keys, "", append([]string{"check", "--offline"}, tt.args...)...)
			if r.code != tt.code || !containsInOrder(r.stdout, tt.stdout) || (tt.stderr == "") != (r.stderr == "") || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant exit %d, stdout with %q, stderr with %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, secret) || tt.code == 2 && r.stdout != "" {
				t.Errorf("a secret, or stdout on a refused config: stdout %q stderr %q", r.stdout, r.stderr)
			}
		})
	}
}

func containsInOrder(s string, subs []string) bool {
	for _, sub := range subs {
		i := strings.Index(s, sub)
		if i < 0 {
			return false
		}
		s = s[i+len(sub):]
	}
	return true
}

func TestRunCheckJSON(t *testing.T) {
	env := map[string]string{"AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": testAccessKey, "AWS_SECRET_ACCESS_KEY": testSecretKey}
	r := runInProcess(t, env, "", "check", "--json", "--offline", ecrImage, "mirror.example.com:5000/app", "Bad")
	want := []checkResult{
		{Image: ecrImage, KubeletImage: "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app",
			Matches:  []checkMatch{{"ecr-credential-provider", "*.dkr.ecr.*.amazonaws.com"}},
			Registry: "123456789012.dkr.ecr.us-west-2.amazonaws.com", Partition: "aws", Region: "us-west-2",
			Endpoint: "https://api.ecr.us-west-2.amazonaws.com", CredentialSource: "environment", OK: true},
		{Image: "mirror.example.com:5000/app", KubeletImage: "mirror.example.com:5000/app", Matches: []checkMatch{},
			Registry: "mirror.example.com:5000", Partition: "aws", Region: "eu-central-1", Endpoint: "https://api.ecr.eu-central-1.amazonaws.com",
			CredentialSource: "environment", Error: "no matchImages glob of provider ecr-credential-provider matches mirror.example.com:5000/app: " +
				"no glob of the README matches it, so it is no ECR registry host (for a mirror, add its host, port included, and set AWS_REGION)"},
		{Image: "Bad", Matches: []checkMatch{}, Error: `kubelet fails the pull without running any provider: invalid image reference "Bad": want [host[:port]/]path[:tag][@digest], the path lowercase`},
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 1 || r.stderr != "" || len(lines) != len(want) {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for i, line := range lines {
		var got checkResult
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil || !reflect.DeepEqual(got, want[i]) {
			t.Errorf("line %d: %s, %v\nwant %+v", i, line, err, want[i])
		}
	}
	// Every field is always there, empty or not, so that scripts can rely on them.
	for _, field := range []string{"image", "kubeletImage", "matches", "registry", "endpoint", "credentialSource", "ok", "error"} {
		if !strings.Contains(lines[2], `"`+field+`":`) {
			t.Errorf("%s lacks %q", lines[2], field)
		}
	}
}

// TestREADMEConfigs checks that the kubelet configs the README shows are
// ones kubelet accepts, and that the first one's globs are the ones check
// uses without --config.
func TestREADMEConfigs(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```(yaml|json)\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	n := 0
	for _, b := range blocks {
		if !strings.Contains(b[2], "CredentialProviderConfig") {
			continue
		}
		providers, problems := readProviderConfig(writeConfig(t, "c."+b[1], b[2]))
		if len(problems) > 0 || len(providers) != 1 || providers[0].Name != providerName {
			t.Errorf("README config %d: %v, %q", n, providers, problems)
		} else if n < 2 && !reflect.DeepEqual(providers[0].MatchImages, recommendedGlobs) {
			t.Errorf("README config %d: matchImages %q, want %q", n, providers[0].MatchImages, recommendedGlobs)
		}
		n++
	}
	if n != 3 {
		t.Errorf("found %d configs in the README, want 3", n)
	}
}

// TestEndToEndCheck runs check through the built binary, as an operator
// does on a node: offline it names the source and the calls the chain
// would make, and makes none; online it makes the real call and shows what
// kubelet would get, but never the password or a key.
func TestEndToEndCheck(t *testing.T) {
	w := newAWSWorld(t, stsCreds)
	w.sts.webToken, w.sts.roleARN = stsWebToken, stsRoleARN
	env := w.with("AWS_WEB_IDENTITY_TOKEN_FILE", w.file("token", stsWebToken), "AWS_ROLE_ARN", stsRoleARN)
	var got checkResult
	r := runBinary(t, env, "", "check", "--offline", "--json", privateImage)
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 || !got.OK || got.CredentialSource != "web identity" ||
		len(got.Calls) != 1 || !strings.Contains(got.Calls[0], "STS AssumeRoleWithWebIdentity for "+stsRoleARN) {
		t.Errorf("offline: exit %d, stdout %q, stderr %q, %v", r.code, r.stdout, r.stderr, err)
	}
	if len(w.sts.Calls())+len(w.ecr.Calls()) != 0 {
		t.Errorf("check --offline made %d STS and %d ECR calls, want none", len(w.sts.Calls()), len(w.ecr.Calls()))
	}
	r = runBinary(t, env, "", "check", "--json", privateImage)
	got = checkResult{}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 || !got.OK || got.Username != "AWS" ||
		got.AuthKey != "123456789012.dkr.ecr.us-west-2.amazonaws.com" || got.CacheDuration == "" || got.ExpiresAt == "" || len(w.ecr.Calls()) != 1 {
		t.Errorf("online: exit %d, stdout %q, stderr %q, %v", r.code, r.stdout, r.stderr, err)
	}
	for _, secret := range []string{testPassword, stsWebToken, stsSecretKey, stsSessionToken} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("check printed a secret (%.8s…)", secret)
		}
	}
	r = runBinary(t, w.with("AWS_EC2_METADATA_DISABLED", "true"), "", "check", privateImage)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL: no AWS credentials found") {
		t.Errorf("no credentials: exit %d, stdout %q", r.code, r.stdout)
	}
}
