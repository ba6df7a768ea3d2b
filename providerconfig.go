package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
)

// kubelet's CredentialProviderConfig, read and judged as kubelet does at
// start (SPEC §8): readCredentialProviderConfig, decode and
// validateCredentialProviderConfig in k8s.io/kubernetes
// pkg/credentialprovider/plugin/config.go, with the types of
// k8s.io/kubelet/config/{v1,v1beta1,v1alpha1}/types.go, decoded strictly
// (unknown, duplicate or wrongly cased fields are errors). kubelet stops
// at its first problem; check reports them all.

const (
	maxConfigBytes   = 1 << 20 // per file; real configs are a few KiB
	maxConfigEntries = 1024    // directory entries looked at
	configKind       = "CredentialProviderConfig"
	configV1         = "kubelet.config.k8s.io/v1"
)

// credentialProviderConfig is the config's versioned form; v1alpha1 and
// v1beta1 have no tokenAttributes.
type credentialProviderConfig struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Providers  []credentialProvider `json:"providers"`
}

type credentialProvider struct {
	Name                 string           `json:"name"`
	MatchImages          []string         `json:"matchImages"`
	DefaultCacheDuration *string          `json:"defaultCacheDuration"` // a metav1.Duration
	APIVersion           string           `json:"apiVersion"`
	Args                 []string         `json:"args"`
	Env                  []execEnvVar     `json:"env"`
	TokenAttributes      *tokenAttributes `json:"tokenAttributes"`
}

type execEnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type tokenAttributes struct {
	ServiceAccountTokenAudience          string   `json:"serviceAccountTokenAudience"`
	CacheType                            string   `json:"cacheType"`
	RequireServiceAccount                *bool    `json:"requireServiceAccount"`
	RequiredServiceAccountAnnotationKeys []string `json:"requiredServiceAccountAnnotationKeys"`
	OptionalServiceAccountAnnotationKeys []string `json:"optionalServiceAccountAnnotationKeys"`
}

// configFields are the field names of the types above, for the
// case-sensitivity check that encoding/json does not make.
var configFields = []string{"apiVersion", "kind", "providers", "name", "matchImages", "defaultCacheDuration",
	"args", "env", "value", "tokenAttributes", "serviceAccountTokenAudience", "cacheType",
	"requireServiceAccount", "requiredServiceAccountAnnotationKeys", "optionalServiceAccountAnnotationKeys"}

// readProviderConfig reads path as kubelet's --image-credential-provider-config:
// a file, or a directory whose *.json, *.yaml and *.yml entries (not
// subdirectories, hidden names included, not recursively) kubelet merges
// in lexical order. It returns the merged providers and every problem that
// makes kubelet refuse to start, each naming its file.
func readProviderConfig(path string) ([]credentialProvider, []string) {
	files, err := configFiles(path)
	if err != nil {
		return nil, []string{err.Error()}
	}
	var providers []credentialProvider
	var problems []string
	from := map[string]string{} // provider name: its file
	for _, file := range files {
		c, err := readConfigFile(file)
		check := func(bad bool, format string, a ...any) {
			if bad {
				problems = append(problems, file+": "+fmt.Sprintf(format, a...))
			}
		}
		check(err != nil, "%v", err)
		for _, p := range c.Providers {
			first, dup := from[p.Name]
			check(dup, "provider name %s is already used in %s", shortQuote(p.Name), first)
			from[p.Name] = file
			providerProblems(p, func(bad bool, format string, a ...any) {
				check(bad, "provider %s: "+format, append([]any{shortQuote(p.Name)}, a...)...)
			})
		}
		providers = append(providers, c.Providers...)
	}
	if len(providers) == 0 && len(problems) == 0 {
		problems = append(problems, path+": no providers: kubelet needs at least one")
	}
	return providers, problems
}

