package batch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type answers []string

func (a *answers) Ask(context.Context, string) (string, error) {
	s := (*a)[0]
	*a = (*a)[1:]
	return s, nil
}

// TestKeySerials: a list file gives its non-blank lines in order, then
// refuses; no file asks the operator (answers trimmed); a missing file
// is an error at once.
func TestKeySerials(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "box.txt")
	if err := os.WriteFile(path, []byte("K1\n\n K2 \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	next, err := KeySerials(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"K1", "K2"} {
		if got, err := next(ctx); got != want || err != nil {
			t.Fatalf("%q %v, want %s", got, err, want)
		}
	}
	if _, err := next(ctx); err == nil || !strings.Contains(err.Error(), "all 2 serials used") {
		t.Fatalf("past the end: %v", err)
	}
	a := answers{" T2F2-9 \n"}
	if next, err = KeySerials("", &a); err != nil {
		t.Fatal(err)
	}
	if got, err := next(ctx); got != "T2F2-9" || err != nil {
		t.Fatalf("asked: %q %v", got, err)
	}
	if _, err := KeySerials(filepath.Join(t.TempDir(), "missing"), nil); err == nil {
		t.Fatal("missing file: no error")
	}
}
