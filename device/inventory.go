package device

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/nfc"
)

// Inventory is what a machine offers: the PC/SC readers and the YubiKey
// OTP interfaces on USB, each transport with the reason it cannot be
// used, if any.
type Inventory struct {
	PCSC struct {
		Supported bool     `json:"supported"`
		Readers   []string `json:"readers"`
		Error     string   `json:"error,omitempty"`
	} `json:"pcsc"`
	HID struct {
		Supported bool         `json:"supported"`
		Devices   []USBListing `json:"devices"`
		Error     string       `json:"error,omitempty"`
	} `json:"hid"`
}

// USBListing is a YubiKey OTP interface on USB, as listed.
type USBListing struct {
	Path      string `json:"path"`
	Product   string `json:"product"`
	ProductID string `json:"usb_id"`
}

// Inventory lists everything that can be listed; a transport that cannot
// be used is noted in it, not returned as an error.
func (e Env) Inventory() Inventory {
	var r Inventory
	r.PCSC.Readers, r.HID.Devices = []string{}, []USBListing{}
	r.PCSC.Supported = nfc.Supported()
	if pc, err := e.OpenPCSC(); err != nil {
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
	infos, err := e.USBKeys()
	if err != nil {
		r.HID.Error = err.Error()
	}
	for _, in := range infos {
		r.HID.Devices = append(r.HID.Devices, USBListing{Path: in.Path, Product: in.Product,
			ProductID: fmt.Sprintf("%04x:%04x", hid.VendorYubico, in.ProductID)})
	}
	return r
}

// Err is a device error (exit 3) naming the first transport that could
// not be used, or nil.
func (r Inventory) Err() error {
	switch {
	case r.PCSC.Error != "":
		return &Error{Err: errors.New("PC/SC: " + r.PCSC.Error)}
	case r.HID.Error != "":
		return &Error{Err: errors.New("USB HID: " + r.HID.Error)}
	}
	return nil
}

// WriteTo writes the inventory as text, for an operator.
func (r Inventory) WriteTo(w io.Writer) (int64, error) {
	var n int64
	p := func(format string, a ...any) {
		k, _ := fmt.Fprintf(w, format, a...)
		n += int64(k)
	}
	none := func(errText string, empty bool) {
		switch {
		case errText != "":
			p("  (unavailable: %s)\n", errText)
		case empty:
			p("  (none)\n")
		}
	}
	p("PC/SC readers:\n")
	none(r.PCSC.Error, len(r.PCSC.Readers) == 0)
	for _, name := range r.PCSC.Readers {
		p("  %s\n", name)
	}
	p("YubiKeys on USB (HID):\n")
	none(r.HID.Error, len(r.HID.Devices) == 0)
	for _, d := range r.HID.Devices {
		p("  %s (USB %s)\n    %s\n", d.Product, d.ProductID, d.Path)
	}
	return n, nil
}

// String is the text WriteTo writes.
func (r Inventory) String() string {
	var s strings.Builder
	r.WriteTo(&s)
	return s.String()
}
