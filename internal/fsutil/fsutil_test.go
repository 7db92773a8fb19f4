package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "seeds.csv")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A failing fill leaves the old file as it was, and no temporary file.
	boom := errors.New("boom")
	err := WriteAtomic(p, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("file changed: %q", got)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("temporary files left: %v", es)
	}
	// A successful one replaces it, mode 0600 whatever the old mode.
	if err := WriteAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(got) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("%q mode %v", got, st.Mode())
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("temporary files left: %v", es)
	}
	// A directory that does not exist is an error that names the path.
	if err := WriteAtomic(filepath.Join(dir, "no", "x"), func(io.Writer) error { return nil }); err == nil || !strings.Contains(err.Error(), "x") {
		t.Fatalf("err = %v", err)
	}
}

func TestAppend(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "duo.csv")
	for _, rec := range []string{"a,1\n", "b,2\n"} {
		if err := Append(p, []byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(got) != "a,1\nb,2\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("%q mode %v", got, st.Mode())
	}
	// A file others can read is not extended with secrets.
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	err := Append(p, []byte("c,3\n"))
	if err == nil || !strings.Contains(err.Error(), "open to others") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "a,1\nb,2\n" {
		t.Fatalf("file changed: %q", got)
	}
}

func TestCheckAppendable(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.csv")
	if err := CheckAppendable(p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != 0 {
		t.Fatalf("created %v, %v", st, err)
	}
	open := filepath.Join(dir, "open.csv")
	os.WriteFile(open, []byte("x\n"), 0o600)
	os.Chmod(open, 0o640)
	if err := CheckAppendable(open); err == nil || !strings.Contains(err.Error(), "open to others") {
		t.Fatalf("group-readable file: %v", err)
	}
}
