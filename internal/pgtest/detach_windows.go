package pgtest

import "os/exec"

// detach does nothing on Windows, where the tests do not start a cluster.
func detach(*exec.Cmd) {}
