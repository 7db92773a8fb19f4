package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPending(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(b, []byte("old"), 0o600)
	pa, err := CreatePending(a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := CreatePending(b)
	if err != nil {
		t.Fatal(err)
	}
	pa.WriteString("new a")
	pb.WriteString("new b")
	pb.Abort()
	if err := pa.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(a)
	old, _ := os.ReadFile(b)
	st, _ := os.Stat(a)
	if string(got) != "new a" || string(old) != "old" || st.Mode().Perm() != 0o600 {
		t.Fatalf("a=%q b=%q mode %v", got, old, st.Mode())
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Fatalf("temporary files left: %v", es)
	}
}
