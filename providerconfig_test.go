package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// yamlProvider writes one provider entry of a YAML config; extra lines go
// under it, indented like its fields.
func yamlProvider(name, apiVersion string, extra ...string) string {
	s := fmt.Sprintf("  - name: %s\n    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n    defaultCacheDuration: 12h\n    apiVersion: credentialprovider.kubelet.k8s.io/%s\n", name, apiVersion)
	for _, l := range extra {
		s += "    " + l + "\n"
	}
	return s
}

// without drops the line of field from a provider's text.
func without(provider, field string) string {
	i := strings.Index(provider, "    "+field+":")
	return provider[:i] + provider[i+strings.Index(provider[i:], "\n")+1:]
}

func yamlConfig(version string, providers ...string) string {
	return "apiVersion: kubelet.config.k8s.io/" + version + "\nkind: CredentialProviderConfig\nproviders:\n" + strings.Join(providers, "")
}

// tokenProvider is a provider with tokenAttributes, each attribute line given.
func tokenProvider(lines ...string) string {
	return yamlProvider("p", "v1", append([]string{"tokenAttributes:"}, indent(lines)...)...)
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

var goodToken = []string{"serviceAccountTokenAudience: sts.amazonaws.com", "cacheType: ServiceAccount", "requireServiceAccount: false"}

func TestReadProviderConfig(t *testing.T) {
	tests := []struct {
		name, file, text string
		want             []string // substrings of the problems, in order; nil: accepted
	}{
		// kubelet's own cases (plugin/config_test.go), restated.
		{"v1alpha1 with args and env", "c.yaml", yamlConfig("v1alpha1", yamlProvider("test", "v1alpha1", "args: [--v=5]", "env:", "- name: FOO", "  value: BAR")), nil},
		{"v1beta1, two providers", "c.yaml", yamlConfig("v1beta1", yamlProvider("test1", "v1beta1"), yamlProvider("test2", "v1beta1")), nil},
		{"v1, two providers", "c.yaml", yamlConfig("v1", yamlProvider("test1", "v1"), yamlProvider("test2", "v1alpha1")), nil},
		{"JSON", "c.json", `{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "CredentialProviderConfig", "providers": [
			{"name": "test", "matchImages": ["registry.io/foobar"], "defaultCacheDuration": "10m",
			 "apiVersion": "credentialprovider.kubelet.k8s.io/v1", "args": ["--v=5"], "env": [{"name": "FOO", "value": "BAR"}]}]}`, nil},
		{"wrong kind", "c.yaml", strings.Replace(yamlConfig("v1alpha1", yamlProvider("test", "v1alpha1")), "CredentialProviderConfig", "WrongKind", 1), []string{`kind is "WrongKind"`}},
		{"wrong apiVersion", "c.yaml", strings.Replace(yamlConfig("v1", yamlProvider("test", "v1")), "kubelet.config.k8s.io/v1", "foobar/v1alpha1", 1), []string{`apiVersion is "foobar/v1alpha1"`}},
		{"unknown field", "c.yaml", yamlConfig("v1", yamlProvider("test", "v1", "unknownField: should not be here")), []string{`unknown field "unknownField"`}},
		{"tokenAttributes in v1alpha1", "c.yaml", yamlConfig("v1alpha1", yamlProvider("test", "v1alpha1", "tokenAttributes:", "  serviceAccountTokenAudience: audience")), []string{`unknown field "tokenAttributes"`}},
		{"tokenAttributes in v1beta1", "c.yaml", yamlConfig("v1beta1", yamlProvider("test", "v1beta1", "tokenAttributes:", "  serviceAccountTokenAudience: audience")), []string{`unknown field "tokenAttributes"`}},
		{"null tokenAttributes in v1beta1", "c.yaml", yamlConfig("v1beta1", yamlProvider("test", "v1beta1", "tokenAttributes: null")), []string{`unknown field "tokenAttributes"`}},
		{"null tokenAttributes in v1", "c.yaml", yamlConfig("v1", yamlProvider("test", "v1", "tokenAttributes: ~")), nil},
		{"no providers", "c.yaml", yamlConfig("v1"), []string{"no providers"}},
		{"no matchImages", "c.yaml", yamlConfig("v1", without(yamlProvider("p", "v1"), "matchImages")), []string{"matchImages needs at least one glob"}},
		{"no defaultCacheDuration", "c.yaml", yamlConfig("v1", without(yamlProvider("p", "v1"), "defaultCacheDuration")), []string{"defaultCacheDuration is required"}},
		{"name with /", "c.yaml", yamlConfig("v1", yamlProvider("foo/../bar", "v1")), []string{"name cannot contain '/'"}},
		{"name .", "c.yaml", yamlConfig("v1", yamlProvider(`"."`, "v1")), []string{"name cannot name an executable"}},
		{"name ..", "c.yaml", yamlConfig("v1", yamlProvider(`".."`, "v1")), []string{"name cannot name an executable"}},
		{"name with spaces", "c.yaml", yamlConfig("v1", yamlProvider("foo bar", "v1")), []string{"name cannot contain spaces"}},
		{"duplicate names", "c.yaml", yamlConfig("v1", yamlProvider("foobar", "v1"), yamlProvider("foobar", "v1")), []string{`provider name "foobar" is already used`}},
		{"no apiVersion", "c.yaml", yamlConfig("v1", without(yamlProvider("p", "v1"), "apiVersion")), []string{"apiVersion is required"}},
		{"invalid apiVersion", "c.yaml", yamlConfig("v1", yamlProvider("p", "v0")), []string{`apiVersion "credentialprovider.kubelet.k8s.io/v0" is not`}},
		{"negative duration", "c.yaml", yamlConfig("v1", strings.Replace(yamlProvider("p", "v1"), "12h", "-1m", 1)), []string{"defaultCacheDuration must not be negative"}},
		{"invalid glob", "c.yaml", yamlConfig("v1", strings.Replace(yamlProvider("p", "v1"), "*.dkr.ecr.*.amazonaws.com", "%invalid%", 1)), []string{`matchImages glob "%invalid%" is invalid: invalid URL escape "%in"`}},
		{"token: valid", "c.yaml", yamlConfig("v1", tokenProvider(goodToken...)), nil},
		{"token: empty audience", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[1:]...)), []string{"serviceAccountTokenAudience is required"}},
		{"token: no cacheType", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[0], goodToken[2])), []string{`cacheType is "", want ServiceAccount or Token`}},
		{"token: invalid cacheType", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[0], "cacheType: Pod", goodToken[2])), []string{`cacheType is "Pod"`}},
		{"token: no requireServiceAccount", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[:2]...)), []string{"requireServiceAccount is required"}},
		{"token: required key not qualified", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[0], goodToken[1], "requireServiceAccount: true", "requiredServiceAccountAnnotationKeys: [cantendwithadash-, now-with-dashes/simple]")),
			[]string{`requiredServiceAccountAnnotationKeys: "cantendwithadash-" is not a valid annotation key`}},
		{"token: optional key not qualified", "c.yaml", yamlConfig("v1", tokenProvider(append(goodToken, "optionalServiceAccountAnnotationKeys: [cantendwithadash-, now-with-dashes/simple]")...)),
			[]string{`optionalServiceAccountAnnotationKeys: "cantendwithadash-" is not a valid`}},
		{"token: duplicate required keys", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[0], goodToken[1], "requireServiceAccount: true", "requiredServiceAccountAnnotationKeys: [a/b, a/b]")),
			[]string{`requiredServiceAccountAnnotationKeys: "a/b" appears twice`}},
		{"token: duplicate optional keys", "c.yaml", yamlConfig("v1", tokenProvider(append(goodToken, "optionalServiceAccountAnnotationKeys: [a/b, a/b]")...)),
			[]string{`optionalServiceAccountAnnotationKeys: "a/b" appears twice`}},
		{"token: required and optional", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[0], goodToken[1], "requireServiceAccount: true", "requiredServiceAccountAnnotationKeys: [a/b]", "optionalServiceAccountAnnotationKeys: [a/b]")),
			[]string{`"a/b" is both required and optional`}},
		{"token: required keys without requireServiceAccount", "c.yaml", yamlConfig("v1", tokenProvider(append(goodToken, "requiredServiceAccountAnnotationKeys: [a/b]")...)),
			[]string{"requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set"}},
		{"token: credentialprovider v1alpha1", "c.yaml", yamlConfig("v1", strings.Replace(tokenProvider(goodToken...), "credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1alpha1", 1)),
			[]string{"tokenAttributes needs apiVersion credentialprovider.kubelet.k8s.io/v1"}},
		{"token: qualified keys, any case", "c.yaml", yamlConfig("v1", tokenProvider(append(goodToken, "optionalServiceAccountAnnotationKeys: [eks.amazonaws.com/role-arn, Example.COM/My_Key.1, x]")...)), nil},
		// What strict decoding of sigs.k8s.io/yaml's JSON refuses.
		{"field in another case", "c.yaml", yamlConfig("v1", strings.Replace(yamlProvider("p", "v1"), "matchImages", "MatchImages", 1)), []string{`unknown field "MatchImages" (did you mean matchImages?)`}},
		{"duplicate YAML key", "c.yaml", yamlConfig("v1", yamlProvider("p", "v1", "name: q")), []string{`line 8: duplicate key "name"`}},
		{"duplicate JSON key", "c.json", `{"kind": "CredentialProviderConfig", "kind": "CredentialProviderConfig"}`, []string{`duplicate key "kind"`}},
		{"a number for a duration", "c.yaml", yamlConfig("v1", strings.Replace(yamlProvider("p", "v1"), "12h", "0", 1)), []string{"cannot unmarshal number"}},
		{"a boolean for a value", "c.yaml", yamlConfig("v1", yamlProvider("p", "v1", "env: [{name: AWS_USE_FIPS_ENDPOINT, value: true}]")), []string{"cannot unmarshal bool"}},
		{"a number for a name", "c.yaml", yamlConfig("v1", yamlProvider("1234", "v1")), []string{"cannot unmarshal number"}},
		{"yes for a boolean", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[0], goodToken[1], "requireServiceAccount: yes")), nil},
		{"a string for a boolean", "c.yaml", yamlConfig("v1", tokenProvider(goodToken[0], goodToken[1], `requireServiceAccount: "true"`)), []string{"cannot unmarshal string"}},
		{".nan", "c.yaml", yamlConfig("v1", yamlProvider("p", "v1", "args: [.nan]")), []string{"unsupported value: NaN"}},
		{"empty YAML", "c.yaml", "", []string{`kind is ""`}},
		{"internal version", "c.yaml", "apiVersion: kubelet.config.k8s.io/__internal\nkind: CredentialProviderConfig\nProviders: []\n", []string{"__internal, kubelet's internal form, is not supported"}},
		{"a YAML scalar", "c.yaml", "CredentialProviderConfig", []string{"cannot unmarshal string"}},
		{"JSON with trailing data", "c.json", `{"kind": "CredentialProviderConfig"} {}`, []string{"data after the JSON value"}},
		{"flow YAML read as JSON", "c.yaml", "{apiVersion: kubelet.config.k8s.io/v1, kind: CredentialProviderConfig}", []string{"invalid character 'a'"}},
		{"empty name", "c.yaml", yamlConfig("v1", yamlProvider(`""`, "v1")), []string{"name cannot name an executable"}},
		{"NUL in a name", "c.yaml", yamlConfig("v1", yamlProvider(`"a\0b"`, "v1")), []string{"name cannot name an executable"}},
		{"YAML subset", "c.yaml", yamlConfig("v1", yamlProvider("p", "v1", "args: &a [x]")), []string{"line 8: anchors are not supported"}},
		// Every problem, not the first only.
		{"several problems", "c.yaml", yamlConfig("v1", yamlProvider("a/b", "v0"), yamlProvider("a/b", "v1", "tokenAttributes: {}")),
			[]string{"name cannot contain '/'", "apiVersion \"credentialprovider.kubelet.k8s.io/v0\"", "already used", "name cannot contain '/'",
				"serviceAccountTokenAudience is required", "requireServiceAccount is required", "cacheType"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			providers, problems := readProviderConfig(path)
			if !matchProblems(problems, tt.want) {
				t.Errorf("readProviderConfig: problems\n  %s\nwant\n  %s", strings.Join(problems, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if tt.want == nil && len(providers) == 0 {
				t.Errorf("readProviderConfig: no providers")
			}
		})
	}
}

// matchProblems reports whether each problem has its wanted substring.
func matchProblems(problems, want []string) bool {
	if len(problems) != len(want) {
		return false
	}
	for i, p := range problems {
		if !strings.Contains(p, want[i]) {
			return false
		}
	}
	return true
}

func TestReadProviderConfigDecodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	text := yamlConfig("v1", tokenProvider(append(goodToken, "optionalServiceAccountAnnotationKeys: [a/b]")...), yamlProvider("q", "v1beta1", "args: [get-credentials]", "env:", "- {name: AWS_REGION, value: us-west-2}"))
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	got, problems := readProviderConfig(path)
	h12, no := "12h", false
	want := []credentialProvider{
		{Name: "p", MatchImages: []string{"*.dkr.ecr.*.amazonaws.com"}, DefaultCacheDuration: &h12, APIVersion: "credentialprovider.kubelet.k8s.io/v1",
			TokenAttributes: &tokenAttributes{"sts.amazonaws.com", "ServiceAccount", &no, nil, []string{"a/b"}}},
		{Name: "q", MatchImages: []string{"*.dkr.ecr.*.amazonaws.com"}, DefaultCacheDuration: &h12, APIVersion: "credentialprovider.kubelet.k8s.io/v1beta1",
			Args: []string{"get-credentials"}, Env: []execEnvVar{{"AWS_REGION", "us-west-2"}}},
	}
	if len(problems) > 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("readProviderConfig = %+v, %q; want %+v", got, problems, want)
	}
}

