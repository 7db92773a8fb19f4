package main

import (
	"bytes"
	"testing"
)

// runCLI runs tokenctl in process and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUnknownFlagIsUsage(t *testing.T) {
	code, _, _ := runCLI(t, "--no-such-flag")
	if code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
}
