package main

import (
	"encoding/json"
	"github.com/tokenctl/tokenctl/device"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/internal/testpeer"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// TestDevices: 'tokenctl devices' lists the readers pcscd has (the two
// vpcd readers) and the YubiKey HID interfaces with their paths as the OS
// gives them (here a Windows path, from a replaced USB listing).
func TestDevices(t *testing.T) {
	pc, err := nfc.NewContext()
	if err != nil {
		testpeer.Missing(t, "pcscd: "+err.Error())
	}
	pc.Release()
	if !hid.Supported() {
		t.Skip("USB HID needs cgo")
	}
	const path = `\\?\hid#vid_1050&pid_0407&mi_00#7&2c3a1ee8&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`
	envOf(t).usb = func() ([]device.HIDKey, error) {
		return []device.HIDKey{{Path: path, ProductID: 0x0407, Product: "YubiKey OTP+FIDO+CCID"}}, nil
	}

	code, out, errs := runCLI(t, "devices", "--json")
	if code != 0 || errs != "" {
		t.Fatalf("devices --json: exit %d, stderr %q", code, errs)
	}
	var r device.Inventory
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	readers := strings.Join(r.PCSC.Readers, "\n")
	for _, p := range []int{vpcd.Port0, vpcd.Port1} {
		if !strings.Contains(readers, vpcd.ReaderName(p)) {
			t.Errorf("readers %q lack %q", r.PCSC.Readers, vpcd.ReaderName(p))
		}
	}
	if !r.PCSC.Supported || !r.HID.Supported || len(r.HID.Devices) != 1 ||
		r.HID.Devices[0] != (device.USBListing{Path: path, Product: "YubiKey OTP+FIDO+CCID", ProductID: "1050:0407"}) {
		t.Errorf("devices --json = %+v", r)
	}

	code, out, _ = runCLI(t, "devices")
	want := "PC/SC readers:\n  " + vpcd.ReaderName(vpcd.Port0) + "\n"
	if code != 0 || !strings.HasPrefix(out, want) ||
		!strings.HasSuffix(out, "YubiKeys on USB (HID):\n  YubiKey OTP+FIDO+CCID (USB 1050:0407)\n    "+path+"\n") {
		t.Errorf("devices: exit %d\n%s", code, out)
	}
}
