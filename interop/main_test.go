package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// providerBinary is the absolute path of the binary under test, set once
// by TestMain before any test runs and never changed after.
var providerBinary string

// TestMain either acts as the stand-in kubelet (when re-executed by
// runKubelet) or finds the binary under test: $ECR_CREDENTIAL_PROVIDER,
// else a fresh build of the module in the parent directory.
func TestMain(m *testing.M) {
	if path := os.Getenv(kubeletEnv); path != "" {
		os.Exit(actAsKubelet(path))
	}
	bin, cleanup, err := findBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	providerBinary = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// findBinary returns the binary named by $ECR_CREDENTIAL_PROVIDER or
// builds one from "..".
func findBinary() (string, func(), error) {
	if bin := os.Getenv("ECR_CREDENTIAL_PROVIDER"); bin != "" {
		if !filepath.IsAbs(bin) {
			return "", nil, fmt.Errorf("ECR_CREDENTIAL_PROVIDER=%q is not an absolute path", bin)
		}
		if _, err := os.Stat(bin); err != nil {
			return "", nil, fmt.Errorf("ECR_CREDENTIAL_PROVIDER: %w", err)
		}
		return bin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "interop-bin-")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, providerName)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = ".."
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build in ..: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// sortedKeys gives map keys in a stable order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
