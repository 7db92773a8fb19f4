package hid_test

import (
	"testing"

	"github.com/tokenctl/tokenctl/hid"
)

// TestWindowsHID: the Windows build has USB HID compiled in (hidapi through
// cgo and mingw-w64: hid.dll and cfgmgr32.dll loaded at run time), and
// enumerating works even with no YubiKey plugged in.
func TestWindowsHID(t *testing.T) {
	if !hid.Supported() {
		t.Fatal("this Windows build has no USB HID: build with CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc")
	}
	keys, err := hid.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		t.Logf("%s (USB 1050:%04x): %s", k.Product, k.ProductID, k.Path)
	}
}
