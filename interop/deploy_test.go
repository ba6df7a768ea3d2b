package interop

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/kubernetes/pkg/credentialprovider"
)

// The kubelet files of ../deploy, read by kubelet's own code: each one
// alone in a configuration directory (kubelet 1.34's drop-in form)
// registers; two together are refused, as deploy/README.md warns; their
// globs, matched by kubelet's URLsMatchStr, cover one image of every
// registry host form and no glob is dead; and the binary serves every one
// of those images.

// deployImages holds one image of each registry host form.
var deployImages = []string{
	"123456789012.dkr.ecr.us-west-2.amazonaws.com/app",
	"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app",
	"123456789012.dkr-ecr.us-west-2.on.aws/app",
	"123456789012.dkr-ecr-fips.us-east-1.on.aws/app",
	"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
	"123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn/app",
	"123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu/app",
	"123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/app",
	"123456789012.dkr.ecr-fips.us-iso-east-1.c2s.ic.gov/app",
	"123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/app",
	"123456789012.dkr.ecr-fips.us-isob-east-1.sc2s.sgov.gov/app",
	"123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk/app",
	"123456789012.dkr.ecr-fips.eu-isoe-west-1.cloud.adc-e.uk/app",
	"123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov/app",
	"123456789012.dkr.ecr-fips.us-isof-south-1.csp.hci.ic.gov/app",
	"123456789012.dkr-ecr.eusc-de-east-1.on.amazonwebservices.eu/app",
	"123456789012.dkr-ecr.us-iso-east-1.on.aws.ic.gov/app",
	"123456789012.dkr-ecr.us-isob-east-1.on.aws.scloud/app",
	"123456789012.dkr-ecr.eu-isoe-west-1.on.cloud-aws.adc-e.uk/app",
	"123456789012.dkr-ecr.us-isof-south-1.on.aws.hci.ic.gov/app",
	"public.ecr.aws/docker/library/busybox",
	"ecr-public.aws.com/docker/library/busybox",
}

func TestDeployConfigsRegister(t *testing.T) {
	files, _ := filepath.Glob("../deploy/kubelet/*")
	if len(files) != 3 {
		t.Fatalf("../deploy/kubelet holds %v, want the YAML, JSON and per-pod files", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := registerConfigDir(t, f); err != "" {
				t.Errorf("kubelet refuses %s: %s", f, err)
			}
		})
	}
	if err := registerConfigDir(t, files...); !strings.Contains(err, "duplicate provider name") {
		t.Errorf("kubelet with all of %v: %q, want a duplicate provider name refused", files, err)
	}
}

// registerConfigDir starts the stand-in kubelet with the files copied
// into one configuration directory and returns its registration error.
func registerConfigDir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	sc := scenario{ConfigPath: filepath.Join(dir, "config.d"), BinDir: filepath.Join(dir, "bin")}
	for _, d := range []string{sc.ConfigPath, sc.BinDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sc.ConfigPath, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(providerBinary, filepath.Join(sc.BinDir, providerName)); err != nil {
		t.Fatal(err)
	}
	scPath := filepath.Join(dir, "scenario.json")
	writeJSON(t, scPath, sc)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
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
	return res.RegisterError
}

func TestDeployGlobs(t *testing.T) {
	var cfg credentialProviderConfig
	data, err := os.ReadFile("../deploy/kubelet/ecr-credential-provider.json")
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil || len(cfg.Providers) != 1 {
		t.Fatalf("ecr-credential-provider.json: %v, %d providers", err, len(cfg.Providers))
	}
	globs := cfg.Providers[0].MatchImages
	for _, f := range []string{"ecr-credential-provider.yaml", "ecr-credential-provider-per-pod.yaml"} {
		if got := yamlGlobs(t, "../deploy/kubelet/"+f); !slices.Equal(got, globs) {
			t.Errorf("%s matchImages %q, want the JSON file's %q", f, got, globs)
		}
	}
	used := map[string]bool{}
	for _, image := range deployImages {
		matched := false
		for _, g := range globs {
			if ok, _ := credentialprovider.URLsMatchStr(g, image); ok {
				matched, used[g] = true, true
			}
		}
		if !matched {
			t.Errorf("no glob of deploy/kubelet matches %s", image)
		}
	}
	for _, g := range globs {
		if !used[g] {
			t.Errorf("glob %q matches none of %q", g, deployImages)
		}
	}
}

// yamlGlobs reads the quoted matchImages entries of a deploy YAML file.
func yamlGlobs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var globs []string
	for _, m := range regexp.MustCompile(`(?m)^      - "([^"]+)"`).FindAllStringSubmatch(string(data), -1) {
		globs = append(globs, m[1])
	}
	return globs
}

// TestDeployImagesServed runs the binary, without credentials, on each
// image the globs cover: it must get as far as looking for credentials,
// never refuse the registry.
func TestDeployImagesServed(t *testing.T) {
	for _, image := range deployImages {
		cmd := exec.Command(providerBinary, "get-credentials")
		cmd.Env = []string{"HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
		cmd.Stdin = strings.NewReader(`{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"` + image + `"}`)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "no AWS credentials found") {
			t.Errorf("%s: %q, want the registry served (and no credentials found)", image, out)
		}
	}
}
