package testpeer

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()              {}
func (r *recorder) Skip(args ...any)     { r.skipped = args[0].(string) }
func (r *recorder) Fatal(args ...any)    { r.failed = args[0].(string) }
func (r *recorder) Skipf(string, ...any) {}

func TestMissingFailsUnderCI(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Missing(r, "ykman is not installed")
	if r.failed == "" || r.skipped != "" || !strings.Contains(r.failed, "ykman") {
		t.Fatalf("under CI=true: failed %q, skipped %q", r.failed, r.skipped)
	}
}

func TestMissingSkipsOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	Command(r, "no-such-program-tokenctl-test")
	if r.skipped == "" || r.failed != "" {
		t.Fatalf("outside CI: failed %q, skipped %q", r.failed, r.skipped)
	}
	r = &recorder{TB: t}
	Check(r, "python module", "false")
	if r.skipped == "" || r.failed != "" {
		t.Fatalf("failing probe outside CI: failed %q, skipped %q", r.failed, r.skipped)
	}
	r = &recorder{TB: t}
	if p := Command(r, "sh"); p == "" || r.skipped != "" || r.failed != "" {
		t.Fatalf("sh: %q, failed %q, skipped %q", p, r.failed, r.skipped)
	}
}
