package interop

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// helperName is the program clients run for "ecr-login" (SPEC §9).
const helperName = "docker-credential-ecr-login"

// helperDir is a directory holding only a symlink named
// docker-credential-ecr-login to the binary under test, as on PATH.
func helperDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(providerBinary, filepath.Join(dir, helperName)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// helperProgram is a client.Program running one command.
type helperProgram struct{ cmd *exec.Cmd }

func (p helperProgram) Output() ([]byte, error) { return p.cmd.Output() }
func (p helperProgram) Input(in io.Reader)      { p.cmd.Stdin = in }

// helperProgramFunc is what docker-credential-helpers' client runs for each
// action: the symlink in dir, with a bare environment plus env, its stderr
// kept for the secret check.
func helperProgramFunc(t *testing.T, dir string, env map[string]string, stderr *bytes.Buffer) client.ProgramFunc {
	return func(args ...string) client.Program {
		cmd := exec.Command(filepath.Join(dir, helperName), args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
		for _, k := range sortedKeys(env) {
			cmd.Env = append(cmd.Env, k+"="+env[k])
		}
		cmd.Stderr = stderr
		return helperProgram{cmd}
	}
}

// TestCredentialHelperClient drives the binary, as docker-credential-ecr-login,
// with docker-credential-helpers' own client: Get for private, FIPS and
// public registries, a host that is not ECR (the client must recognise
// the not-found answer) and a failure (an error that is not not-found,
// with no secret); List, Store and Erase as amazon-ecr-credential-helper
// answers them.
func TestCredentialHelperClient(t *testing.T) {
	dir := helperDir(t)
	tests := []struct {
		serverURL string
		want      awsCall // zero: no call (not found)
	}{
		{"123456789012.dkr.ecr.us-west-2.amazonaws.com", ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey)},
		{"https://123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/v2/", ecrCall("api.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1", "ecr", nodeKey)},
		{"public.ecr.aws", ecrCall("api.ecr-public.us-east-1.amazonaws.com", "us-east-1", "ecr-public", nodeKey)},
		{"https://index.docker.io/v1/", awsCall{}},
	}
	for _, tt := range tests {
		t.Run(tt.serverURL, func(t *testing.T) {
			w := newWorld(t, "pw-helper", nodeKey).withNodeKey()
			var stderr bytes.Buffer
			creds, err := client.Get(helperProgramFunc(t, dir, w.env, &stderr), tt.serverURL)
			if tt.want.Op == "" {
				if !credentials.IsErrCredentialsNotFound(err) {
					t.Errorf("client.Get(%q) = %+v, %v; want the not-found error", tt.serverURL, creds, err)
				}
				w.wantCalls()
				return
			}
			want := credentials.Credentials{ServerURL: tt.serverURL, Username: "AWS", Secret: "pw-helper"}
			if err != nil || *creds != want || stderr.Len() != 0 {
				t.Errorf("client.Get(%q) = %+v, %v (stderr %q); want %+v", tt.serverURL, creds, err, stderr.String(), want)
			}
			w.wantCalls(tt.want)
		})
	}
	t.Run("failure", func(t *testing.T) {
		w := newWorld(t, "pw-helper", nodeKey).withNodeKey()
		w.aws.ecrError = "AccessDeniedException"
		var stderr bytes.Buffer
		creds, err := client.Get(helperProgramFunc(t, dir, w.env, &stderr), "123456789012.dkr.ecr.us-west-2.amazonaws.com")
		if err == nil || credentials.IsErrCredentialsNotFound(err) || !strings.Contains(err.Error(), "AccessDeniedException") {
			t.Errorf("client.Get = %+v, %v; want an error naming AccessDeniedException", creds, err)
		}
		for _, secret := range []string{nodeKey.SecretAccessKey, nodeKey.SessionToken} {
			if err != nil && strings.Contains(err.Error()+stderr.String(), secret) {
				t.Errorf("a secret was printed: %v, stderr %q", err, stderr.String())
			}
		}
		w.wantCalls(ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey))
	})
	t.Run("list, store, erase", func(t *testing.T) {
		w := newWorld(t, "pw-helper", nodeKey).withNodeKey()
		var stderr bytes.Buffer
		program := helperProgramFunc(t, dir, w.env, &stderr)
		if list, err := client.List(program); err != nil || len(list) != 0 {
			t.Errorf("client.List = %v, %v; want an empty map", list, err)
		}
		stored := &credentials.Credentials{ServerURL: "public.ecr.aws", Username: "AWS", Secret: "x"}
		if err := client.Store(program, stored); err == nil || !strings.Contains(err.Error(), "not implemented") {
			t.Errorf("client.Store = %v, want not implemented", err)
		}
		if err := client.Erase(program, "public.ecr.aws"); err == nil || !strings.Contains(err.Error(), "not implemented") {
			t.Errorf("client.Erase = %v, want not implemented", err)
		}
		w.env["AWS_ECR_IGNORE_CREDS_STORAGE"] = "true"
		program = helperProgramFunc(t, dir, w.env, &stderr)
		if err := client.Store(program, stored); err != nil {
			t.Errorf("client.Store with AWS_ECR_IGNORE_CREDS_STORAGE=true = %v, want nil", err)
		}
		if err := client.Erase(program, "public.ecr.aws"); err != nil {
			t.Errorf("client.Erase with AWS_ECR_IGNORE_CREDS_STORAGE=true = %v, want nil", err)
		}
		w.wantCalls()
	})
}

