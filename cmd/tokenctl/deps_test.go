package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShippedBinaryCarriesNoEmulator: tokenctl links no package of sim/
// (the emulators live in cmd/tokenctl-sim, which is not shipped).
func TestShippedBinaryCarriesNoEmulator(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/tokenctl/tokenctl/sim") {
			t.Errorf("tokenctl links %s", p)
		}
	}
}

// TestOnlyTransportsImportSystemLibraries: PC/SC (ebfe/scard) and USB HID
// (karalabe/hid) are imported by the transports (nfc, hid) alone; the
// emulators may reach scard in their tests only.
func TestOnlyTransportsImportSystemLibraries(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/tokenctl/tokenctl/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"github.com/tokenctl/tokenctl/nfc": true, "github.com/tokenctl/tokenctl/hid": true}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		n++
		for _, imp := range f[1:] {
			if (imp == "github.com/ebfe/scard" || imp == "github.com/karalabe/hid") && !allowed[f[0]] {
				t.Errorf("%s imports %s", f[0], imp)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d packages listed", n)
	}
}
