package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/kubernetes/pkg/credentialprovider"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
	"k8s.io/kubernetes/pkg/util/parsers"
)

// checkResult is one line of `check --json`.
type checkResult struct {
	Image        string `json:"image"`
	KubeletImage string `json:"kubeletImage"`
	Matches      []struct {
		Provider string `json:"provider"`
		Glob     string `json:"glob"`
	} `json:"matches"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// runCheck runs the binary's check command and returns its exit code,
// stdout and stderr.
func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(providerBinary, append([]string{"check"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), stdout.String(), stderr.String()
	} else if err != nil {
		t.Fatalf("check: %v", err)
	}
	return 0, stdout.String(), stderr.String()
}

// pick returns one of choices.
func pick(r *rand.Rand, choices ...string) string { return choices[r.IntN(len(choices))] }

// randomGlob builds a matchImages entry from pieces that exercise
// URLsMatchStr's corners: wildcards per label, ports compared as strings,
// path prefixes, and the URL syntax ("?", "#", "@", "%", "[") that comes
// before glob syntax.
func randomGlob(r *rand.Rand) string {
	labels := make([]string, 1+r.IntN(4))
	for i := range labels {
		labels[i] = pick(r, "*", "*", "a", "b", "ab", "a*", "*b", "*-x", "x-*", "k8s", "io", "com", "?", "A", "[ab]", `\*`, "%61", "", "x]", "é")
	}
	host := pick(r, strings.Join(labels, "."), strings.Join(labels, "."), strings.Join(labels, "."), "[::1]")
	return pick(r, "", "", "", "u@") + host + pick(r, "", "", "", ":443", ":0443", ":5000", ":") +
		pick(r, "", "", "", "/", "/team", "/team/", "/te", "/Team", "?q", "#f", "/team?x")
}

// randomImage builds an image as a pod spec names it.
func randomImage(r *rand.Rand) string {
	labels := make([]string, 1+r.IntN(4))
	for i := range labels {
		labels[i] = pick(r, "a", "b", "ab", "ax", "xb", "a-x", "x-x", "k8s", "io", "com", "A", "localhost")
	}
	host := strings.Join(labels, ".")
	host = pick(r, host, host, host, host, "[::1]") + pick(r, "", "", ":443", ":0443", ":5000")
	ref := pick(r, host+"/team/app", host+"/app", host+"/team/sub/app", "app", "team/app", host)
	return ref + pick(r, "", ":v1", ":latest", "@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ":v1@sha512:"+strings.Repeat("0", 128), ":", "@sha256:abc")
}

// TestCheckGlobsAgreeWithKubelet compares, on generated globs and images,
// what `check --json` reports with kubelet's own functions: the name
// parsers.ParseImageName gives, and which globs URLsMatchStr matches it
// with. A glob kubelet's ParseSchemelessURL refuses must make check refuse
// the config.
func TestCheckGlobsAgreeWithKubelet(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2026))
	var globs, refused []string
	for len(globs) < 300 {
		g := randomGlob(r)
		if _, err := credentialprovider.ParseSchemelessURL(g); err != nil {
			refused = append(refused, g)
		} else if !slices.Contains(globs, g) {
			globs = append(globs, g)
		}
	}
	images := []string{"123456789012.dkr.ecr.us-west-2.amazonaws.com/app", "Nginx", strings.Repeat("ab", 32)}
	for len(images) < 400 {
		images = append(images, randomImage(r))
	}
	var cfg strings.Builder
	cfg.WriteString("apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n")
	for i, g := range globs {
		q, _ := json.Marshal(g)
		fmt.Fprintf(&cfg, "- {name: g%d, apiVersion: credentialprovider.kubelet.k8s.io/v1, defaultCacheDuration: 1h, matchImages: [%s]}\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, path, cfg.String())
	code, stdout, stderr := runCheck(t, append([]string{"--offline", "--json", "--config", path, "--"}, images...)...)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if code != 1 || len(lines) != len(images) {
		t.Fatalf("check: exit %d, %d lines for %d images, stderr %q", code, len(lines), len(images), stderr)
	}
	matched := 0
	for i, line := range lines {
		var got checkResult
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		repo, _, _, err := parsers.ParseImageName(images[i])
		if got.Image != images[i] || got.KubeletImage != repo || (err != nil) != strings.HasPrefix(got.Error, "kubelet fails the pull") {
			t.Errorf("%q: check sends %q (%s); kubelet looks up %q (%v)", images[i], got.KubeletImage, got.Error, repo, err)
			continue
		}
		var want, have []string
		for j, g := range globs {
			if ok, _ := credentialprovider.URLsMatchStr(g, repo); ok && err == nil {
				want = append(want, fmt.Sprintf("g%d %s", j, g))
			}
		}
		for _, m := range got.Matches {
			have = append(have, m.Provider+" "+m.Glob)
		}
		if matched += len(want); !slices.Equal(have, want) {
			t.Errorf("%q (kubelet looks up %q): check matches %q, kubelet %q", images[i], repo, have, want)
		}
	}
	if matched < 100 {
		t.Errorf("only %d matches in all: the generator misses the point", matched)
	}
	for _, g := range refused[:min(len(refused), 20)] {
		q, _ := json.Marshal(g)
		writeFile(t, path, "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"+
			"- {name: g, apiVersion: credentialprovider.kubelet.k8s.io/v1, defaultCacheDuration: 1h, matchImages: ["+string(q)+"]}\n")
		if code, _, stderr := runCheck(t, "--config", path); code != 2 || !strings.Contains(stderr, "is invalid") {
			t.Errorf("glob %q, which kubelet refuses: check exit %d, %q", g, code, stderr)
		}
	}
}

// configCase is a config as files; {P} and {Q} stand for provider names
// that are fresh in every case, because kubelet registers providers in a
// process-wide registry that refuses a name twice.
type configCase struct {
	name  string
	files map[string]string // one file is passed as a file, more as their directory
	// subset marks a config kubelet accepts that check refuses on purpose:
	// YAML outside the subset it reads, said so in its message.
	subset bool
}

const (
	v1Head   = "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n"
	goodP    = "- name: {P}\n  matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]\n  defaultCacheDuration: 12h\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n"
	goodJSON = `{"apiVersion": "kubelet.config.k8s.io/v1", "kind": "CredentialProviderConfig", "providers": [{"name": "{P}", "matchImages": ["a.io"], "defaultCacheDuration": "1h", "apiVersion": "credentialprovider.kubelet.k8s.io/v1"%s}]}`
	tokenP   = goodP + "  tokenAttributes:\n    serviceAccountTokenAudience: sts.amazonaws.com\n    cacheType: ServiceAccount\n"
)

func one(text string) map[string]string { return map[string]string{"c.yaml": text} }

// p is goodP with one field more.
func p(extra string) string { return goodP + "  " + extra + "\n" }

func replaced(old, new string) string { return v1Head + strings.Replace(goodP, old, new, 1) }

var configCases = []configCase{
	{"good", one(v1Head + goodP), false},
	{"good v1beta1", one(strings.ReplaceAll(v1Head+goodP, "/v1\n", "/v1beta1\n")), false},
	{"good v1alpha1", one(strings.ReplaceAll(v1Head+goodP, "/v1\n", "/v1alpha1\n")), false},
	{"good JSON", map[string]string{"c.json": fmt.Sprintf(goodJSON, "")}, false},
	{"JSON with args and env", map[string]string{"c.json": fmt.Sprintf(goodJSON, `, "args": ["get-credentials"], "env": [{"name": "A", "value": "b"}]`)}, false},
	{"JSON with a duplicate key", map[string]string{"c.json": fmt.Sprintf(goodJSON, `, "apiVersion": "credentialprovider.kubelet.k8s.io/v1"`)}, false},
	{"JSON with a field in another case", map[string]string{"c.json": fmt.Sprintf(goodJSON, `, "Args": []`)}, false},
	{"JSON with a number for a string", map[string]string{"c.json": fmt.Sprintf(goodJSON, `, "args": [1]`)}, false},
	{"JSON with trailing data", map[string]string{"c.json": fmt.Sprintf(goodJSON, "") + " {}"}, false},
	{"JSON after a BOM, read as YAML", map[string]string{"c.json": "\ufeff" + fmt.Sprintf(goodJSON, "")}, false},
	{"JSON with tabs", map[string]string{"c.json": strings.ReplaceAll(fmt.Sprintf(goodJSON, ""), ", ", ",\n\t")}, false},
	{"flow YAML that kubelet reads as JSON", one("{apiVersion: kubelet.config.k8s.io/v1, kind: CredentialProviderConfig, providers: []}"), false},
	{"flow YAML after a comment", one("# c\n{apiVersion: kubelet.config.k8s.io/v1, kind: CredentialProviderConfig, providers: [{name: {P}, matchImages: [a.io], defaultCacheDuration: 1h, apiVersion: credentialprovider.kubelet.k8s.io/v1}]}"), false},
	{"a leading ---, comments, CRLF", one(strings.ReplaceAll("---\n# c\n"+v1Head+goodP+"  # end\n", "\n", "\r\n")), false},
	{"empty", one(""), false},
	{"wrong kind", one(strings.Replace(v1Head+goodP, "CredentialProviderConfig", "KubeletConfiguration", 1)), false},
	{"no kind", one(strings.Replace(v1Head+goodP, "kind: CredentialProviderConfig\n", "", 1)), false},
	{"core apiVersion", one(strings.Replace(v1Head+goodP, "kubelet.config.k8s.io/v1", "v1", 1)), false},
	{"unknown version", one(strings.Replace(v1Head+goodP, "kubelet.config.k8s.io/v1", "kubelet.config.k8s.io/v2", 1)), false},
	{"unknown field", one(v1Head + p("unknownField: x")), false},
	{"metadata", one("metadata: {}\n" + v1Head + goodP), false},
	{"field in another case", one(replaced("matchImages", "MatchImages")), false},
	{"duplicate key", one(v1Head + p("name: {Q}")), false},
	{"duplicate provider names", one(v1Head + goodP + goodP), false},
	{"no providers", one(v1Head), false},
	{"null providers", one(v1Head + " null\n"), false},
	{"a null provider", one(v1Head + "- null\n"), false},
	{"name with /", one(replaced("{P}", "a/b")), false},
	{"name with a space", one(replaced("{P}", "a b")), false},
	{"name .", one(replaced("{P}", `"."`)), false},
	{"name ..", one(replaced("{P}", `".."`)), false},
	{"empty name", one(replaced("{P}", `""`)), false},
	{"a number for a name", one(replaced("{P}", "12")), false},
	{"yes for a name", one(replaced("{P}", "yes")), false},
	{"no apiVersion", one(replaced("  apiVersion: credentialprovider.kubelet.k8s.io/v1\n", "")), false},
	{"bad apiVersion", one(replaced("credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v2")), false},
	{"no matchImages", one(replaced("[\"*.dkr.ecr.*.amazonaws.com\"]", "[]")), false},
	{"a bad glob", one(replaced("\"*.dkr.ecr.*.amazonaws.com\"", "\"%zz\"")), false},
	{"a glob with [", one(replaced("\"*.dkr.ecr.*.amazonaws.com\"", "\"*.dkr.ecr.us-west-[12].amazonaws.com\"")), false},
	{"a glob with ?", one(replaced("\"*.dkr.ecr.*.amazonaws.com\"", "\"*.dkr.ecr.us-west-?.amazonaws.com\"")), false},
	{"no defaultCacheDuration", one(replaced("  defaultCacheDuration: 12h\n", "")), false},
	{"null defaultCacheDuration", one(replaced("12h", "~")), false},
	{"number defaultCacheDuration", one(replaced("12h", "0")), false},
	{"quoted 0 defaultCacheDuration", one(replaced("12h", `"0"`)), false},
	{"fractional defaultCacheDuration", one(replaced("12h", "1.5h")), false},
	{"signed defaultCacheDuration", one(replaced("12h", "+5m")), false},
	{"negative defaultCacheDuration", one(replaced("12h", "-1s")), false},
	{"bad defaultCacheDuration", one(replaced("12h", "1d")), false},
	{"env with a quoted value", one(v1Head + p(`env: [{name: A, value: "1"}]`)), false},
	{"env with a number", one(v1Head + p(`env: [{name: A, value: 1}]`)), false},
	{"env with a hex number", one(v1Head + p(`env: [{name: A, value: 0x1f}]`)), false},
	{"env with an underscored number", one(v1Head + p(`env: [{name: A, value: 1_000}]`)), false},
	{"env with 1e3", one(v1Head + p(`env: [{name: A, value: 1e3}]`)), false},
	{"env with 1e999", one(v1Head + p(`env: [{name: A, value: 1e999}]`)), false},
	{"env with 08", one(v1Head + p(`env: [{name: A, value: 08}]`)), false},
	{"env with a timestamp", one(v1Head + p(`env: [{name: A, value: 2024-01-02}]`)), false},
	{"env with a version", one(v1Head + p(`env: [{name: A, value: 1.2.3}]`)), false},
	{"env with true", one(v1Head + p(`env: [{name: AWS_USE_FIPS_ENDPOINT, value: true}]`)), false},
	{"env with on", one(v1Head + p(`env: [{name: A, value: on}]`)), false},
	{"env with a null value", one(v1Head + p(`env: [{name: A, value: null}]`)), false},
	{"env with .inf", one(v1Head + p(`env: [{name: A, value: .inf}]`)), false},
	{"env with a string '.inf'", one(v1Head + p(`env: [{name: A, value: '.inf'}]`)), false},
	{"env without a value", one(v1Head + p(`env: [{name: A}]`)), false},
	{"a non-string key", one(v1Head + p("true: x")), false},
	{"a quoted key", one(v1Head + p(`"args": [x]`)), false},
	{"a quoted merge key", one(v1Head + p(`"<<": {args: [x]}`)), false},
	{"tokenAttributes", one(v1Head + tokenP + "    requireServiceAccount: false\n"), false},
	{"tokenAttributes with yes", one(v1Head + tokenP + "    requireServiceAccount: yes\n"), false},
	{"tokenAttributes with a string", one(v1Head + tokenP + "    requireServiceAccount: \"false\"\n"), false},
	{"tokenAttributes without requireServiceAccount", one(v1Head + tokenP), false},
	{"tokenAttributes, empty", one(v1Head + p("tokenAttributes: {}")), false},
	{"tokenAttributes: null", one(v1Head + p("tokenAttributes: null")), false},
	{"tokenAttributes: null in v1beta1", one(strings.ReplaceAll(v1Head+p("tokenAttributes: null"), "/v1\n", "/v1beta1\n")), false},
	{"tokenAttributes in v1beta1", one(strings.ReplaceAll(v1Head+tokenP+"    requireServiceAccount: false\n", "/v1\n", "/v1beta1\n")), false},
	{"tokenAttributes for a v1beta1 plugin", one(strings.Replace(v1Head+tokenP+"    requireServiceAccount: false\n", "credentialprovider.kubelet.k8s.io/v1", "credentialprovider.kubelet.k8s.io/v1beta1", 1)), false},
	{"tokenAttributes, bad cacheType", one(v1Head + strings.Replace(tokenP, "ServiceAccount", "Pod", 1) + "    requireServiceAccount: false\n"), false},
	{"annotation keys", one(v1Head + tokenP + "    requireServiceAccount: true\n    requiredServiceAccountAnnotationKeys: [a.io/b, Example.COM/My_Key.1]\n    optionalServiceAccountAnnotationKeys: [x, \"\u212a8s.io/y\"]\n"), false},
	{"bad annotation keys", one(v1Head + tokenP + "    requireServiceAccount: true\n    requiredServiceAccountAnnotationKeys: [a_b.io/c, -x, \"\", a/b/c, " + strings.Repeat("k", 64) + "]\n"), false},
	{"annotation key required and optional", one(v1Head + tokenP + "    requireServiceAccount: true\n    requiredServiceAccountAnnotationKeys: [a]\n    optionalServiceAccountAnnotationKeys: [a]\n"), false},
	{"required keys, requireServiceAccount false", one(v1Head + tokenP + "    requireServiceAccount: false\n    requiredServiceAccountAnnotationKeys: [a]\n"), false},
	{"a directory", map[string]string{"b.yaml": v1Head + goodP, "a.json": fmt.Sprintf(strings.ReplaceAll(goodJSON, "{P}", "{Q}"), ""), "z.txt": "x"}, false},
	{"a directory, one name twice", map[string]string{"a.yaml": v1Head + goodP, "b.yml": v1Head + goodP}, false},
	{"a directory, one empty list", map[string]string{"a.yaml": v1Head + goodP, "b.yml": v1Head + " []\n"}, false},
	{"a directory, one bad file", map[string]string{"a.yaml": v1Head + goodP, "b.yml": "x: ["}, false},
	{"a directory, only other files", map[string]string{"a.txt": v1Head + goodP, "b.YAML": v1Head + goodP}, false},
	{"a directory, hidden file", map[string]string{".a.yaml": v1Head + goodP}, false},
	// What check refuses and kubelet reads.
	{"internal version", one("apiVersion: kubelet.config.k8s.io/__internal\nkind: CredentialProviderConfig\nProviders:\n- Name: {P}\n  MatchImages: [a.io]\n  DefaultCacheDuration: 1h\n  APIVersion: credentialprovider.kubelet.k8s.io/v1\n"), true},
	{"an anchor", one(v1Head + p("args: &a [x]")), true},
	{"a block scalar", one(v1Head + p("env:\n  - name: A\n    value: |\n      x")), true},
	{"a second document", one(v1Head + goodP + "---\nx: y\n"), true},
	{"a plain scalar over two lines", one(v1Head + p("args:\n  - x\n    y")), true},
	{"a merge key", one(v1Head + p("<<: {args: [x]}")), true},
}

// TestCheckConfigsAgreeWithKubelet loads each config both ways: with
// kubelet's own RegisterCredentialProviderPlugins (file or directory,
// decoding, validation, binaries in the bin dir) and with check, which
// must exit 2 exactly when kubelet refuses.
func TestCheckConfigsAgreeWithKubelet(t *testing.T) {
	binDir := t.TempDir()
	for i, c := range configCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			names := strings.NewReplacer("{P}", fmt.Sprintf("c%dp", i), "{Q}", fmt.Sprintf("c%dq", i))
			for _, n := range []string{"{P}", "{Q}"} {
				writeFile(t, filepath.Join(binDir, names.Replace(n)), "")
				os.Chmod(filepath.Join(binDir, names.Replace(n)), 0o755)
			}
			path := dir
			for name, text := range c.files {
				writeFile(t, filepath.Join(dir, name), names.Replace(text))
				if len(c.files) == 1 {
					path = filepath.Join(dir, name)
				}
			}
			kubeletErr := plugin.RegisterCredentialProviderPlugins(path, binDir, nil, nil)
			code, _, stderr := runCheck(t, "--offline", "--config", path)
			switch {
			case c.subset && (kubeletErr != nil || code != 2 || !strings.Contains(stderr, "not supported")):
				t.Errorf("kubelet: %v; check: exit %d %s; want kubelet to accept, and check to refuse what it does not read", kubeletErr, code, stderr)
			case !c.subset && (kubeletErr != nil) != (code == 2):
				t.Errorf("kubelet: %v; check: exit %d %s", kubeletErr, code, stderr)
			case code != 0 && code != 2:
				t.Errorf("check: exit %d %s", code, stderr)
			}
		})
	}
}