// useKeychainEnv gives this process (go-containerregistry runs the helper
// with its own environment) the world's environment and nothing else that
// could steer the binary or the keychain, a DOCKER_CONFIG holding config,
// and PATH with the helper's symlink.
func useKeychainEnv(t *testing.T, w *world, config map[string]any) {
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "DOCKER_") || strings.HasSuffix(strings.ToUpper(k), "_PROXY") || k == "REGISTRY_AUTH_FILE" || k == "XDG_RUNTIME_DIR" {
			t.Setenv(k, "")
		}
	}
	for k, v := range w.env {
		t.Setenv(k, v)
	}
	configDir := t.TempDir()
	data, _ := json.Marshal(config)
	if err := os.WriteFile(filepath.Join(configDir, "config.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", configDir)
	t.Setenv("HOME", t.TempDir()) // no ~/.docker/config.json to find first
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("PATH", helperDir(t)+string(os.PathListSeparator)+"/usr/bin:/bin")
}

// TestCredentialHelperKeychain resolves images through go-containerregistry's
// authn.DefaultKeychain, which reads config.json and runs the helper found
// on PATH (crane, ko and others pull this way). With credHelpers the
// keychain asks for the registry host; with credsStore it asks for the
// repository first (a path after the host) and for Docker Hub by its
// https://index.docker.io/v1/ key, which must answer not-found so that the
// pull goes on anonymously.
func TestCredentialHelperKeychain(t *testing.T) {
	const (
		private = "123456789012.dkr.ecr.us-west-2.amazonaws.com"
		fips    = "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"
	)
	helpers := map[string]any{"credHelpers": map[string]string{private: "ecr-login", fips: "ecr-login", "public.ecr.aws": "ecr-login"}}
	store := map[string]any{"credsStore": "ecr-login"}
	tests := []struct {
		name   string
		config map[string]any
		image  string
		want   awsCall // zero: anonymous, no call
	}{
		{"credHelpers private", helpers, private + "/team/app:1.2.3", ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey)},
		{"credHelpers FIPS", helpers, fips + "/team/app", ecrCall("api.ecr-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1", "ecr", nodeKey)},
		{"credHelpers public", helpers, "public.ecr.aws/eks-distro/kubernetes/pause:3.10", ecrCall("api.ecr-public.us-east-1.amazonaws.com", "us-east-1", "ecr-public", nodeKey)},
		{"credHelpers other registry", helpers, "registry.example.com/app", awsCall{}},
		{"credsStore private", store, private + "/team/app", ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey)},
		{"credsStore public", store, "public.ecr.aws/team/app", ecrCall("api.ecr-public.us-east-1.amazonaws.com", "us-east-1", "ecr-public", nodeKey)},
		{"credsStore Docker Hub", store, "nginx:latest", awsCall{}},
		{"credsStore other registry", store, "ghcr.io/owner/app", awsCall{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, "pw-keychain", nodeKey).withNodeKey()
			useKeychainEnv(t, w, tt.config)
			auth := resolve(t, tt.image)
			if tt.want.Op == "" {
				if auth != authn.Anonymous {
					t.Errorf("DefaultKeychain.Resolve(%q) = %v, want Anonymous", tt.image, auth)
				}
				w.wantCalls()
				return
			}
			cfg, err := auth.Authorization()
			if err != nil || cfg.Username != "AWS" || cfg.Password != "pw-keychain" {
				t.Errorf("Authorization() = %+v, %v; want AWS and the password", cfg, err)
			}
			w.wantCalls(tt.want)
		})
	}
	t.Run("failure", func(t *testing.T) {
		w := newWorld(t, "pw-keychain", nodeKey).withNodeKey()
		w.aws.ecrError = "AccessDeniedException"
		useKeychainEnv(t, w, helpers)
		ref, _ := name.ParseReference(private + "/team/app")
		auth, err := authn.DefaultKeychain.Resolve(ref.Context())
		if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || strings.Contains(err.Error(), nodeKey.SecretAccessKey) {
			t.Errorf("DefaultKeychain.Resolve = %v, %v; want an error naming AccessDeniedException, without secrets", auth, err)
		}
		w.wantCalls(ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey))
	})
}

// resolve asks the default keychain for an image's repository, as a pull
// does, and fails the test on an error.
func resolve(t *testing.T, image string) authn.Authenticator {
	t.Helper()
	ref, err := name.ParseReference(image)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := authn.DefaultKeychain.Resolve(ref.Context())
	if err != nil {
		t.Fatalf("DefaultKeychain.Resolve(%q): %v", image, err)
	}
	return auth
}
