package main

import (
	"context"
	"os/exec"
	"syscall"
)

// Windows has no process groups to kill; a job object holds the command
// and everything it starts, and terminating the job ends them all.
var (
	kernel32                 = syscall.NewLazyDLL("kernel32.dll")
	createJobObject          = kernel32.NewProc("CreateJobObjectW")
	assignProcessToJobObject = kernel32.NewProc("AssignProcessToJobObject")
	terminateJobObject       = kernel32.NewProc("TerminateJobObject")
)

// processSetQuota is PROCESS_SET_QUOTA, which AssignProcessToJobObject
// needs with PROCESS_TERMINATE; package syscall does not name it.
const processSetQuota = 0x0100

// shellCommand runs a credential_process line as the SDK does on
// Windows, with `cmd.exe /C`.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	return exec.CommandContext(ctx, "cmd.exe", "/C", command)
}

// runGrouped runs cmd inside a job object and terminates the job when
// cmd ends or is cancelled, so that nothing it started outlives the run.
// A child started before the assignment, in the first instant, escapes.
func runGrouped(cmd *exec.Cmd) error {
	job, _, err := createJobObject.Call(0, 0)
	if job == 0 {
		return err
	}
	defer syscall.CloseHandle(syscall.Handle(job))
	terminate := func() { terminateJobObject.Call(job, 1) }
	cmd.Cancel = func() error { terminate(); return cmd.Process.Kill() }
	if err := cmd.Start(); err != nil {
		return err
	}
	if h, err := syscall.OpenProcess(processSetQuota|syscall.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid)); err == nil {
		assignProcessToJobObject.Call(job, uintptr(h))
		syscall.CloseHandle(h)
	}
	err = cmd.Wait()
	terminate()
	return err
}
