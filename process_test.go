package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeScript writes an executable shell script into a temporary
// directory and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "credential-process.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

// processJSON is credential_process output carrying the sentinels.
func processJSON(version int, expiration string) string {
	return fmt.Sprintf(`{"Version":%d,"AccessKeyId":%q,"SecretAccessKey":%q,"SessionToken":%q,"Expiration":%q}`,
		version, testAccessKey, testSecretKey, testSessionToken, expiration)
}

func TestProcessCredentials(t *testing.T) {
	later := fixedNow().Add(time.Hour).Format(time.RFC3339)
	echo := func(s string) string { return "cat <<'EOF'\n" + s + "\nEOF" }
	for _, tt := range []struct {
		name       string
		script     string
		wantErr    string // "" for success
		wantStderr string
	}{
		{"success", echo(processJSON(1, later)), "", ""},
		{"success with stderr", "echo 'fetching from the vault' >&2\n" + echo(processJSON(1, later)), "", "fetching from the vault\n"},
		{"no expiry or token", echo(fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SecretAccessKey":%q,"SessionToken":%q}`, testAccessKey, testSecretKey, testSessionToken)), "", ""},
		{"version 2", echo(processJSON(2, later)), "Version 2, want 1", ""},
		{"no version", echo(fmt.Sprintf(`{"AccessKeyId":%q,"SecretAccessKey":%q}`, testAccessKey, testSecretKey)), "Version 0, want 1", ""},
		{"version as string", echo(fmt.Sprintf(`{"Version":"1","AccessKeyId":%q,"SecretAccessKey":%q}`, testAccessKey, testSecretKey)), "field Version", ""},
		{"missing secret key", echo(fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SessionToken":%q}`, testAccessKey, testSessionToken)), "no SecretAccessKey", ""},
		{"missing access key", echo(fmt.Sprintf(`{"Version":1,"SecretAccessKey":%q}`, testSecretKey)), "no AccessKeyId", ""},
		{"not JSON", "echo 'AccessKeyId=" + testAccessKey + " SecretAccessKey=" + testSecretKey + "'", "not valid JSON", ""},
		{"empty output", "true", "not valid JSON", ""},
		{"expired", echo(processJSON(1, fixedNow().Add(-time.Second).Format(time.RFC3339))), "expired at", ""},
		{"exit 3", "echo 'no session: run aws sso login' >&2\n" + echo(processJSON(1, later)) + "\nexit 3", "exit status 3", "no session: run aws sso login\n"},
		{"huge stdout", "while :; do echo '" + testSecretKey + "'; done", "more than 65536 bytes on stdout", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			creds, err := processCredentials(context.Background(), writeScript(t, tt.script), &stderr, fixedNow)
			if got := stderr.String(); got != tt.wantStderr {
				t.Errorf("stderr %q, want %q", got, tt.wantStderr)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("processCredentials(%s) = %v, want an error containing %q", tt.name, err, tt.wantErr)
				}
				assertNoSentinel(t, err)
				checkErrorText(t, err)
				return
			}
			if err != nil {
				t.Fatalf("processCredentials(%s): %v", tt.name, err)
			}
			if creds.AccessKeyID != testAccessKey || creds.SecretAccessKey != testSecretKey || creds.SessionToken != testSessionToken {
				t.Errorf("processCredentials(%s) = %+v, want the sentinels", tt.name, creds)
			}
		})
	}
}

func TestProcessCredentialsCommandLine(t *testing.T) {
	// The command is a shell command line, as the SDK runs it on Unix:
	// arguments, quoting and pipes work.
	script := writeScript(t, `printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}' "$1" "$2"`)
	creds, err := processCredentials(context.Background(), script+" 'AK ID' SK | cat", nil, fixedNow)
	if err != nil || creds.AccessKeyID != "AK ID" || creds.SecretAccessKey != "SK" {
		t.Fatalf("processCredentials with arguments and a pipe = %+v, %v", creds, err)
	}
}

func TestProcessCredentialsEnvironment(t *testing.T) {
	t.Setenv("CREDSOURCES_TEST_ACCESS_KEY", "AK-FROM-ENV")
	script := writeScript(t, `printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"SK"}' "$CREDSOURCES_TEST_ACCESS_KEY"`)
	creds, err := processCredentials(context.Background(), script, nil, fixedNow)
	if err != nil || creds.AccessKeyID != "AK-FROM-ENV" {
		t.Fatalf("processCredentials did not pass the environment: %+v, %v", creds, err)
	}
}

func TestProcessCredentialsStdinIsEmpty(t *testing.T) {
	script := writeScript(t, `input=$(cat); printf '{"Version":1,"AccessKeyId":"AK%s","SecretAccessKey":"SK"}' "$input"`)
	creds, err := processCredentials(context.Background(), script, nil, fixedNow)
	if err != nil || creds.AccessKeyID != "AK" {
		t.Fatalf("processCredentials with a process reading stdin = %+v, %v", creds, err)
	}
}

func TestProcessCredentialsStderrBounded(t *testing.T) {
	script := writeScript(t, `head -c 200000 /dev/zero | tr '\0' e >&2
echo '{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK"}'`)
	var stderr bytes.Buffer
	if _, err := processCredentials(context.Background(), script, &stderr, fixedNow); err != nil {
		t.Fatalf("processCredentials with a chatty stderr: %v", err)
	}
	if stderr.Len() != maxProcessStderrBytes {
		t.Errorf("%d bytes of stderr passed through, want %d", stderr.Len(), maxProcessStderrBytes)
	}
}

func TestProcessCredentialsNotFound(t *testing.T) {
	for _, tt := range []struct{ command, want string }{
		{filepath.Join(t.TempDir(), "no-such-helper"), "exit status 127 (command not found"},
		{"no-such-credential-helper-anywhere --profile x", "exit status 127 (command not found"},
		{"", "credential_process is empty"},
		{"  ", "credential_process is empty"},
	} {
		var stderr bytes.Buffer
		_, err := processCredentials(context.Background(), tt.command, &stderr, fixedNow)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("processCredentials(%q) = %v, want an error containing %q", tt.command, err, tt.want)
		}
	}
	notExec := filepath.Join(t.TempDir(), "not-executable")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600)
	_, err := processCredentials(context.Background(), notExec, nil, fixedNow)
	if err == nil || !strings.Contains(err.Error(), "exit status 126") {
		t.Errorf("processCredentials(%q) = %v, want exit status 126", notExec, err)
	}
}

