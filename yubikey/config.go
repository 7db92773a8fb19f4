package yubikey

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Sizes of the parts of a slot configuration.
const (
	FixedSize      = 16
	UIDSize        = 6
	KeySize        = 16
	AccessCodeSize = 6
	ConfigSize     = 52
	HMACKeySize    = 20
	// MaxHOTPCounter is the largest initial HOTP counter a slot can hold
	// (uid[4:6] = counter/16).
	MaxHOTPCounter = 0xFFFF0
)

// Ticket flags (byte 46).
const (
	TktTabFirst    byte = 0x01
	TktAppendTab1  byte = 0x02
	TktAppendTab2  byte = 0x04
	TktAppendDelay byte = 0x08
	TktAppendDly2  byte = 0x10
	TktAppendCR    byte = 0x20
	TktOATHHOTP    byte = 0x40 // also CHAL_RESP
	TktChalResp    byte = 0x40
	TktProtectCfg2 byte = 0x80
)

// Configuration flags (byte 47). One bit means different things in
// different modes.
const (
	CfgSendRef          byte = 0x01
	CfgShortTicket      byte = 0x02
	CfgOATHHOTP8        byte = 0x02
	CfgPacing10ms       byte = 0x04
	CfgHMACLT64         byte = 0x04
	CfgPacing20ms       byte = 0x08
	CfgChalBtnTrig      byte = 0x08
	CfgOATHFixedModhex1 byte = 0x10
	CfgStrongPW1        byte = 0x10
	CfgStaticTicket     byte = 0x20
	CfgChalYubico       byte = 0x20
	CfgChalHMAC         byte = 0x22
	CfgOATHFixedModhex2 byte = 0x40
	CfgStrongPW2        byte = 0x40
	CfgOATHFixedModhex  byte = 0x50
	CfgManUpdate        byte = 0x80
)

// Extended flags (byte 45).
const (
	ExtSerialBtnVisible byte = 0x01
	ExtSerialUSBVisible byte = 0x02
	ExtSerialAPIVisible byte = 0x04
	ExtUseNumericKeypad byte = 0x08
	ExtFastTrig         byte = 0x10
	ExtAllowUpdate      byte = 0x20
	ExtDormant          byte = 0x40
	ExtLEDInv           byte = 0x80
)

// Mode is what a slot configuration does.
type Mode int

const (
	ModeEmpty Mode = iota
	ModeYubicoOTP
	ModeHOTP
	ModeChalRespHMAC
	ModeChalRespYubico
	ModeStatic
)

func (m Mode) String() string {
	switch m {
	case ModeEmpty:
		return "empty"
	case ModeYubicoOTP:
		return "yubico-otp"
	case ModeHOTP:
		return "oath-hotp"
	case ModeChalRespHMAC:
		return "chalresp-hmac"
	case ModeChalRespYubico:
		return "chalresp-yubico"
	case ModeStatic:
		return "static"
	}
	return "unknown"
}

// Config is one slot configuration. Fixed, UID and Key carry the
// credential (see the constructors); AccessCode is the access code the
// slot will have after the write (all zero: none). The String method
// never shows the secret parts.
type Config struct {
	Fixed      []byte // up to 16 bytes: public ID or OATH token identifier
	UID        [UIDSize]byte
	Key        [KeySize]byte
	AccessCode [AccessCodeSize]byte
	Ext        byte
	Tkt        byte
	Cfg        byte
}

// String describes the configuration without secrets. It has a value
// receiver so that %v of a Config value, or of a struct holding one, does
// not print the key either.
func (c Config) String() string {
	return fmt.Sprintf("%s config (fixed %d bytes, ext %02x, tkt %02x, cfg %02x)", c.Mode(), len(c.Fixed), c.Ext, c.Tkt, c.Cfg)
}

// GoString keeps %#v from printing the key.
func (c Config) GoString() string { return "yubikey.Config{" + c.String() + "}" }

