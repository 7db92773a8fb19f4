package convert

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReadSeedFile: every token of a detected seed file, as TOTP; a file
// of a format not recognised names the option that gives the format.
func TestReadSeedFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "entra.csv")
	if err := os.WriteFile(p, []byte("upn,serial number,secret key,time interval,manufacturer,model\na@example.com,1000,JBSWY3DPEHPK3PXP,60,Token2,C202\nb@example.com,1001,JBSWY3DPEHPK3PXQ,30,Token2,C202\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	all, err := ReadSeedFile(p, "", "--from")
	if err != nil || len(all) != 2 || all[0].Serial != "1000" || all[0].Period != 60 || all[1].Serial != "1001" {
		t.Fatalf("%v %v", all, err)
	}
	junk := filepath.Join(dir, "junk.txt")
	if err := os.WriteFile(junk, []byte("nothing here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSeedFile(junk, "", "--from"); !errors.Is(err, ErrUnknownFormat) || err.Error() != "--seeds "+junk+": not a seed file format tokenctl recognises (if it is one, give --from)" {
		t.Fatalf("junk: %v", err)
	}
}