// TestReadProviderConfigDirectory checks kubelet 1.34's directory rules:
// *.json, *.yaml and *.yml entries, hidden ones too, in lexical order;
// not subdirectories, other extensions or other cases.
func TestReadProviderConfigDirectory(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"b.yaml":          yamlConfig("v1", yamlProvider("b", "v1")),
		"a.json":          `{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "CredentialProviderConfig", "providers": []}`,
		"c.yml":           yamlConfig("v1beta1", yamlProvider("c", "v1beta1")),
		".hidden.yaml":    yamlConfig("v1", yamlProvider("hidden", "v1")),
		"upper.YAML":      "not read",
		"notes.txt":       "not read",
		"sub.yaml/x.yaml": yamlConfig("v1", yamlProvider("sub", "v1")),
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	providers, problems := readProviderConfig(dir)
	var names []string
	for _, p := range providers {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "hidden b c" || len(problems) > 0 {
		t.Errorf("readProviderConfig(dir) = %s, %q; want hidden b c", got, problems)
	}

	// A name used in two files, and a bad file among good ones: every problem, with its file.
	os.WriteFile(filepath.Join(dir, "d.yaml"), []byte(yamlConfig("v1", yamlProvider("b", "v1"))), 0o600)
	os.WriteFile(filepath.Join(dir, "e.json"), []byte("{"), 0o600)
	_, problems = readProviderConfig(dir)
	want := []string{filepath.Join(dir, "d.yaml") + `: provider name "b" is already used in ` + filepath.Join(dir, "b.yaml"), filepath.Join(dir, "e.json") + ": unexpected EOF"}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems %q, want %q", problems, want)
	}
}

