package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
	"k8s.io/kubernetes/pkg/util/parsers"
)

// kubeletEnv names the scenario file when the test binary is re-executed
// as a stand-in kubelet. kubelet's plugin registry is process-global and
// refuses a provider name twice, so each scenario gets a fresh process,
// exactly like a kubelet start.
const kubeletEnv = "INTEROP_KUBELET_SCENARIO"

// providerName is the provider's name in every config, and so the
// binary's name in the bin dir.
const providerName = "ecr-credential-provider"

// pod is what kubelet knows of the pod whose images it pulls.
type pod struct {
	Namespace, Name, UID, ServiceAccount string
}

// serviceAccount is what the API server would return for the pod's
// service account, and the token the TokenRequest would mint.
type serviceAccount struct {
	UID         string
	Annotations map[string]string
	Token       string
}

// scenario is one kubelet start followed by image pulls.
type scenario struct {
	ConfigPath     string
	BinDir         string
	Pod            pod
	ServiceAccount *serviceAccount
	Images         []string // as written in the pod spec, with tags
}

// pull is what kubelet's keyring handed out for one image.
type pull struct {
	Image string // as in the pod spec
	Repo  string // what kubelet looked up
	Found bool
	Auth  []authPair
}

type authPair struct{ Username, Password string }

// tokenRequest is what kubelet asked the API server for.
type tokenRequest struct {
	Namespace, ServiceAccount string
	Audiences                 []string
	BoundPod                  string
}

// kubeletResult is the stand-in kubelet's report on stdout.
type kubeletResult struct {
	RegisterError string
	Pulls         []pull
	TokenRequests []tokenRequest
}

// actAsKubelet is the child side: register the providers the way kubelet
// does at start (kuberuntime_manager.go) and look each image up the way
// its image manager does (image_manager.go: parsers.ParseImageName, then
// the per-pod external keyring's Lookup). klog writes to stderr.
func actAsKubelet(path string) int {
	var sc scenario
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &sc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stand-in kubelet:", err)
		return 3
	}
	res := kubeletResult{Pulls: []pull{}}
	tokenFunc, saFunc := apiServer(sc, &res)
	if err := plugin.RegisterCredentialProviderPlugins(sc.ConfigPath, sc.BinDir, tokenFunc, saFunc); err != nil {
		res.RegisterError = err.Error()
	} else {
		for _, image := range sc.Images {
			res.Pulls = append(res.Pulls, lookup(sc.Pod, image))
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 3
	}
	return 0
}

// lookup resolves one image through a fresh per-pod keyring, as kubelet
// does for each pull.
func lookup(p pod, image string) pull {
	out := pull{Image: image}
	repo, _, _, err := parsers.ParseImageName(image)
	if err != nil {
		out.Repo = "parse error: " + err.Error()
		return out
	}
	out.Repo = repo
	keyring := plugin.NewExternalCredentialProviderDockerKeyring(p.Namespace, p.Name, p.UID, p.ServiceAccount)
	creds, found := keyring.Lookup(repo)
	out.Found = found
	for _, c := range creds {
		out.Auth = append(out.Auth, authPair{c.Username, c.Password})
	}
	return out
}

// apiServer fakes the two API server calls kubelet makes in token mode:
// the TokenRequest and the ServiceAccount get.
func apiServer(sc scenario, res *kubeletResult) (func(string, string, *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error), plugin.GetServiceAccountFunc) {
	tokenFunc := func(ns, name string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
		rec := tokenRequest{Namespace: ns, ServiceAccount: name, Audiences: tr.Spec.Audiences}
		if ref := tr.Spec.BoundObjectRef; ref != nil {
			rec.BoundPod = ref.Kind + "/" + ref.Name + "/" + string(ref.UID)
		}
		res.TokenRequests = append(res.TokenRequests, rec)
		if sc.ServiceAccount == nil {
			return nil, fmt.Errorf("serviceaccount %s/%s not found", ns, name)
		}
		out := tr.DeepCopy()
		out.Status = authenticationv1.TokenRequestStatus{Token: sc.ServiceAccount.Token, ExpirationTimestamp: metav1.NewTime(time.Now().Add(time.Hour))}
		return out, nil
	}
	saFunc := func(ns, name string) (*corev1.ServiceAccount, error) {
		if sc.ServiceAccount == nil {
			return nil, fmt.Errorf("serviceaccount %s/%s not found", ns, name)
		}
		return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, UID: types.UID(sc.ServiceAccount.UID), Annotations: sc.ServiceAccount.Annotations,
		}}, nil
	}
	return tokenFunc, saFunc
}

