package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCommitAllOrNothing: when the second of three renames fails, the first
// file is put back as it was (an existing file restored, a new one
// removed), the third is never touched, and no temporary or backup file is
// left; when none fails, all three are in place.
func TestCommitAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "totp6.csv"), filepath.Join(dir, "hotp6.csv"), filepath.Join(dir, "rejects.csv")
	os.WriteFile(a, []byte("old a"), 0o600)
	os.WriteFile(b, []byte("old b"), 0o600)
	stage := func() []*Pending {
		var ps []*Pending
		for _, p := range []string{a, b, c} {
			pd, err := CreatePending(p)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(pd, "new "+filepath.Base(p))
			ps = append(ps, pd)
		}
		return ps
	}
	calls := 0
	replace = func(from, to string) error {
		calls++
		if calls == 2 {
			return errors.New("injected: the file is open in another program")
		}
		return replaceFile(from, to)
	}
	defer func() { replace = replaceFile }()
	if err := CommitAll(stage()); err == nil {
		t.Fatal("a failed rename reported success")
	}
	for p, want := range map[string]string{a: "old a", b: "old b"} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s: %q, want %q", filepath.Base(p), got, want)
		}
	}
	if _, err := os.Stat(c); !os.IsNotExist(err) {
		t.Errorf("rejects.csv written: %v", err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Errorf("left behind: %v", es)
	}
	replace = replaceFile
	if err := CommitAll(stage()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a, b, c} {
		if got, _ := os.ReadFile(p); string(got) != "new "+filepath.Base(p) {
			t.Errorf("%s: %q", filepath.Base(p), got)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 3 {
		t.Errorf("left behind: %v", es)
	}
}
