//go:build unix

package app

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in its own process group and stops the whole group
// (a browser's helper processes too) when its context ends.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
}
