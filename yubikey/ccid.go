package yubikey

import (
	"fmt"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
)

// AIDs of the YubiKey's OTP application (which this package talks to) and
// management application (which the emulator in sim/yubikey answers).
var (
	AIDOTP        = []byte{0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01}
	AIDManagement = []byte{0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17}
)

// Instructions of the OTP application over CCID.
const (
	insConfig = 0x01
	insStatus = 0x03
)

// CCID is the OTP application over APDUs (USB CCID, or NFC through a PC/SC
// reader). Commands are sent exactly as ykman sends them: 00 01 <cmd> 00 Lc
// data, with Lc = 00 for an empty payload.
type CCID struct {
	t      apdu.Transmitter
	status Status
}

// SelectAPDU is the SELECT of the OTP application.
func SelectAPDU() []byte {
	return append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(AIDOTP))}, AIDOTP...)
}

// NewCCID selects the OTP application on the card behind t.
func NewCCID(t apdu.Transmitter) (*CCID, error) {
	st, err := selectOTP(t)
	if err != nil {
		return nil, err
	}
	return &CCID{t: t, status: st}, nil
}

// ReadStatus selects the OTP application again and returns the status it
// answers with: the key's state now, not as its last answer gave it.
func (c *CCID) ReadStatus() (Status, error) {
	st, err := selectOTP(c.t)
	if err != nil {
		return Status{}, err
	}
	c.status = st
	return st, nil
}

func selectOTP(t apdu.Transmitter) (Status, error) {
	resp, err := t.Transmit(SelectAPDU())
	if err != nil {
		return Status{}, fmt.Errorf("selecting the YubiKey OTP application: %w", err)
	}
	data, sw, err := apdu.Split(resp)
	if err != nil {
		return Status{}, fmt.Errorf("selecting the YubiKey OTP application: %w", err)
	}
	if sw != apdu.SWOK {
		m := "no YubiKey OTP application on this card"
		if sw != apdu.SWFileNotFound {
			m = ""
		}
		return Status{}, &apdu.StatusError{Command: "select YubiKey OTP application", SW: sw, Meaning: m}
	}
	st, err := ParseStatus(data)
	if err != nil {
		return Status{}, fmt.Errorf("selecting the YubiKey OTP application: %w", err)
	}
	return st, nil
}

// ConfigAPDU is the command APDU for cmd with payload.
func ConfigAPDU(cmd byte, payload []byte) []byte {
	b := make([]byte, 0, 5+len(payload))
	b = append(b, 0x00, insConfig, cmd, 0x00, byte(len(payload)))
	return append(b, payload...)
}

// Transport is TransportCCID.
func (c *CCID) Transport() Transport { return TransportCCID }

// Status is the status from the SELECT or from the last write.
func (c *CCID) Status() (Status, error) { return c.status, nil }

func (c *CCID) send(what string, cmd []byte) ([]byte, error) {
	defer seed.Zero(cmd)
	return apdu.Exchange(c.t, what, cmd, nil)
}

// Write sends a configuration command and returns the status it answers
// with (asked with 00 03 when the key gives none).
func (c *CCID) Write(cmd byte, payload []byte) (Status, error) {
	if len(payload) > 255 {
		return Status{}, fmt.Errorf("payload of %d bytes does not fit a short APDU", len(payload))
	}
	data, err := c.send(fmt.Sprintf("command %02x", cmd), ConfigAPDU(cmd, payload))
	if err != nil {
		return Status{}, err
	}
	if len(data) < 6 {
		data, err = c.send("read status", []byte{0x00, insStatus, 0x00, 0x00})
		if err != nil {
			return Status{}, err
		}
	}
	st, err := ParseStatus(data)
	if err != nil {
		return Status{}, err
	}
	c.status = st
	return st, nil
}

// Exchange sends a command that answers with n bytes.
func (c *CCID) Exchange(cmd byte, payload []byte, n int) ([]byte, error) {
	data, err := c.send(fmt.Sprintf("command %02x", cmd), ConfigAPDU(cmd, payload))
	if err != nil {
		return nil, err
	}
	if len(data) != n {
		return nil, fmt.Errorf("command %02x: %d bytes in the answer, want %d", cmd, len(data), n)
	}
	return data, nil
}
