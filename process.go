package main

// A profile's credential_process (SPEC §5.3), following aws-sdk-go-v2
// credentials/processcreds except where noted.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

const (
	// processTimeout bounds a credential_process run. The SDK allows a
	// minute, but kubelet kills the whole plugin after one, and the run
	// still needs time for ECR afterwards.
	processTimeout = 10 * time.Second

	// processWaitDelay is how long to wait, after killing a
	// credential_process, for a descendant that escaped the kill to
	// release stdout and stderr.
	processWaitDelay = time.Second

	// maxProcessOutputBytes bounds what a credential_process may print on
	// stdout; more is an error and the process is killed.
	maxProcessOutputBytes = 64 << 10

	// maxProcessStderrBytes is how much of a credential_process's stderr
	// reaches ours; the rest is dropped.
	maxProcessStderrBytes = 64 << 10
)

// processCredentials runs a profile's credential_process and reads its
// stdout (SPEC §5.3). As in the SDK on Unix the command goes to `sh -c`
// and inherits our whole environment (kubelet's plus the provider
// config's env). Its stdin is empty: ours held kubelet's request, and no
// one is there to answer a prompt. Its stderr passes through to ours, up
// to maxProcessStderrBytes; its stdout is never printed or quoted. It may
// run for processTimeout, or less if ctx ends first.
func processCredentials(ctx context.Context, command string, stderr io.Writer, now func() time.Time) (credentials, error) {
	if strings.TrimSpace(command) == "" {
		return credentials{}, errors.New("credential_process is empty")
	}
	out, err := runCredentialProcess(ctx, command, stderr, processTimeout)
	if err != nil {
		return credentials{}, err
	}
	creds, err := parseProcessOutput(out, now())
	if err != nil {
		return credentials{}, fmt.Errorf("credential_process output: %w", err)
	}
	return creds, nil
}

// runCredentialProcess runs command for at most timeout and returns its
// stdout. The process gets its own process group (a job object on
// Windows), and a kill (timeout, ctx, too much output) or its end kills
// the whole group, so that nothing it started outlives the run.
func runCredentialProcess(ctx context.Context, command string, stderr io.Writer, timeout time.Duration) ([]byte, error) {
	procCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := shellCommand(procCtx, command)
	cmd.WaitDelay = processWaitDelay
	stdout := &limitedBuffer{max: maxProcessOutputBytes, overflow: cancel}
	cmd.Stdout = stdout
	if stderr == nil {
		stderr = io.Discard
	}
	cmd.Stderr = &cappedWriter{w: stderr, left: maxProcessStderrBytes}
	err := runGrouped(cmd)
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState.Success() {
		err = nil // it succeeded; a child it left behind held the pipes open
	}
	switch {
	case stdout.over:
		return nil, fmt.Errorf("credential_process printed more than %d bytes on stdout: killed", maxProcessOutputBytes)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("credential_process stopped: the run's deadline passed (%v)", ctx.Err())
	case procCtx.Err() != nil:
		return nil, fmt.Errorf("credential_process did not finish within %v: killed", timeout)
	case err != nil:
		return nil, processError(err)
	}
	return stdout.buf.Bytes(), nil
}

// processError explains a credential_process that failed on its own.
func processError(err error) error {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("credential_process could not run: %v", err)
	}
	switch exit.ExitCode() {
	case 126:
		return fmt.Errorf("credential_process failed: %v (the command was found but could not be executed)", exit)
	case 127:
		return fmt.Errorf("credential_process failed: %v (command not found; see the shell's message above)", exit)
	}
	return fmt.Errorf("credential_process failed: %v", exit)
}

// parseProcessOutput reads credential_process output (SPEC §5):
// {"Version":1,"AccessKeyId","SecretAccessKey","SessionToken","Expiration"},
// the last two optional. Version must be 1, as in processcreds.
// Credentials already expired at now are refused.
func parseProcessOutput(out []byte, now time.Time) (credentials, error) {
	var doc struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      *string
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return credentials{}, fmt.Errorf("credentials are %s", describeJSONError(err))
	}
	if doc.Version != 1 {
		return credentials{}, fmt.Errorf("credentials have Version %d, want 1", doc.Version)
	}
	c := credentials{AccessKeyID: doc.AccessKeyID, SecretAccessKey: doc.SecretAccessKey, SessionToken: doc.SessionToken}
	return finishCredentials(c, doc.Expiration, now)
}

// limitedBuffer keeps up to max bytes; a write beyond that sets over and
// calls overflow (which kills the process) instead of growing.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	over     bool
	overflow func()
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.over || b.buf.Len()+len(p) > b.max {
		b.over = true
		b.overflow()
		return 0, errors.New("output too large")
	}
	return b.buf.Write(p)
}

// cappedWriter passes the first left bytes to w and drops the rest,
// reporting success so that the writer is never stopped by a broken pipe.
type cappedWriter struct {
	w    io.Writer
	left int
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	if n := min(len(p), c.left); n > 0 {
		c.left -= n
		c.w.Write(p[:n])
	}
	return len(p), nil
}
