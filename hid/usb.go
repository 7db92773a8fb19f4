package hid

import (
	"fmt"

	khid "github.com/karalabe/hid"
)

// VendorYubico is Yubico's USB vendor ID.
const VendorYubico = 0x1050

// OTPProductIDs are the YubiKey product IDs that have the OTP keyboard
// interface.
var OTPProductIDs = []uint16{0x0010, 0x0110, 0x0111, 0x0114, 0x0116, 0x0401, 0x0403, 0x0405, 0x0407, 0x0410}

// Info describes one YubiKey OTP interface found on USB.
type Info struct {
	Path      string
	ProductID uint16
	Product   string
	info      khid.DeviceInfo
}

// Supported reports whether USB HID works in this build (cgo).
func Supported() bool { return khid.Supported() }

// isOTPInterface recognises the keyboard interface: usage page 1, usage 6
// where the platform reports usages (Windows, macOS), interface 0
// elsewhere (Linux through libusb).
func isOTPInterface(d khid.DeviceInfo) bool {
	if d.UsagePage != 0 || d.Usage != 0 {
		return d.UsagePage == 1 && d.Usage == 6
	}
	return d.Interface == 0
}

// List enumerates the YubiKey OTP interfaces on USB.
func List() ([]Info, error) {
	if !khid.Supported() {
		return nil, nil
	}
	var out []Info
	for _, pid := range OTPProductIDs {
		devs, err := khid.Enumerate(VendorYubico, pid)
		if err != nil {
			return nil, wrap(fmt.Errorf("enumerating USB HID devices: %w", err))
		}
		for _, d := range devs {
			if isOTPInterface(d) {
				out = append(out, Info{Path: d.Path, ProductID: d.ProductID, Product: d.Product, info: d})
			}
		}
	}
	return out, nil
}

// Open opens one interface found by List. The karalabe/hid device is a
// FeatureDevice as it is.
func (i Info) Open() (FeatureDevice, error) {
	d, err := i.info.Open()
	if err != nil {
		return nil, wrap(fmt.Errorf("opening YubiKey %s (%04x:%04x): %w", i.Path, VendorYubico, i.ProductID, err))
	}
	return d, nil
}
