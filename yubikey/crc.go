// Package yubikey personalizes the OTP application of a YubiKey: the two
// keyboard slots that hold a Yubico OTP, OATH-HOTP, challenge-response or
// static credential. It builds the 52-byte slot configurations the way
// Yubico's own tools do (ykman's defaults), and drives a key through a
// small Backend: USB HID feature reports (package hid) or CCID APDUs over
// PC/SC and NFC (NewCCID). It also verifies Yubico OTPs (DecodeOTP).
//
// A typical write:
//
//	b, _ := yubikey.NewCCID(card)        // or hid.NewOTP(dev)
//	s, _ := yubikey.NewSession(b)
//	serial, _ := s.Serial()
//	cfg, _ := yubikey.YubicoOTPConfig(publicID, privateID, aesKey)
//	err := s.Put(yubikey.Slot1, cfg, nil)
package yubikey

// CRC16 is the CRC-16 YubiKeys use: initial value FFFF, reflected
// polynomial 8408, no final XOR.
func CRC16(data []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, b := range data {
		crc ^= uint16(b)
		for i := 0; i < 8; i++ {
			lsb := crc & 1
			crc >>= 1
			if lsb == 1 {
				crc ^= 0x8408
			}
		}
	}
	return crc
}

// CRCResidual is what CRC16 gives over data followed by its stored CRC
// (one's complement, little-endian).
const CRCResidual = 0xF0B8

// CheckCRC reports whether data ends with a valid stored CRC.
func CheckCRC(data []byte) bool { return CRC16(data) == CRCResidual }

// AppendCRC appends the one's complement of CRC16(data), little-endian.
func AppendCRC(data []byte) []byte {
	c := ^CRC16(data)
	return append(data, byte(c), byte(c>>8))
}
