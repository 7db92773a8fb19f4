// Package testpeer holds the project's one rule for tests that need a real
// peer (ykman, oathtool, python-pskc, pskc-utils, pcscd) or a shared
// fixture: when it is missing the test is skipped, except under CI=true,
// where its absence is a failure, so that a CI run can never pass by
// skipping what it was meant to check.
package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// Missing skips the test, or fails it under CI=true, saying why.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (required under CI=true; make deps)")
		return
	}
	t.Skip(why)
}

// Command returns the path of the named program, or calls Missing.
func Command(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" is not installed")
	}
	return p
}

// Check runs a probe command (such as python3 -c "import pskc") and calls
// Missing when it fails.
func Check(t testing.TB, what string, probe ...string) {
	t.Helper()
	if err := exec.Command(probe[0], probe[1:]...).Run(); err != nil {
		Missing(t, what+" is not available: "+err.Error())
	}
}
