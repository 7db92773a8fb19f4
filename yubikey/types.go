package yubikey

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// Slot is one of a key's two OTP slots: 1 (short touch) or 2 (long).
type Slot int

// ParseSlot reads "1" or "2".
func ParseSlot(s string) (Slot, error) {
	switch s {
	case "1":
		return 1, nil
	case "2":
		return 2, nil
	}
	return 0, &SlotError{s}
}

// SlotError is a slot a YubiKey does not have (ParseSlot): a usage error.
type SlotError struct{ Value string }

func (e *SlotError) Error() string {
	return fmt.Sprintf("slot %q: a YubiKey has slots 1 and 2", e.Value)
}

// UsageError marks it as a usage error (exit code 2).
func (e *SlotError) UsageError() bool { return true }

// Serial is a key's serial number.
type Serial uint32

// ParseSerial reads a decimal serial number.
func ParseSerial(s string) (Serial, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q: not a YubiKey serial number", s)
	}
	return Serial(n), nil
}

func (s Serial) String() string { return strconv.FormatUint(uint64(s), 10) }

// AccessCode is a slot's 6-byte access code. It is a secret: printing it
// with any verb gives "[access code]", never its bytes (Hex gives them to
// code that must write them out, such as the Personalization Tool log).
type AccessCode []byte

// ParseAccessCode reads an access code as 12 hex digits.
func ParseAccessCode(s string) (AccessCode, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != AccessCodeSize {
		for i := range b {
			b[i] = 0
		}
		return nil, fmt.Errorf("want %d bytes as %d hex digits", AccessCodeSize, 2*AccessCodeSize)
	}
	return b, nil
}

// AccessCodeHex decodes an access code (ParseAccessCode) where secrets
// are read through decoders (as seed.Hex decodes a key).
var AccessCodeHex accessCodeHex

type accessCodeHex struct{}

func (accessCodeHex) Decode(s string) ([]byte, error) { return ParseAccessCode(s) }
func (accessCodeHex) String() string                  { return "12 hex digits" }

// String redacts the code.
func (AccessCode) String() string { return "[access code]" }

// GoString redacts the code (%#v).
func (AccessCode) GoString() string { return "[access code]" }

// Format redacts the code whatever the verb.
func (a AccessCode) Format(f fmt.State, _ rune) { fmt.Fprint(f, a.String()) }

// Hex gives the code as 12 hex digits.
func (a AccessCode) Hex() string { return hex.EncodeToString(a) }

// Wipe zeroes the code.
func (a AccessCode) Wipe() {
	for i := range a {
		a[i] = 0
	}
}
