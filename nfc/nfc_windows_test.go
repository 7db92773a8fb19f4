package nfc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/nfc"
)

// TestWindowsPCSC: on Windows, PC/SC is winscard.dll, loaded at run time
// (no cgo). Either the Smart Card service answers and the readers are
// listed by the names Windows gives them, or NewContext fails with the
// PC/SC code named and a hint about the Windows service, not pcscd.
// (Under Wine, winscard.dll is a stub: the second case.)
func TestWindowsPCSC(t *testing.T) {
	if !nfc.Supported() {
		t.Fatal("a Windows build without PC/SC")
	}
	pc, err := nfc.NewContext()
	if err != nil {
		var e *nfc.Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), "Smart Card service") ||
			strings.Contains(err.Error(), "pcscd") || !strings.Contains(err.Error(), "SCARD_") {
			t.Fatalf("NewContext: %v", err)
		}
		t.Logf("no PC/SC service: %v", err)
		return
	}
	defer pc.Release()
	readers, err := pc.Readers()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("readers: %q", readers)
}
