package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

const findHex = "3132333435363738393031323334353637383930"

// FindSerial is the one lookup by serial: other rows' problems do not
// matter, the token's own do, a duplicate is refused with file and lines.
func TestFindSerial(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seeds.csv")
	body := strings.Join([]string{"A1," + findHex, "BAD,not-hex", "D1," + findHex, "A2,ABCDEF0123456789ABCD", "D1," + findHex, "E1,zz"}, "\n") + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	o := &Options{Kind: seed.TOTP}
	tok, err := FindSerial(path, "hex", o, "A2")
	if err != nil || tok.Serial != "A2" || seed.EncodeHex(tok.Secret) != "ABCDEF0123456789ABCD" {
		t.Fatalf("A2: %v, %v", tok, err)
	}
	tok, err = FindSerial(path, "", o, "A1") // hex is detected
	if err != nil || tok.Kind != seed.TOTP || seed.EncodeHex(tok.Secret) != findHex {
		t.Fatalf("A1 detected: %v, %v", tok, err)
	}
	for _, c := range []struct {
		serial, format, want string
		notFound, usage      bool
	}{
		{"D1", "hex", path + ":5: serial: D1 appears again (first on line 3); which one is the token?", false, false},
		{"NOPE", "hex", path + ": serial NOPE not found (2 records could not be read, the first: " + path + ":2: secret: not hex", true, false},
		{"BAD", "hex", "serial BAD cannot be used:\n" + path + ":2: secret: not hex", false, false},
		{"E1", "hex", "serial E1 cannot be used:\n" + path + ":6: ", false, false},
		{"A1", "no-such", `--from "no-such": unknown format`, false, true},
	} {
		_, err := FindSerial(path, c.format, o, c.serial)
		var ue *UsageError
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || errors.Is(err, ErrNotFound) != c.notFound || errors.As(err, &ue) != c.usage {
			t.Errorf("%s: %v; want %q (not found %t, usage %t)", c.serial, err, c.want, c.notFound, c.usage)
		}
		if err != nil && strings.Contains(err.Error(), findHex) {
			t.Errorf("%s: the error shows a secret: %v", c.serial, err)
		}
	}
	// Standard input, through o.Stdin.
	in := &Options{Kind: seed.HOTP, Stdin: strings.NewReader("S1," + findHex + "\n")}
	if tok, err := FindSerial("-", "hex", in, "S1"); err != nil || tok.Kind != seed.HOTP {
		t.Errorf("stdin: %v, %v", tok, err)
	}
	in.Stdin = strings.NewReader("S1," + findHex + "\n")
	if _, err := FindSerial("-", "hex", in, "S2"); err == nil || err.Error() != "standard input: serial S2 not found" {
		t.Errorf("stdin, missing serial: %v", err)
	}
}
