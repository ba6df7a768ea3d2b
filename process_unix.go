//go:build !windows

package main

import (
	"context"
	"os/exec"
	"syscall"
)

// shellCommand runs a credential_process line as the SDK does on Unix,
// with `sh -c`, in a process group of its own so that a kill reaches
// everything it started.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// runGrouped runs cmd; whatever it left running in its group dies with it.
func runGrouped(cmd *exec.Cmd) error {
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return err
}