// Mode classifies the configuration by its flags.
func (c *Config) Mode() Mode {
	if c.Tkt&TktOATHHOTP != 0 {
		switch {
		case c.Cfg&CfgChalHMAC == CfgChalHMAC:
			return ModeChalRespHMAC
		case c.Cfg&CfgChalYubico != 0:
			return ModeChalRespYubico
		}
		return ModeHOTP
	}
	if c.Cfg&(CfgStaticTicket|CfgShortTicket) != 0 {
		return ModeStatic
	}
	if c.Ext == 0 && c.Tkt == 0 && c.Cfg == 0 && len(c.Fixed) == 0 && c.UID == [UIDSize]byte{} && c.Key == [KeySize]byte{} {
		return ModeEmpty
	}
	return ModeYubicoOTP
}

// Bytes is the 52-byte configuration with its CRC.
func (c *Config) Bytes() []byte {
	b := make([]byte, 0, ConfigSize)
	var fixed [FixedSize]byte
	copy(fixed[:], c.Fixed)
	b = append(b, fixed[:]...)
	b = append(b, c.UID[:]...)
	b = append(b, c.Key[:]...)
	b = append(b, c.AccessCode[:]...)
	b = append(b, byte(len(c.Fixed)), c.Ext, c.Tkt, c.Cfg, 0, 0)
	return AppendCRC(b)
}

// Wipe zeroes the secret parts.
func (c *Config) Wipe() {
	c.UID = [UIDSize]byte{}
	c.Key = [KeySize]byte{}
	c.AccessCode = [AccessCodeSize]byte{}
}

// DeleteConfig is the all-zero configuration that empties a slot (its CRC
// bytes are zero too).
func DeleteConfig() []byte { return make([]byte, ConfigSize) }

// ParseConfig reads a 52-byte configuration and checks its CRC. An
// all-zero buffer is the delete configuration (ModeEmpty).
func ParseConfig(b []byte) (*Config, error) {
	if len(b) != ConfigSize {
		return nil, fmt.Errorf("configuration is %d bytes, want %d", len(b), ConfigSize)
	}
	if bytes.Equal(b, make([]byte, ConfigSize)) {
		return &Config{}, nil
	}
	if !CheckCRC(b) {
		return nil, errors.New("configuration CRC mismatch")
	}
	n := int(b[44])
	if n > FixedSize {
		return nil, fmt.Errorf("fixed size %d exceeds %d", n, FixedSize)
	}
	if !bytes.Equal(b[n:FixedSize], make([]byte, FixedSize-n)) {
		return nil, fmt.Errorf("fixed data past its size (%d bytes) is not zero", n)
	}
	c := &Config{Fixed: append([]byte(nil), b[:n]...), Ext: b[45], Tkt: b[46], Cfg: b[47]}
	copy(c.UID[:], b[16:22])
	copy(c.Key[:], b[22:38])
	copy(c.AccessCode[:], b[38:44])
	return c, nil
}

// keyboard sets ykman's defaults for a slot that types: SERIAL_API_VISIBLE,
// ALLOW_UPDATE, FAST_TRIG (ext 34) and APPEND_CR.
func keyboard() *Config {
	return &Config{Ext: ExtSerialAPIVisible | ExtAllowUpdate | ExtFastTrig, Tkt: TktAppendCR}
}

// SetAppendCR turns the Enter after the typed OTP on or off (keyboard modes).
func (c *Config) SetAppendCR(on bool) *Config { return c.setFlag(&c.Tkt, TktAppendCR, on) }

// SetSerialAPIVisible turns reading the serial number over the API on or
// off. It is on by default: without it the serial can no longer be read.
func (c *Config) SetSerialAPIVisible(on bool) *Config {
	return c.setFlag(&c.Ext, ExtSerialAPIVisible, on)
}

// SetAccessCode sets the access code the slot will be protected with;
// nil or all zero removes it.
func (c *Config) SetAccessCode(code []byte) error {
	c.AccessCode = [AccessCodeSize]byte{}
	if code == nil {
		return nil
	}
	if len(code) != AccessCodeSize {
		return fmt.Errorf("access code is %d bytes, want %d", len(code), AccessCodeSize)
	}
	copy(c.AccessCode[:], code)
	return nil
}

func (c *Config) setFlag(f *byte, bit byte, on bool) *Config {
	if on {
		*f |= bit
	} else {
		*f &^= bit
	}
	return c
}

