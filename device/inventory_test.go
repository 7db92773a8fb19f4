package device

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/nfc"
)

// TestInventoryWithoutPCSC: a machine without a PC/SC service still
// lists its USB keys; the inventory says why PC/SC is missing, and its
// error is a device error naming the transport.
func TestInventoryWithoutPCSC(t *testing.T) {
	e := Env{
		PCSC: func() (*nfc.Context, error) { return nil, errors.New("no service") },
		USB: func() ([]HIDKey, error) {
			return []HIDKey{{Path: "usb:1", Product: "YubiKey OTP", ProductID: 0x0010}}, nil
		},
	}
	inv := e.Inventory()
	var text strings.Builder
	inv.WriteTo(&text)
	want := "PC/SC readers:\n  (unavailable: no service)\nYubiKeys on USB (HID):\n"
	if !strings.HasPrefix(text.String(), want) {
		t.Fatalf("text:\n%s", text.String())
	}
	if inv.String() != text.String() {
		t.Fatalf("String() differs from WriteTo:\n%s", inv.String())
	}
	err := inv.Err()
	var de interface{ DeviceError() bool }
	if err == nil || !errors.As(err, &de) || err.Error() != "PC/SC: no service" {
		t.Fatalf("Err() = %v", err)
	}
	if !hid.Supported() {
		return
	}
	if len(inv.HID.Devices) != 1 || inv.HID.Devices[0] != (USBListing{Path: "usb:1", Product: "YubiKey OTP", ProductID: "1050:0010"}) {
		t.Fatalf("USB: %+v", inv.HID)
	}
	if !strings.HasSuffix(text.String(), "  YubiKey OTP (USB 1050:0010)\n    usb:1\n") {
		t.Fatalf("text:\n%s", text.String())
	}
}