// credentialProviderConfig is a CredentialProviderConfig file as an admin
// writes it; only the fields the suite sets.
type credentialProviderConfig struct {
	APIVersion string               `json:"apiVersion"` // kubelet.config.k8s.io/...
	Kind       string               `json:"kind"`
	Providers  []credentialProvider `json:"providers"`
}

type credentialProvider struct {
	Name                 string          `json:"name"`
	MatchImages          []string        `json:"matchImages"`
	DefaultCacheDuration string          `json:"defaultCacheDuration"`
	APIVersion           string          `json:"apiVersion"` // credentialprovider.kubelet.k8s.io/...
	Args                 []string        `json:"args,omitempty"`
	Env                  []envVar        `json:"env,omitempty"`
	TokenAttributes      *tokenAttribute `json:"tokenAttributes,omitempty"`
}

type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type tokenAttribute struct {
	ServiceAccountTokenAudience          string   `json:"serviceAccountTokenAudience"`
	CacheType                            string   `json:"cacheType"`
	RequireServiceAccount                *bool    `json:"requireServiceAccount"`
	RequiredServiceAccountAnnotationKeys []string `json:"requiredServiceAccountAnnotationKeys,omitempty"`
	OptionalServiceAccountAnnotationKeys []string `json:"optionalServiceAccountAnnotationKeys,omitempty"`
}

// newConfig is a config of one provider, named providerName, at the given
// version (v1alpha1, v1beta1 or v1) for both the file and the exchange.
func newConfig(version string, matchImages []string, env map[string]string) credentialProviderConfig {
	p := credentialProvider{
		Name:                 providerName,
		MatchImages:          matchImages,
		DefaultCacheDuration: "12h",
		APIVersion:           "credentialprovider.kubelet.k8s.io/" + version,
		Args:                 []string{"get-credentials"},
	}
	for _, k := range sortedKeys(env) {
		p.Env = append(p.Env, envVar{k, env[k]})
	}
	return credentialProviderConfig{APIVersion: "kubelet.config.k8s.io/" + version, Kind: "CredentialProviderConfig", Providers: []credentialProvider{p}}
}

// runKubelet writes the config and a bin dir holding the binary under the
// provider's name, starts the stand-in kubelet with a bare environment
// (so nothing from the developer's or CI's environment reaches the
// binary: its AWS settings come only from the config's env, as on a
// node), and returns its report and its log.
func runKubelet(t *testing.T, cfg credentialProviderConfig, sc scenario) (kubeletResult, string) {
	t.Helper()
	dir := t.TempDir()
	sc.ConfigPath = filepath.Join(dir, "credential-provider-config.json")
	sc.BinDir = filepath.Join(dir, "bin")
	writeJSON(t, sc.ConfigPath, cfg)
	if err := os.Mkdir(sc.BinDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(providerBinary, filepath.Join(sc.BinDir, providerName)); err != nil {
		t.Fatal(err)
	}
	scPath := filepath.Join(dir, "scenario.json")
	writeJSON(t, scPath, sc)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, kubeletEnv + "=" + scPath}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("stand-in kubelet: %v\nlog:\n%s", err, stderr.String())
	}
	var res kubeletResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("stand-in kubelet report %q: %v", stdout.String(), err)
	}
	if res.RegisterError != "" {
		t.Fatalf("RegisterCredentialProviderPlugins: %s", res.RegisterError)
	}
	return res, stderr.String()
}

// writeJSON writes v to path.
func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantAuth checks that kubelet handed out exactly one credential for the
// pull, the one ECR gave.
func wantAuth(t *testing.T, p pull, password, log string) {
	t.Helper()
	want := []authPair{{"AWS", password}}
	if !p.Found || len(p.Auth) != 1 || p.Auth[0] != want[0] {
		t.Errorf("keyring.Lookup(%q) = %v, %v; want %v, true\nkubelet log:\n%s", p.Repo, p.Auth, p.Found, want, indent(log))
	}
}

// indent makes a child's log readable inside a test failure.
func indent(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