// YubicoOTPConfig is a Yubico OTP credential with ykman's defaults:
// publicID (at most 16 bytes, usually 6), a 6-byte private ID and a 16-byte
// AES key.
func YubicoOTPConfig(publicID, privateID, aesKey []byte) (*Config, error) {
	if len(publicID) > FixedSize {
		return nil, fmt.Errorf("public ID is %d bytes, at most %d", len(publicID), FixedSize)
	}
	if len(privateID) != UIDSize {
		return nil, fmt.Errorf("private ID is %d bytes, want %d", len(privateID), UIDSize)
	}
	if len(aesKey) != KeySize {
		return nil, fmt.Errorf("AES key is %d bytes, want %d", len(aesKey), KeySize)
	}
	c := keyboard()
	c.Fixed = append([]byte(nil), publicID...)
	copy(c.UID[:], privateID)
	copy(c.Key[:], aesKey)
	return c, nil
}

// SerialPublicID is ykman's public ID for a serial number: FF 00 followed
// by the serial as 4 big-endian bytes (modhex "vvcc…").
func SerialPublicID(serial uint32) []byte {
	b := []byte{0xFF, 0x00, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[2:], serial)
	return b
}

// setHMACKey packs a key of at most 20 bytes (longer than 64: hashed with
// SHA-1, as HMAC does) into Key and UID[0:4].
func (c *Config) setHMACKey(key []byte) error {
	if len(key) == 0 {
		return errors.New("empty HMAC key")
	}
	if len(key) > 64 {
		h := sha1.Sum(key)
		key = h[:]
	} else if len(key) > HMACKeySize {
		return fmt.Errorf("HMAC key is %d bytes, at most %d", len(key), HMACKeySize)
	}
	copy(c.Key[:], key)
	if len(key) > KeySize {
		copy(c.UID[:], key[KeySize:])
	}
	return nil
}

// HOTPOptions are the OATH-HOTP settings beyond the key.
type HOTPOptions struct {
	Digits  int    // 6 (default) or 8
	Counter uint32 // initial moving factor: a multiple of 16, at most MaxHOTPCounter
	// TokenID is the fixed part typed before the code (OMP, TT, MUI), or
	// nil for none; FixedModhex1/2 say which leading bytes are sent as
	// modhex (see ParseTokenID).
	TokenID      []byte
	FixedModhex1 bool
	FixedModhex2 bool
}

// HOTPConfig is an OATH-HOTP (HMAC-SHA1) credential with ykman's defaults.
func HOTPConfig(key []byte, o HOTPOptions) (*Config, error) {
	c := keyboard()
	c.Tkt |= TktOATHHOTP
	if err := c.setHMACKey(key); err != nil {
		return nil, err
	}
	switch o.Digits {
	case 0, 6:
	case 8:
		c.Cfg |= CfgOATHHOTP8
	default:
		return nil, fmt.Errorf("HOTP digits %d: a YubiKey slot gives 6 or 8", o.Digits)
	}
	if o.Counter%16 != 0 || o.Counter > MaxHOTPCounter {
		return nil, fmt.Errorf("HOTP counter %d: must be a multiple of 16 between 0 and %d", o.Counter, MaxHOTPCounter)
	}
	binary.BigEndian.PutUint16(c.UID[4:], uint16(o.Counter>>4))
	if len(o.TokenID) > FixedSize {
		return nil, fmt.Errorf("token identifier is %d bytes, at most %d", len(o.TokenID), FixedSize)
	}
	c.Fixed = append([]byte(nil), o.TokenID...)
	if o.FixedModhex1 {
		c.Cfg |= CfgOATHFixedModhex1
	}
	if o.FixedModhex2 {
		c.Cfg |= CfgOATHFixedModhex2
	}
	return c, nil
}

// HOTPCounter is the initial moving factor stored in a HOTP configuration.
func (c *Config) HOTPCounter() uint32 { return uint32(binary.BigEndian.Uint16(c.UID[4:])) << 4 }

// HMACKey is the 20-byte HMAC key of a HOTP or challenge-response
// configuration.
func (c *Config) HMACKey() []byte {
	k := make([]byte, HMACKeySize)
	copy(k, c.Key[:])
	copy(k[KeySize:], c.UID[:4])
	return k
}

