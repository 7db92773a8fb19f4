package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDetectFile: a file's format is told from its head, past which
// nothing is read; an unknown file wraps ErrUnknownFormat; a missing one
// is the open error; a directory is a read error; a head several
// formats claim is a *UsageError.
func TestDetectFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// an Entra file whose second row is far past the head: it is not read
	entra := write("entra.csv", "upn,serial number,secret key,time interval,manufacturer,model\n"+
		"a@example.com,1000,JBSWY3DPEHPK3PXP,30,Token2,C202\n"+strings.Repeat("x", 2*DetectHead))
	f, err := DetectFile(entra)
	if err != nil || f.Name != "entra" {
		t.Fatalf("entra: %v, %v", f, err)
	}
	if _, err := DetectFile(write("junk.txt", "hello there\n")); !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("junk: %v, want ErrUnknownFormat", err)
	}
	// duo-hotp and duo-totp lines look alike: only the user can say
	var ue *UsageError
	if _, err := DetectFile(write("duo.csv", "1000,3132333435363738393031323334353637383930,30\n")); !errors.As(err, &ue) || !strings.Contains(err.Error(), "duo-hotp or duo-totp") {
		t.Fatalf("ambiguous: %v, want a *UsageError naming both", err)
	}
	if _, err := DetectFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := DetectFile(dir); err == nil || errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("directory: %v, want a read error", err)
	}
}
