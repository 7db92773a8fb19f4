package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// TestDeviceOutput: -o FILE --to FORMAT of a device write: none is nil
// (whose methods do nothing), one without the other and an unknown
// format are usage errors, a file that cannot take the token (or its
// serial, already there) says nothing was written, and the options are
// applied before the file is opened.
func TestDeviceOutput(t *testing.T) {
	tok := &seed.Token{Serial: "S1", Kind: seed.TOTP, Hash: seed.SHA1, Digits: 6, Period: 30, Manufacturer: "Token2", Model: "C202", Secret: []byte("12345678901234567890")}
	none := func(*Options) error { return nil }
	d, err := OpenDeviceOutput("", "", tok, none)
	if d != nil || err != nil || d.Take(tok) != nil {
		t.Fatalf("none: %v %v", d, err)
	}
	d.Close()
	var ue *UsageError
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	for _, c := range []struct{ path, format, want string }{
		{"", "duo", "--to duo without -o FILE"},
		{p, "", "-o " + p + ": give its format with --to (duo, entra, ...)"},
		{p, "nope", `--to "nope": unknown format "nope" (see tokenctl formats)`},
	} {
		if _, err := OpenDeviceOutput(c.path, c.format, tok, none); !errors.As(err, &ue) || err.Error() != c.want {
			t.Errorf("%q %q: %v, want usage error %q", c.path, c.format, err, c.want)
		}
	}
	applied := errors.New("applied")
	if _, err := OpenDeviceOutput(p, "duo-totp", tok, func(o *Options) error {
		if o.Manufacturer != "Token2" || o.Model != "C202" || o.Kind != seed.TOTP || o.Digits != 6 || o.Period != 30 {
			t.Errorf("options: %+v", o)
		}
		return applied
	}); err != applied {
		t.Fatalf("apply: %v", err)
	}
	bad := filepath.Join(dir, "no", "such", "dir.txt")
	if _, err := OpenDeviceOutput(bad, "duo-totp", tok, none); err == nil || !strings.HasSuffix(err.Error(), "; nothing was written to the token") || !strings.HasPrefix(err.Error(), "-o "+bad+" --to duo-totp: ") {
		t.Fatalf("bad dir: %v", err)
	}
	if err := os.WriteFile(p, []byte("S1,3132333435363738393031323334353637383930,30\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err = OpenDeviceOutput(p, "duo-totp", tok, none)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Take(tok); err == nil || !strings.HasPrefix(err.Error(), "-o "+p+" cannot take token S1: ") || !strings.HasSuffix(err.Error(), "; nothing was written to the token") {
		t.Fatalf("serial there: %v", err)
	}
}
