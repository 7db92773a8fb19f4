package yubikey

import (
	"bufio"
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// TokenSize is the size of the encrypted part of a Yubico OTP.
const TokenSize = 16

// OTP is a decrypted Yubico OTP.
type OTP struct {
	PublicID       []byte // the fixed prefix (modhex-decoded)
	PrivateID      []byte
	UseCounter     uint16 // non-volatile counter, goes up at each power-up
	SessionCounter uint8  // goes up with each OTP within a power-up
	Timestamp      uint32 // 24-bit 8 Hz timer, random at power-up
	Random         uint16
}

// String describes the OTP without its private ID.
func (o OTP) String() string {
	return fmt.Sprintf("Yubico OTP (public ID %x, use counter %d, session counter %d)", o.PublicID, o.UseCounter, o.SessionCounter)
}

// GoString keeps %#v from printing the private ID.
func (o OTP) GoString() string { return "yubikey.OTP{" + o.String() + "}" }

// Counter is the combined counter that must increase from one OTP to the next.
func (o *OTP) Counter() uint32 { return uint32(o.UseCounter)<<8 | uint32(o.SessionCounter) }

// Errors from DecodeOTP.
var (
	ErrOTPFormat    = errors.New("not a Yubico OTP")
	ErrOTPCRC       = errors.New("OTP checksum wrong: not made with this AES key")
	ErrOTPPrivateID = errors.New("OTP private ID does not match")
)

// DecodeOTP verifies a Yubico OTP as typed by a key (modhex, the public ID
// followed by 32 characters) with its AES key and private ID. It checks the
// CRC inside the token and the private ID, and returns the counters for
// the caller to compare with the last ones seen.
func DecodeOTP(otp string, aesKey, privateID []byte) (*OTP, error) {
	if len(aesKey) != KeySize {
		return nil, fmt.Errorf("AES key is %d bytes, want %d", len(aesKey), KeySize)
	}
	if len(otp) < 2*TokenSize || len(otp) > 2*(TokenSize+FixedSize) {
		return nil, fmt.Errorf("%w: %d characters, want 32 to 64", ErrOTPFormat, len(otp))
	}
	raw, err := ParseModhex(otp)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOTPFormat, err)
	}
	pub := raw[:len(raw)-TokenSize]
	enc := raw[len(raw)-TokenSize:]
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, err
	}
	var plain [TokenSize]byte
	block.Decrypt(plain[:], enc)
	defer seed.Zero(plain[:])
	if !CheckCRC(plain[:]) {
		return nil, ErrOTPCRC
	}
	if privateID != nil && subtle.ConstantTimeCompare(plain[:UIDSize], privateID) != 1 {
		return nil, ErrOTPPrivateID
	}
	return &OTP{
		PublicID:       pub,
		PrivateID:      append([]byte(nil), plain[:UIDSize]...),
		UseCounter:     binary.LittleEndian.Uint16(plain[6:8]),
		Timestamp:      uint32(plain[8]) | uint32(plain[9])<<8 | uint32(plain[10])<<16,
		SessionCounter: plain[11],
		Random:         binary.LittleEndian.Uint16(plain[12:14]),
	}, nil
}

// EncodeOTP makes the OTP a key with this public ID, AES key and private
// ID types for the given counters. Emulators and tests use it.
func EncodeOTP(publicID, aesKey, privateID []byte, useCounter uint16, sessionCounter uint8, timestamp uint32, random uint16) (string, error) {
	if len(aesKey) != KeySize || len(privateID) != UIDSize {
		return "", errors.New("AES key must be 16 bytes and private ID 6")
	}
	var plain [TokenSize]byte
	copy(plain[:], privateID)
	binary.LittleEndian.PutUint16(plain[6:], useCounter)
	plain[8], plain[9], plain[10] = byte(timestamp), byte(timestamp>>8), byte(timestamp>>16)
	plain[11] = sessionCounter
	binary.LittleEndian.PutUint16(plain[12:], random)
	crc := ^CRC16(plain[:14])
	binary.LittleEndian.PutUint16(plain[14:], crc)
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return "", err
	}
	var enc [TokenSize]byte
	block.Encrypt(enc[:], plain[:])
	seed.Zero(plain[:])
	return Modhex(publicID) + Modhex(enc[:]), nil
}

// FindCredential returns the Yubico OTP credential among toks that otp
// (as a key types it) says it comes from: the last one with its public ID
// (a log lists every programming; the caller then verifies the OTP with
// it), or, for logs that record no public ID (Duo's), the one whose key
// decrypts the OTP to its own private ID. Nil when none.
func FindCredential(toks []*seed.Token, otp string) *seed.Token {
	if len(otp) < 32 {
		return nil
	}
	pub := strings.ToLower(otp[:len(otp)-32])
	var found *seed.Token
	var noID []*seed.Token
	for _, t := range toks {
		switch {
		case t.Kind != seed.YubicoOTP:
		case Modhex(t.PublicID) == pub:
			found = t
		case len(t.PublicID) == 0:
			noID = append(noID, t)
		}
	}
	if found != nil {
		return found
	}
	for _, t := range noID {
		if _, err := DecodeOTP(otp, t.Secret, t.PrivateID); err == nil {
			return t
		}
	}
	return nil
}

// Verification reports a Yubico OTP that verified against its credential
// (VerifyOTP); it is tokenctl's --json report.
type Verification struct {
	Valid          bool   `json:"valid"`
	PublicID       string `json:"public_id"` // modhex
	Serial         string `json:"serial,omitempty"`
	UseCounter     uint16 `json:"use_counter"`
	SessionCounter uint8  `json:"session_counter"`
	Timestamp      uint32 `json:"timestamp"`
}

// Counter is the combined counter (OTP.Counter), to compare with the
// last one seen.
func (v *Verification) Counter() uint32 {
	return uint32(v.UseCounter)<<8 | uint32(v.SessionCounter)
}

// String is "OTP valid: <public ID> (YubiKey <serial>), use counter N,
// session counter M".
func (v *Verification) String() string {
	who := v.PublicID
	if v.Serial != "" {
		who += " (YubiKey " + v.Serial + ")"
	}
	return fmt.Sprintf("OTP valid: %s, use counter %d, session counter %d", who, v.UseCounter, v.SessionCounter)
}

// ReadOTP reads an OTP as a key types it into r: the first line (of at
// most 4096 bytes: a key types 44 characters), spaces trimmed.
func ReadOTP(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// VerifyOTP verifies otp (as a key types it) against the credential t:
// t.Secret is the AES key, t.PrivateID the private ID (DecodeOTP checks
// both, through the CRC and the decrypted private ID), t.Serial is
// reported. The error, "OTP does not verify: " and DecodeOTP's, is
// invalid data. Comparing the counter with the last one seen (replays) is
// the caller's.
func VerifyOTP(otp string, t *seed.Token) (*Verification, error) {
	o, err := DecodeOTP(otp, t.Secret, t.PrivateID)
	if err != nil {
		return nil, fmt.Errorf("OTP does not verify: %w", err)
	}
	seed.Zero(o.PrivateID)
	return &Verification{Valid: true, PublicID: Modhex(o.PublicID), Serial: t.Serial, UseCounter: o.UseCounter,
		SessionCounter: o.SessionCounter, Timestamp: o.Timestamp}, nil
}