func TestProcessCredentialsTimeout(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// A pipeline: sh forks both sides, so only a process-group kill stops
	// the sleep, which would otherwise hold stdout open.
	script := writeScript(t, "sleep 30 | cat &\necho $! > "+pidFile+"\nwait")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := processCredentials(ctx, script, nil, fixedNow)
	if err == nil || !strings.Contains(err.Error(), "deadline passed") {
		t.Fatalf("processCredentials of a sleeping process = %v, want the deadline error", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("a sleeping credential_process was stopped after %v, want well under 2s", elapsed)
	}
	pid, err := readPID(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if !processGone(pid, 2*time.Second) {
		t.Errorf("process %d started by the credential_process survived the kill", pid)
	}
}

// TestProcessCredentialsLeftoverChild: a credential_process that answers
// and exits but leaves a child holding stdout still succeeds, and the
// child does not outlive the run.
func TestProcessCredentialsLeftoverChild(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	script := writeScript(t, "sleep 30 &\necho $! > "+pidFile+"\necho '"+fmt.Sprintf(`{"Version":1,"AccessKeyId":%q,"SecretAccessKey":%q}`, testAccessKey, testSecretKey)+"'")
	creds, err := processCredentials(context.Background(), script, nil, fixedNow)
	if err != nil || creds.AccessKeyID != testAccessKey {
		t.Fatalf("processCredentials = %v, %v; want the printed credentials", creds.AccessKeyID, err)
	}
	pid, err := readPID(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	if !processGone(pid, 2*time.Second) {
		t.Errorf("process %d started by the credential_process outlived the run", pid)
	}
}

// readPID reads a process ID the test script wrote.
func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// processGone waits up to d for pid to exit; a zombie counts as gone.
func processGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return true
		}
	}
	return false
}

func TestParseProcessOutput(t *testing.T) {
	for _, tt := range []struct {
		out     string
		want    credentials
		wantErr string
	}{
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"T","Expiration":"2025-06-01T13:00:00Z"}`,
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK", SessionToken: "T", Expires: fixedNow().Add(time.Hour)}, ""},
		{"{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\",\"AccountId\":\"123456789012\"}\n",
			credentials{AccessKeyID: "AK", SecretAccessKey: "SK"}, ""},
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01T11:00:00Z"}`, credentials{}, "expired"},
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","Expiration":"2025-06-01 13:00:00"}`, credentials{}, "RFC 3339"},
		{`{"Version":1.0,"AccessKeyId":"AK","SecretAccessKey":"SK"}`, credentials{}, "field Version"},
		{`{"Version":0,"AccessKeyId":"AK","SecretAccessKey":"SK"}`, credentials{}, "Version 0"},
		{`{"Version":1}`, credentials{}, "no AccessKeyId"},
		{`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":""}`, credentials{}, "no SecretAccessKey"},
		{`Version: 1`, credentials{}, "not valid JSON"},
	} {
		got, err := parseProcessOutput([]byte(tt.out), fixedNow())
		if tt.wantErr == "" {
			if err != nil || !sameCredentials(got, tt.want) {
				t.Errorf("parseProcessOutput(%q) = %+v, %v, want %+v", tt.out, got, err, tt.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseProcessOutput(%q) = %+v, %v, want an error containing %q", tt.out, got, err, tt.wantErr)
		}
	}
}

func FuzzParseProcessOutput(f *testing.F) {
	f.Add([]byte(processJSON(1, "2025-06-01T13:00:00Z")))
	f.Add([]byte(`{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK"}`))
	f.Add([]byte(`{"Version":2}`))
	f.Fuzz(func(t *testing.T, out []byte) {
		c, err := parseProcessOutput(out, fixedNow())
		checkParsedCredentials(t, out, c, err)
	})
}

func TestRunCredentialProcessTimeout(t *testing.T) {
	start := time.Now()
	_, err := runCredentialProcess(context.Background(), "sleep 30", nil, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not finish within 200ms: killed") {
		t.Fatalf("runCredentialProcess(sleep 30) = %v, want the timeout error", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("a sleeping credential_process was stopped after %v, want about 200ms", elapsed)
	}
}