// ChalRespConfig is an HMAC-SHA1 challenge-response credential with
// ykman's defaults (ext 24, challenges shorter than 64 bytes allowed).
// touch requires a button press for each response.
func ChalRespConfig(key []byte, touch bool) (*Config, error) {
	c := &Config{Ext: ExtSerialAPIVisible | ExtAllowUpdate, Tkt: TktChalResp, Cfg: CfgChalHMAC | CfgHMACLT64}
	if err := c.setHMACKey(key); err != nil {
		return nil, err
	}
	if touch {
		c.Cfg |= CfgChalBtnTrig
	}
	return c, nil
}

// SetLT64 says whether challenges may be shorter than 64 bytes
// (challenge-response; on by default).
func (c *Config) SetLT64(on bool) *Config { return c.setFlag(&c.Cfg, CfgHMACLT64, on) }

// ParseTokenID reads an OATH token identifier as ykman takes it: 12
// characters OMP (2) TT (2) MUI (8), each part modhex or decimal; 4
// characters are OMP+TT followed by the serial; 8 are the MUI after the
// default OMP+TT "ubhe"; "-" is "ubhe" and the serial. A modhex part
// after a decimal one is refused.
func ParseTokenID(id string, serial uint32) (fixed []byte, modhex1, modhex2 bool, err error) {
	if id == "-" {
		id = "ubhe"
	}
	switch len(id) {
	case 4:
		id += fmt.Sprintf("%08d", serial)
	case 8:
		id = "ubhe" + id
	}
	if len(id) != 12 {
		return nil, false, false, fmt.Errorf("token identifier %q: want 12 characters (OMP TT MUI), 8 (MUI) or 4 (OMP TT)", id)
	}
	part := func(s string) ([]byte, bool, error) {
		if b, err := ParseModhex(s); err == nil {
			return b, true, nil
		}
		if _, err := strconv.ParseUint(s, 10, 64); err != nil {
			return nil, false, fmt.Errorf("token identifier part %q is neither modhex nor decimal", s)
		}
		b := make([]byte, len(s)/2)
		for i := range b {
			b[i] = (s[2*i]-'0')<<4 | (s[2*i+1] - '0')
		}
		return b, false, nil
	}
	omp, ompM, err := part(id[:2])
	if err != nil {
		return nil, false, false, err
	}
	tt, ttM, err := part(id[2:4])
	if err != nil {
		return nil, false, false, err
	}
	mui, muiM, err := part(id[4:])
	if err != nil {
		return nil, false, false, err
	}
	if ttM && !ompM {
		return nil, false, false, errors.New("token identifier: TT can be modhex only when OMP is")
	}
	if muiM && !(ompM && ttM) {
		return nil, false, false, errors.New("token identifier: MUI can be modhex only when OMP and TT are")
	}
	fixed = append(append(append([]byte{}, omp...), tt...), mui...)
	switch {
	case muiM:
		modhex1, modhex2 = true, true
	case ttM:
		modhex2 = true
	case ompM:
		modhex1 = true
	}
	return fixed, modhex1, modhex2, nil
}

// FixedText is the fixed part as the key types it: all modhex for Yubico
// OTP; for OATH-HOTP, the leading bytes the modhex flags name as modhex and
// the rest as hex digits (BCD shows as decimal).
func (c *Config) FixedText() string {
	if c.Mode() != ModeHOTP {
		return Modhex(c.Fixed)
	}
	n := 0
	switch c.Cfg & CfgOATHFixedModhex {
	case CfgOATHFixedModhex:
		n = len(c.Fixed)
	case CfgOATHFixedModhex2:
		n = 2
	case CfgOATHFixedModhex1:
		n = 1
	}
	if n > len(c.Fixed) {
		n = len(c.Fixed)
	}
	const hexd = "0123456789abcdef"
	s := Modhex(c.Fixed[:n])
	for _, b := range c.Fixed[n:] {
		s += string([]byte{hexd[b>>4], hexd[b&15]})
	}
	return s
}

// UpdateConfig is ykman's configuration for updating a programmed slot's
// settings (command 4/5) without touching its secret: keyboard defaults,
// Enter after the output when appendCR, and an all-zero 16-byte fixed
// part. Set the access code to keep or change with SetAccessCode.
func UpdateConfig(appendCR bool) *Config {
	c := keyboard()
	c.Fixed = make([]byte, FixedSize)
	return c.SetAppendCR(appendCR)
}
