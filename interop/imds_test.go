package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	aemm "github.com/aws/amazon-ec2-metadata-mock/pkg/cmd/root"
)

// metadataMock is Amazon's EC2 metadata mock, run in-process through its
// own command (the same code path as its CLI) with IMDSv2 required. Its
// router is package-global, so it starts once per test process.
var metadataMock = sync.OnceValues(startMetadataMock)

// roleCredentials is the IMDS security-credentials document (SPEC §6).
type roleCredentials struct {
	Code, Type, AccessKeyId, SecretAccessKey, Token, Expiration string
}

// startMetadataMock serves the mock on a free 127.0.0.1 port and returns
// its base URL once it answers. The mock's own defaults are kept except
// Expiration, which it ships in the past (2020): a real instance never
// serves credentials that expired years ago.
func startMetadataMock() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	dir, err := os.MkdirTemp("", "interop-aemm-")
	if err != nil {
		return "", err
	}
	cfg := filepath.Join(dir, "aemm-config.json")
	override := fmt.Sprintf(`{"metadata":{"values":{"iam-security-credentials":{"Expiration":%q}}}}`, time.Now().Add(6*time.Hour).UTC().Format(time.RFC3339))
	if err := os.WriteFile(cfg, []byte(override), 0o644); err != nil {
		return "", err
	}
	log.SetOutput(io.Discard) // the mock logs every request through the standard logger
	// It also prints its flags on stdout as it starts; keep them out of
	// the test output until it answers. No test runs meanwhile.
	stdout := os.Stdout
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stdout = null
		defer func() { os.Stdout = stdout; null.Close() }()
	}
	cmd := aemm.NewCmd()
	cmd.SetArgs([]string{"--hostname", "127.0.0.1", "--port", port, "--imdsv2", "--config-file", cfg})
	cmd.SetOut(io.Discard)
	go cmd.Execute()
	base := "http://127.0.0.1:" + port
	for range 100 {
		if _, err := imdsToken(base); err == nil {
			return base, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("EC2 metadata mock did not answer on %s", base)
}

// imdsToken fetches an IMDSv2 session token.
func imdsToken(base string) (string, error) {
	req, _ := http.NewRequest(http.MethodPut, base+"/latest/api/token", nil)
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	body, status, err := do(req)
	if err != nil || status != 200 {
		return "", fmt.Errorf("PUT token: %d %v", status, err)
	}
	return body, nil
}

// imdsGet reads one metadata path with a token ("" for none, IMDSv1).
func imdsGet(base, path, token string) (string, int, error) {
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("X-aws-ec2-metadata-token", token)
	}
	return do(req)
}

// mockRoleCredentials asks the mock, as a client would, which role
// credentials it serves.
func mockRoleCredentials(base string) (roleCredentials, error) {
	var rc roleCredentials
	token, err := imdsToken(base)
	if err != nil {
		return rc, err
	}
	role, _, err := imdsGet(base, "/latest/meta-data/iam/security-credentials/", token)
	if err != nil {
		return rc, err
	}
	doc, _, err := imdsGet(base, "/latest/meta-data/iam/security-credentials/"+strings.TrimSpace(role), token)
	if err != nil {
		return rc, err
	}
	err = json.Unmarshal([]byte(doc), &rc)
	return rc, err
}

// do sends a request to the loopback mock and reads a bounded body.
func do(req *http.Request) (string, int, error) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return string(b), resp.StatusCode, err
}