// configFiles lists what kubelet reads for path, in its order.
func configFiles(path string) ([]string, error) {
	dir, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	if fi, err := dir.Stat(); err != nil || !fi.IsDir() {
		return []string{path}, err
	}
	entries, err := dir.ReadDir(maxConfigEntries + 1)
	if err == io.EOF { // an empty directory
		err = nil
	}
	if len(entries) > maxConfigEntries {
		err = fmt.Errorf("more than %d entries, the most check reads", maxConfigEntries)
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".json" || ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if err == nil && len(files) == 0 {
		err = errors.New("no *.json, *.yaml or *.yml files in the directory")
	}
	if slices.Sort(files); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return files, nil
}

// readConfigFile decodes one file strictly, as kubelet does the JSON
// sigs.k8s.io/yaml makes of it: no unknown, duplicate or wrongly cased
// field. Like kubelet's universal decoder, it reads a file whose first
// non-space character is "{" as JSON, any other as YAML.
func readConfigFile(file string) (credentialProviderConfig, error) {
	var c credentialProviderConfig
	data, err := readFileBounded(file, maxConfigBytes)
	var tree any
	if err == nil && bytes.HasPrefix(bytes.TrimLeftFunc(data, unicode.IsSpace), []byte("{")) {
		tree, err = parseJSONTree(data)
	} else if err == nil {
		tree, err = parseYAML(data)
	}
	// kubelet also reads its unversioned internal form, field names in Go
	// case; no one writes that, and check does not read it.
	if m, _ := tree.(map[string]any); err == nil && m["apiVersion"] == "kubelet.config.k8s.io/__internal" {
		err = errors.New("apiVersion kubelet.config.k8s.io/__internal, kubelet's internal form, is not supported")
	}
	if err == nil {
		err = checkFieldCase(tree)
	}
	if err == nil {
		data, err = json.Marshal(tree) // fails, as kubelet's conversion does, on .nan and .inf
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&c)
	}
	if err == nil {
		err = checkConfigType(c, tree)
	}
	if err != nil {
		return credentialProviderConfig{}, errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return c, nil
}

// checkConfigType checks what kubelet's scheme knows: the kind in one of
// three versions, of which only v1 has tokenAttributes.
func checkConfigType(c credentialProviderConfig, tree any) error {
	m, _ := tree.(map[string]any)
	providers, _ := m["providers"].([]any)
	switch {
	case c.Kind != configKind:
		return fmt.Errorf("kind is %s, want %s", shortQuote(c.Kind), configKind)
	case c.APIVersion != configV1 && c.APIVersion != "kubelet.config.k8s.io/v1beta1" && c.APIVersion != "kubelet.config.k8s.io/v1alpha1":
		return fmt.Errorf("apiVersion is %s, want %s, or its v1beta1 or v1alpha1", shortQuote(c.APIVersion), configV1)
	case c.APIVersion != configV1 && slices.ContainsFunc(providers, func(p any) bool {
		m, _ := p.(map[string]any)
		_, has := m["tokenAttributes"] // null counts: the field is unknown
		return has
	}):
		return fmt.Errorf("unknown field \"tokenAttributes\": only %s has it", configV1)
	}
	return nil
}

// checkFieldCase refuses a key that encoding/json would take for a field
// whose name it spells in another case; kubelet's decoder is
// case-sensitive and knows no such field.
func checkFieldCase(tree any) error {
	m, _ := tree.(map[string]any)
	children, _ := tree.([]any)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if i := slices.IndexFunc(configFields, func(f string) bool { return f != k && strings.EqualFold(f, k) }); i >= 0 {
			return fmt.Errorf("unknown field %s (did you mean %s?)", shortQuote(k), configFields[i])
		}
		children = append(children, m[k])
	}
	for _, child := range children {
		if err := checkFieldCase(child); err != nil {
			return err
		}
	}
	return nil
}

// parseJSONTree reads one JSON value into the tree. encoding/json keeps
// the last of duplicate keys; kubelet's strict decoder refuses them.
func parseJSONTree(data []byte) (any, error) {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := jsonDuplicates(json.NewDecoder(bytes.NewReader(data)), 0)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	} else if err == nil {
		err = dec.Decode(&tree)
	}
	if _, end := dec.Token(); err == nil && end != io.EOF {
		err = errors.New("data after the JSON value")
	}
	return tree, err
}

// jsonDuplicates reads one JSON value and refuses an object with a key twice.
func jsonDuplicates(dec *json.Decoder, depth int) error {
	t, err := dec.Token()
	if d, isDelim := t.(json.Delim); err != nil || !isDelim {
		return err
	} else if depth == maxConfigDepth {
		return fmt.Errorf("nested more than %d levels deep", maxConfigDepth)
	} else {
		keys := map[string]bool{}
		for err == nil && dec.More() {
			if d == '{' {
				t, err = dec.Token() // a string: the decoder checks
				k, _ := t.(string)
				if keys[k] && err == nil {
					err = fmt.Errorf("duplicate key %s", shortQuote(k))
				}
				keys[k] = true
			}
			if err == nil {
				err = jsonDuplicates(dec, depth+1)
			}
		}
	}
	if err == nil {
		_, err = dec.Token()
	}
	return err
}