func TestReadProviderConfigRefuses(t *testing.T) {
	dir := t.TempDir()
	empty, other, many, big := filepath.Join(dir, "empty"), filepath.Join(dir, "other"), filepath.Join(dir, "many"), filepath.Join(dir, "big.yaml")
	for _, d := range []string{empty, other, many} {
		os.Mkdir(d, 0o700)
	}
	os.WriteFile(filepath.Join(other, "config.txt"), nil, 0o600)
	for i := range maxConfigEntries + 1 {
		os.WriteFile(filepath.Join(many, fmt.Sprintf("%d.txt", i)), nil, 0o600)
	}
	os.WriteFile(big, bytes.Repeat([]byte("# comment\n"), maxConfigBytes/10+1), 0o600)
	tests := []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{empty, "no *.json, *.yaml or *.yml files in the directory"},
		{other, "no *.json, *.yaml or *.yml files in the directory"},
		{many, "more than 1024 entries"},
		{big, "larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		_, problems := readProviderConfig(tt.path)
		if len(problems) != 1 || !strings.Contains(problems[0], tt.want) {
			t.Errorf("readProviderConfig(%s): %q, want one problem with %q", tt.path, problems, tt.want)
		}
	}
}

func TestQualifiedName(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"a", true}, {"eks.amazonaws.com/role-arn", true}, {"a.b-c_d", true}, {"1", true}, {strings.Repeat("a", 63), true},
		{strings.Repeat("a", 63) + ".b/" + strings.Repeat("c", 63), true}, {strings.Repeat("a.", 126) + "a/b", true},
		{"", false}, {"-a", false}, {"a-", false}, {"a b", false}, {strings.Repeat("a", 64), false},
		{"/a", false}, {"a/", false}, {"a/b/c", false}, {"a_b.com/c", false}, {"a..b/c", false}, {"-a.com/c", false},
		{strings.Repeat("a.", 127) + "a/b", false},
	}
	for _, tt := range tests {
		if got := qualifiedName(tt.key); got != tt.want {
			t.Errorf("qualifiedName(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// FuzzParseJSONTree checks the JSON reader against encoding/json: what it
// accepts is valid JSON with the same value.
func FuzzParseJSONTree(f *testing.F) {
	f.Add(`{"apiVersion": "kubelet.config.k8s.io/v1", "providers": [{"name": "x", "args": [1, true, null]}]}`)
	f.Add(`{"a": 1, "a": 2}`)
	f.Fuzz(func(t *testing.T, in string) {
		tree, err := parseJSONTree([]byte(in))
		if err != nil {
			return
		}
		dec := json.NewDecoder(strings.NewReader(in))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil || !reflect.DeepEqual(tree, want) {
			t.Errorf("parseJSONTree(%q) = %v; encoding/json reads %v, %v", in, tree, want, err)
		}
	})
}
