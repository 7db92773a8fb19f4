package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/nfc"
)

// devicesReport is the --json form of 'tokenctl devices'.
type devicesReport struct {
	PCSC struct {
		Supported bool     `json:"supported"`
		Readers   []string `json:"readers"`
		Error     string   `json:"error,omitempty"`
	} `json:"pcsc"`
	HID struct {
		Supported bool        `json:"supported"`
		Devices   []hidDevice `json:"devices"`
		Error     string      `json:"error,omitempty"`
	} `json:"hid"`
}

type hidDevice struct {
	Path      string `json:"path"`
	Product   string `json:"product"`
	ProductID string `json:"usb_id"`
}

func listDevices(f *factory) devicesReport {
	var r devicesReport
	r.PCSC.Readers, r.HID.Devices = []string{}, []hidDevice{}
	r.PCSC.Supported = nfc.Supported()
	if pc, err := f.Devices.OpenPCSC(); err != nil {
		r.PCSC.Error = err.Error()
	} else {
		readers, err := pc.Readers()
		pc.Release()
		if err != nil {
			r.PCSC.Error = err.Error()
		}
		r.PCSC.Readers = append(r.PCSC.Readers, readers...)
	}
	r.HID.Supported = hid.Supported()
	if !r.HID.Supported {
		r.HID.Error = "this build of tokenctl has no USB HID support (built without cgo)"
		return r
	}
	infos, err := f.Devices.USBKeys()
	if err != nil {
		r.HID.Error = err.Error()
	}
	for _, in := range infos {
		r.HID.Devices = append(r.HID.Devices, hidDevice{Path: in.Path, Product: in.Product,
			ProductID: fmt.Sprintf("%04x:%04x", hid.VendorYubico, in.ProductID)})
	}
	return r
}

func (r devicesReport) print(w io.Writer) {
	fmt.Fprintln(w, "PC/SC readers:")
	switch {
	case r.PCSC.Error != "":
		fmt.Fprintf(w, "  (unavailable: %s)\n", r.PCSC.Error)
	case len(r.PCSC.Readers) == 0:
		fmt.Fprintln(w, "  (none)")
	}
	for _, n := range r.PCSC.Readers {
		fmt.Fprintf(w, "  %s\n", n)
	}
	fmt.Fprintln(w, "YubiKeys on USB (HID):")
	switch {
	case r.HID.Error != "":
		fmt.Fprintf(w, "  (unavailable: %s)\n", r.HID.Error)
	case len(r.HID.Devices) == 0:
		fmt.Fprintln(w, "  (none)")
	}
	for _, d := range r.HID.Devices {
		fmt.Fprintf(w, "  %s (USB %s)\n    %s\n", d.Product, d.ProductID, d.Path)
	}
}

func newDevicesCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "devices",
		Short: "List the PC/SC readers and the YubiKeys on USB that tokenctl can use",
		Long: `List the PC/SC readers (for Token2 tokens, and YubiKeys over NFC or
CCID) with their names as the operating system gives them, which is what
--reader matches (Windows: 'ACS ACR1252 1S CL Reader PICC 0'; Linux
pcscd: 'ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] 00 00'), and
the YubiKey OTP interfaces on USB with their HID device paths.

A transport that cannot be used (no PC/SC service, no reader driver, a
build without it) is reported as such, and the exit code is then 3 after
everything that could be listed is printed.`,
		Example: "  tokenctl devices\n  tokenctl devices --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r := listDevices(f)
			if f.JSON {
				if err := writeJSON(f.Out, r); err != nil {
					return err
				}
			} else {
				r.print(f.Out)
			}
			switch {
			case r.PCSC.Error != "":
				return exitcode.DeviceErr(fmt.Errorf("PC/SC: %s", r.PCSC.Error))
			case r.HID.Error != "":
				return exitcode.DeviceErr(fmt.Errorf("USB HID: %s", r.HID.Error))
			}
			return nil
		},
	}
}
