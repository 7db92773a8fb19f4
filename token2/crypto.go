package token2

import (
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm4"
)

// DeviceKey is the fixed SM4 key every single-profile Token2 programmable
// token shares (reference §1: used directly, no session key).
var DeviceKey = mustHex("8AD206883CA369482AB27182B6E83224")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Seed length limits the token accepts, in bytes.
const (
	MinSeedLen = 10
	MaxSeedLen = 63
)

// MACLen is the length of the MAC every authenticated write carries.
const MACLen = 4

func newSM4(key []byte) (cipher.Block, error) {
	b, err := sm4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("SM4 key: %w", err)
	}
	return b, nil
}

// ecb encrypts or decrypts src (a whole number of blocks) block by block.
func ecb(key, src []byte, decrypt bool) ([]byte, error) {
	if len(src)%sm4.BlockSize != 0 {
		return nil, fmt.Errorf("SM4-ECB: %d bytes is not a whole number of blocks", len(src))
	}
	b, err := newSM4(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(src))
	for i := 0; i < len(src); i += sm4.BlockSize {
		if decrypt {
			b.Decrypt(out[i:i+sm4.BlockSize], src[i:i+sm4.BlockSize])
		} else {
			b.Encrypt(out[i:i+sm4.BlockSize], src[i:i+sm4.BlockSize])
		}
	}
	return out, nil
}

// EncryptECB is SM4-ECB encryption of whole blocks under key.
func EncryptECB(key, src []byte) ([]byte, error) { return ecb(key, src, false) }

// DecryptECB is SM4-ECB decryption of whole blocks under key.
func DecryptECB(key, src []byte) ([]byte, error) { return ecb(key, src, true) }

// AuthResponse is the answer to a challenge: SM4-ECB(key, challenge ‖ 8×00).
func AuthResponse(key, challenge []byte) ([]byte, error) {
	if len(challenge) != 8 {
		return nil, fmt.Errorf("challenge of %d bytes, want 8", len(challenge))
	}
	block := make([]byte, 16)
	copy(block, challenge)
	return EncryptECB(key, block)
}

// Pad applies ISO/IEC 9797-1 padding method 2: 80 then 00s up to a
// multiple of 16, always adding at least one byte (a whole block when b is
// already aligned).
func Pad(b []byte) []byte {
	n := (len(b)/16 + 1) * 16
	out := make([]byte, n)
	copy(out, b)
	out[len(b)] = 0x80
	return out
}

// ErrPadding reports a block that does not end in 80 00…00.
var ErrPadding = errors.New("bad ISO 9797-1 method 2 padding")

// Unpad removes ISO/IEC 9797-1 method 2 padding. The result shares b's
// storage.
func Unpad(b []byte) ([]byte, error) {
	if len(b) == 0 || len(b)%16 != 0 {
		return nil, ErrPadding
	}
	i := len(b) - 1
	for i >= 0 && b[i] == 0 && len(b)-i <= 16 {
		i--
	}
	if i < 0 || b[i] != 0x80 || len(b)-i > 16 {
		return nil, ErrPadding
	}
	return b[:i], nil
}

// EncryptSeed pads (method 2, always) and encrypts a raw seed of
// MinSeedLen..MaxSeedLen bytes for the write-seed command.
func EncryptSeed(key, secret []byte) ([]byte, error) {
	if err := CheckSeed(secret); err != nil {
		return nil, err
	}
	p := Pad(secret)
	defer zero(p)
	return EncryptECB(key, p)
}

// DecryptSeed undoes EncryptSeed (what the token does).
func DecryptSeed(key, enc []byte) ([]byte, error) {
	p, err := DecryptECB(key, enc)
	if err != nil {
		return nil, err
	}
	s, err := Unpad(p)
	if err != nil {
		zero(p)
		return nil, err
	}
	return s, nil
}

// CheckSeed checks a raw seed's length against what the token takes.
func CheckSeed(secret []byte) error {
	if len(secret) < MinSeedLen || len(secret) > MaxSeedLen {
		return fmt.Errorf("seed of %d bytes: Token2 tokens take %d to %d bytes", len(secret), MinSeedLen, MaxSeedLen)
	}
	return nil
}

// MAC computes the 4-byte MAC of a write command (reference §1): over
// 80 ‖ INS ‖ P1 ‖ P2 ‖ len(body) ‖ body, padded with 80 00… only when not
// block-aligned, SM4-CBC with a zero IV, first 4 bytes of the last block.
func MAC(key []byte, ins, p1, p2 byte, body []byte) ([]byte, error) {
	if len(body) > 255-MACLen {
		return nil, fmt.Errorf("command body of %d bytes is too long", len(body))
	}
	m := make([]byte, 0, len(body)+21)
	m = append(m, 0x80, ins, p1, p2, byte(len(body)))
	m = append(m, body...)
	defer zero(m)
	return CBCMAC(key, m)
}

// CBCMAC is the MAC construction under MAC, over any message m: padded
// with 80 00… only when not block-aligned, SM4-CBC with a zero IV, first 4
// bytes of the last block. m is not modified.
func CBCMAC(key, m []byte) ([]byte, error) {
	if len(m)%16 != 0 {
		p := make([]byte, (len(m)/16+1)*16)
		copy(p, m)
		p[len(m)] = 0x80
		defer zero(p)
		m = p
	}
	b, err := newSM4(key)
	if err != nil {
		return nil, err
	}
	var chain [16]byte
	for i := 0; i < len(m); i += 16 {
		for j := 0; j < 16; j++ {
			chain[j] ^= m[i+j]
		}
		b.Encrypt(chain[:], chain[:])
	}
	return append([]byte(nil), chain[:MACLen]...), nil
}

// SecureCommand builds 84 INS P1 P2 (len(body)+4) body MAC.
func SecureCommand(key []byte, ins, p1, p2 byte, body []byte) ([]byte, error) {
	mac, err := MAC(key, ins, p1, p2, body)
	if err != nil {
		return nil, err
	}
	cmd := make([]byte, 0, 5+len(body)+MACLen)
	cmd = append(cmd, 0x84, ins, p1, p2, byte(len(body)+MACLen))
	cmd = append(cmd, body...)
	return append(cmd, mac...), nil
}

// OpenSecureCommand checks the MAC of a command built by SecureCommand and
// returns its body (what the token does). ok is false on a wrong MAC.
func OpenSecureCommand(key, cmd []byte) (body []byte, ok bool, err error) {
	if len(cmd) < 5 || int(cmd[4]) != len(cmd)-5 || cmd[4] < MACLen {
		return nil, false, errors.New("malformed secure command")
	}
	body = cmd[5 : len(cmd)-MACLen]
	mac, err := MAC(key, cmd[1], cmd[2], cmd[3], body)
	if err != nil {
		return nil, false, err
	}
	return body, subtleEqual(mac, cmd[len(cmd)-MACLen:]), nil
}

func subtleEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

func zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
