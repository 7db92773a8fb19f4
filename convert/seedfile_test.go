package convert

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// TestSeedFile: a --seeds file's format is detected unless given, the
// errors name the file and the option that gives the format, Check reads
// the whole file, Find looks one serial up (a serial not listed is a
// *NotListedError wrapping ErrNotFound).
func TestSeedFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := "upn,serial number,secret key,time interval,manufacturer,model\n"
	entra := write("entra.csv", head+"a@example.com,1000,JBSWY3DPEHPK3PXP,60,Token2,C202\nb@example.com,1001,JBSWY3DPEHPK3PXQ,30,Token2,C202\n")
	s, err := OpenSeedFile(entra, "", "--from", &Options{Kind: seed.TOTP})
	if err != nil || s.Format.Name != "entra" {
		t.Fatalf("detect: %+v %v", s, err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	tok, err := s.Find("1000")
	if err != nil || tok.Period != 60 || tok.Serial != "1000" {
		t.Fatalf("find: %+v %v", tok, err)
	}
	tok.Wipe()
	var nl *NotListedError
	if _, err := s.Find("999"); !errors.As(err, &nl) || !errors.Is(err, ErrNotFound) || err.Error() != "--seeds "+entra+" does not list serial 999" {
		t.Fatalf("not listed: %v", err)
	}
	all, err := s.ReadAll()
	if err != nil || len(all) != 2 {
		t.Fatalf("read all: %d %v", len(all), err)
	}

	// a bad row past the head: Check reads the whole file
	bad := write("bad.csv", head+"a@example.com,1000,JBSWY3DPEHPK3PXP,30,Token2,C202\n"+strings.Repeat("\n", DetectHead)+"b@example.com,1001,not-base32!,30,Token2,C202\n")
	if s, err = OpenSeedFile(bad, "entra", "--from", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err == nil || !strings.HasPrefix(err.Error(), "--seeds "+bad+": ") {
		t.Fatalf("bad row: %v", err)
	}

	// a header alone: no token is an error, not an empty fill
	if s, err = OpenSeedFile(write("empty.csv", head), "", "--from", nil); err != nil {
		t.Fatal(err)
	}
	if all, err := s.ReadAll(); !errors.Is(err, ErrNoTokens) || all != nil {
		t.Fatalf("empty: %d %v, want ErrNoTokens", len(all), err)
	}

	var ue *UsageError
	if _, err := OpenSeedFile(entra, "no-such", "--from", nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), `unknown format "no-such"`) {
		t.Fatalf("unknown format: %v", err)
	}
	junk := write("junk.txt", "hello there\n")
	if _, err := OpenSeedFile(junk, "", "--seeds-format", nil); !errors.Is(err, ErrUnknownFormat) || errors.As(err, &ue) ||
		err.Error() != "--seeds "+junk+": not a seed file format tokenctl recognises (if it is one, give --seeds-format)" {
		t.Fatalf("junk: %v", err)
	}
	duo := write("duo.csv", "1000,3132333435363738393031323334353637383930,30\n")
	if _, err := OpenSeedFile(duo, "", "--from", nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), "give --from") {
		t.Fatalf("ambiguous: %v", err)
	}
	if _, err := OpenSeedFile(filepath.Join(dir, "missing"), "", "--from", nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}
