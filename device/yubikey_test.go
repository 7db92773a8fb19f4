package device_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/hid"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// TestParseYubiKeyOptions: the flags' words become options; a transport
// or serial that cannot be is a usage error naming its flag.
func TestParseYubiKeyOptions(t *testing.T) {
	o, err := device.ParseYubiKeyOptions("nfc", "ACR", "4711", time.Second)
	if err != nil || o != (device.YubiKeyOptions{Transport: yubikey.TransportCCID, Reader: "ACR", Serial: 4711, Wait: time.Second}) {
		t.Fatalf("%+v %v", o, err)
	}
	if o, err = device.ParseYubiKeyOptions("", "", "", 0); err != nil || o.Transport != "" || o.Serial != 0 {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	var ue interface{ UsageError() bool }
	if _, err = device.ParseYubiKeyOptions("bluetooth", "", "", 0); !errors.As(err, &ue) || err.Error() != `--transport "bluetooth": want hid or ccid` {
		t.Fatalf("transport: %v", err)
	}
	if _, err = device.ParseYubiKeyOptions("hid", "", "12x", 0); !errors.As(err, &ue) || err.Error()[:9] != "--serial " {
		t.Fatalf("serial: %v", err)
	}
}

// TestYubiKeyInfo: what an emulated key says of itself, as JSON fields
// and as the lines 'tokenctl yubikey info' prints.
func TestYubiKeyInfo(t *testing.T) {
	k := yksim.New(yksim.Options{Serial: 4711, Version: yubikey.Version{5, 4, 3}})
	key, err := device.Open(hid.NewOTP(k.HID()), "usb", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	i := key.Info()
	if i.Serial != 4711 || i.Firmware != "5.4.3" || i.Slot1 != "empty" || i.Slot2 != "empty" || i.Device != "usb" {
		t.Fatalf("%+v", i)
	}
	want := "Serial:    4711\nFirmware:  5.4.3\nTransport: " + i.Transport + " (usb)\nSlot 1:    empty\nSlot 2:    empty\n"
	if i.String() != want {
		t.Fatalf("%q, want %q", i.String(), want)
	}
}
