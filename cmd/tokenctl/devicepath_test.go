package main

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/hid"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
)

// TestCLIAndBatchShareTheDevicePath: one fake USB transport, registered
// once in the factory, is what both 'yubikey info' and 'batch yubikey'
// reach their keys through (device.Env): there is no second way to open
// a device.
func TestCLIAndBatchShareTheDevicePath(t *testing.T) {
	if !hid.Supported() {
		t.Skip("USB HID needs cgo")
	}
	k := yksim.New(yksim.Options{Serial: 7007})
	var listed, opened atomic.Int32
	envOf(t).usb = func() ([]device.HIDKey, error) {
		listed.Add(1)
		return []device.HIDKey{{Path: "fake:0", Name: "fake transport", Open: func() (hid.FeatureDevice, error) {
			opened.Add(1)
			return k.HID(), nil
		}}}, nil
	}
	code, out, errs := runCLI(t, "yubikey", "info")
	if code != 0 || !strings.Contains(out, "7007") || !strings.Contains(out, "fake transport") {
		t.Fatalf("yubikey info: exit %d\n%s%s", code, out, errs)
	}
	if listed.Load() != 1 || opened.Load() != 1 {
		t.Fatalf("yubikey info: listed %d, opened %d", listed.Load(), opened.Load())
	}
	dir := t.TempDir()
	led, key := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "k.age")
	if code, _, errs := runCLI(t, "ledger", "init", "--identity-out", key, led); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs = runCLI(t, "batch", "yubikey", "--transport", "hid", "--ledger", led, "--count", "1", "--mode", "hotp", "--identity-file", key)
	if code != 0 || !strings.Contains(out, "7007") {
		t.Fatalf("batch yubikey: exit %d\n%s%s", code, out, errs)
	}
	if listed.Load() < 2 || opened.Load() != 2 {
		t.Fatalf("batch yubikey did not go through the factory's transport: listed %d, opened %d", listed.Load(), opened.Load())
	}
	if !k.Slot(1).Configured {
		t.Fatal("slot 1 of the key reached through the fake transport is not programmed")
	}
}
