package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	credentialproviderv1 "k8s.io/kubelet/pkg/apis/credentialprovider/v1"
)

// runBinary runs the binary once the way kubelet's execPlugin does (args,
// a bare environment plus env, the request on stdin) and returns stdout,
// stderr and the exit code.
func runBinary(t *testing.T, env map[string]string, request string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, providerBinary, "get-credentials")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	for _, k := range sortedKeys(env) {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	cmd.Stdin = strings.NewReader(request)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatalf("run %s: %v", providerBinary, err)
	return "", "", -1
}

// TestResponseContract reads what kubelet's cache relies on but does not
// expose through its keyring: for each protocol version the response has
// the request's apiVersion, cacheKeyType Registry, a cacheDuration of half
// the token's 12-hour life as a Go duration string, and one auth entry
// keyed by the registry host (SPEC §1, §3). It decodes strictly into
// kubelet's own v1 type, since kubelet rejects unknown fields.
func TestResponseContract(t *testing.T) {
	const image = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app"
	for _, version := range []string{"v1alpha1", "v1beta1", "v1"} {
		t.Run(version, func(t *testing.T) {
			w := newWorld(t, "pw-contract", nodeKey).withNodeKey()
			apiVersion := "credentialprovider.kubelet.k8s.io/" + version
			stdout, stderr, code := runBinary(t, w.env, `{"kind":"CredentialProviderRequest","apiVersion":"`+apiVersion+`","image":"`+image+`"}`+"\n")
			if code != 0 {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.DisallowUnknownFields()
			var resp credentialproviderv1.CredentialProviderResponse
			if err := dec.Decode(&resp); err != nil || dec.More() {
				t.Fatalf("stdout %q: strict decode: %v (more: %v)", stdout, err, dec.More())
			}
			if resp.Kind != "CredentialProviderResponse" || resp.APIVersion != apiVersion || resp.CacheKeyType != "Registry" {
				t.Errorf("kind, apiVersion, cacheKeyType = %q, %q, %q; want CredentialProviderResponse, %q, Registry", resp.Kind, resp.APIVersion, resp.CacheKeyType, apiVersion)
			}
			if d := resp.CacheDuration; d == nil || d.Duration > 6*time.Hour || d.Duration < 6*time.Hour-2*time.Minute {
				t.Errorf("cacheDuration = %v, want about 6h (half of 12h)", d)
			}
			want := credentialproviderv1.AuthConfig{Username: "AWS", Password: "pw-contract"}
			if got, ok := resp.Auth["123456789012.dkr.ecr.us-west-2.amazonaws.com"]; !ok || len(resp.Auth) != 1 || got != want {
				t.Errorf("auth = %+v, want only the registry host with %+v", resp.Auth, want)
			}
			w.wantCalls(ecrCall("api.ecr.us-west-2.amazonaws.com", "us-west-2", "ecr", nodeKey))
		})
	}
}

// TestFailureContract: on failure the binary exits 1 with nothing on
// stdout and one line on stderr that holds no secret (SPEC §1; the
// style's rule 8).
func TestFailureContract(t *testing.T) {
	w := newWorld(t, "pw-unused", nodeKey).withNodeKey()
	w.aws.ecrError = "AccessDeniedException"
	stdout, stderr, code := runBinary(t, w.env, `{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"123456789012.dkr.ecr.us-west-2.amazonaws.com/team/app"}`+"\n")
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	if line, ok := strings.CutSuffix(stderr, "\n"); !ok || line == "" || strings.Contains(line, "\n") {
		t.Errorf("stderr %q, want exactly one line", stderr)
	}
	for _, secret := range []string{nodeKey.SecretAccessKey, nodeKey.SessionToken} {
		if strings.Contains(stderr, secret) {
			t.Errorf("stderr %q contains a secret", stderr)
		}
	}
}