// providerProblems checks validateCredentialProviderConfig's rules for one
// provider, reporting each through check, with kubelet's
// KubeletServiceAccountTokenForCredentialProviders feature gate on (its
// default since 1.34).
func providerProblems(p credentialProvider, check func(bad bool, format string, a ...any)) {
	check(strings.Contains(p.Name, "/"), "name cannot contain '/'")
	check(strings.Contains(p.Name, " "), "name cannot contain spaces")
	// kubelet runs BIN_DIR/NAME, and checks at start that it exists.
	check(p.Name == "" || p.Name == "." || p.Name == ".." || len(p.Name) > 255 || strings.ContainsRune(p.Name, 0),
		"name cannot name an executable in kubelet's --image-credential-provider-bin-dir")
	check(p.APIVersion == "", "apiVersion is required")
	check(p.APIVersion != "" && !apiVersion(p.APIVersion),
		"apiVersion %s is not credentialprovider.kubelet.k8s.io/v1, v1beta1 or v1alpha1", shortQuote(p.APIVersion))
	check(len(p.MatchImages) == 0, "matchImages needs at least one glob")
	for _, g := range p.MatchImages {
		_, err := url.Parse("https://" + g)
		check(err != nil, "matchImages glob %s is invalid: %v", shortQuote(g), errors.Unwrap(err))
	}
	check(p.DefaultCacheDuration == nil, "defaultCacheDuration is required")
	if p.DefaultCacheDuration != nil {
		d, err := time.ParseDuration(*p.DefaultCacheDuration)
		check(err != nil, "defaultCacheDuration %s is not a duration such as 12h", shortQuote(*p.DefaultCacheDuration))
		check(d < 0, "defaultCacheDuration must not be negative")
	}
	if t := p.TokenAttributes; t != nil {
		check(p.APIVersion != "credentialprovider.kubelet.k8s.io/v1", "tokenAttributes needs apiVersion credentialprovider.kubelet.k8s.io/v1")
		tokenProblems(*t, func(bad bool, format string, a ...any) { check(bad, "tokenAttributes: "+format, a...) })
	}
}

// tokenProblems checks the rules for tokenAttributes (KEP-4412).
func tokenProblems(t tokenAttributes, check func(bad bool, format string, a ...any)) {
	check(t.ServiceAccountTokenAudience == "", "serviceAccountTokenAudience is required")
	check(t.RequireServiceAccount == nil, "requireServiceAccount is required")
	check(t.RequireServiceAccount != nil && !*t.RequireServiceAccount && len(t.RequiredServiceAccountAnnotationKeys) > 0,
		"requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set")
	for i, keys := range [][]string{t.RequiredServiceAccountAnnotationKeys, t.OptionalServiceAccountAnnotationKeys} {
		field := [...]string{"requiredServiceAccountAnnotationKeys", "optionalServiceAccountAnnotationKeys"}[i]
		for j, k := range keys {
			check(!qualifiedName(strings.ToLower(k)), "%s: %s is not a valid annotation key", field, shortQuote(k))
			check(slices.Contains(keys[:j], k), "%s: %s appears twice", field, shortQuote(k))
			check(i == 1 && slices.Contains(t.RequiredServiceAccountAnnotationKeys, k), "%s is both required and optional", shortQuote(k))
		}
	}
	check(t.CacheType != "ServiceAccount" && t.CacheType != "Token", "cacheType is %s, want ServiceAccount or Token", shortQuote(t.CacheType))
}

// qualifiedName is apimachinery's IsQualifiedName (IsLabelKey): an
// optional lowercase DNS subdomain prefix and "/", then a name of 1 to 63
// of [A-Za-z0-9._-] that starts and ends alphanumeric.
func qualifiedName(k string) bool {
	name, prefix := k, ""
	if i := strings.IndexByte(k, '/'); i >= 0 {
		if prefix, name = k[:i], k[i+1:]; len(prefix) > 253 || !dnsSubdomain(prefix) {
			return false
		}
	}
	return name != "" && len(name) <= 63 && isAlnum(name[0]) && isAlnum(name[len(name)-1]) &&
		allBytes(name, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' })
}

// dnsSubdomain reports whether s is dot-separated lowercase RFC 1123 labels
// (apimachinery's pattern, which sets no length per label).
func dnsSubdomain(s string) bool {
	for _, l := range strings.Split(s, ".") {
		if l == "" || !isLowerAlnum(l[0]) || !isLowerAlnum(l[len(l)-1]) || !allBytes(l, isLDH) {
			return false
		}
	}
	return true
}
