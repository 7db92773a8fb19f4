//go:build !cgo && !windows

package nfc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/nfc"
)

// TestNoPCSC: a build without cgo says so instead of pretending to find no
// reader.
func TestNoPCSC(t *testing.T) {
	if nfc.Supported() {
		t.Fatal("Supported() in a build without cgo")
	}
	pc, err := nfc.NewContext()
	if pc != nil || !errors.Is(err, nfc.ErrNoPCSC) {
		t.Fatalf("NewContext = %v, %v; want ErrNoPCSC", pc, err)
	}
	if !strings.Contains(err.Error(), "this build of tokenctl has no PC/SC support") {
		t.Errorf("error %q", err)
	}
}
