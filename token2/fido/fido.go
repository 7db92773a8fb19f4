// Package fido drives the OTP applet of Token2 FIDO2 keys (T2F2, PIN+):
// the button HOTP a key types when touched (Duo's hardware-token HOTP), its
// Enter, long-press and keypad options, over any apdu.Transmitter: PC/SC
// (CCID, NFC) or USB HID with Token2's 64-byte framing (NewHIDTransmitter).
// Seeds never travel in the clear: each is sealed to the key's P-256 public
// key (ephemeral ECDH, SHA-256 of the shared X coordinate, AES-256-CBC with
// PKCS#7 and the applet's fixed IVs), as the Token2 reference describes.
//
// One command bricks the key: 80 C5 02 01 with interface mask 07 disables
// every interface. The package has no call that builds it, and every
// session transmits through Guard, which refuses it (and any mask with all
// three interface bits) before it reaches the transport.
package fido

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/tokenctl/tokenctl/apdu"
)

// AID selects the OTP applet.
var AID = []byte{0xF0, 0x00, 0x00, 0x01, 0x4F, 0x74, 0x70, 0x01}

// IVs of the applet's AES-256-CBC: stored entries, and the button HOTP seed.
var (
	IVStored, _ = hex.DecodeString("9DD8918E34F3CCAB08CB7518F71938F1")
	IVButton    = make([]byte, 16)
)

// ErrForbidden is the bricking command, refused before the transport.
var ErrForbidden = errors.New("refused: 80 C5 02 01 with interface mask 07 disables every interface of the key (it cannot be undone)")

// Forbidden reports whether cmd is the command that bricks the key: any
// class, INS C5, P1 02, P2 01, whose first data byte has all three
// interface bits set.
func Forbidden(cmd []byte) bool {
	if len(cmd) < 4 || cmd[1] != 0xC5 || cmd[2] != 0x02 || cmd[3] != 0x01 {
		return false
	}
	if len(cmd) < 6 {
		return true // no mask given: nothing to judge, nothing to send
	}
	return cmd[5]&0x07 == 0x07
}

// Guard passes commands on to T, except the one that bricks the key.
type Guard struct{ T apdu.Transmitter }

// Transmit implements apdu.Transmitter.
func (g Guard) Transmit(cmd []byte) ([]byte, error) {
	if Forbidden(cmd) {
		return nil, ErrForbidden
	}
	return g.T.Transmit(cmd)
}

// Session is one conversation with the applet.
type Session struct {
	t apdu.Transmitter
	// Rand is the source of ephemeral keys (crypto/rand; tests fix it).
	Rand io.Reader
	pub  *ecdh.PublicKey
}

// NewSession talks to the applet through t, always behind Guard.
func NewSession(t apdu.Transmitter) *Session {
	return &Session{t: Guard{t}, Rand: rand.Reader}
}

func (s *Session) do(what string, cmd []byte) ([]byte, error) {
	return apdu.Exchange(s.t, what, cmd, nil)
}

// Select selects the OTP applet.
func (s *Session) Select() error {
	_, err := s.do("select the OTP applet", append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(AID))}, AID...))
	return err
}

// PublicKey reads the key's P-256 public key (64 bytes X‖Y), checked to be
// a point of the curve.
func (s *Session) PublicKey() (*ecdh.PublicKey, error) {
	data, err := s.do("read the public key", []byte{0x80, 0xC5, 0x01, 0x00, 0x00})
	if err != nil {
		return nil, err
	}
	if len(data) != 64 {
		return nil, fmt.Errorf("read the public key: %d bytes, want 64 (X‖Y)", len(data))
	}
	pub, err := ecdh.P256().NewPublicKey(append([]byte{0x04}, data...))
	if err != nil {
		return nil, fmt.Errorf("read the public key: not a P-256 point: %w", err)
	}
	s.pub = pub
	return pub, nil
}

// Fingerprint is the SHA-256 of pub's uncompressed encoding (0x04‖X‖Y),
// in hex: how a key's public key is shown to people.
func Fingerprint(pub *ecdh.PublicKey) string {
	sum := sha256.Sum256(pub.Bytes())
	return hex.EncodeToString(sum[:])
}

// Seal encrypts plain to pub as the applet expects: an ephemeral P-256 key
// (read from r), AES-256-CBC under SHA-256 of the shared X coordinate with
// PKCS#7 padding and iv; the blob is the ephemeral public key X‖Y followed
// by the ciphertext.
func Seal(r io.Reader, pub *ecdh.PublicKey, plain, iv []byte) ([]byte, error) {
	var eph *ecdh.PrivateKey
	for tries := 0; eph == nil; tries++ {
		if tries == 16 {
			return nil, errors.New("seal: no valid ephemeral key from the random source")
		}
		scalar := make([]byte, 32)
		if _, err := io.ReadFull(r, scalar); err != nil {
			return nil, fmt.Errorf("seal: %w", err)
		}
		eph, _ = ecdh.P256().NewPrivateKey(scalar) // out of range: read again
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	key := sha256.Sum256(shared)
	defer clear(key[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	defer clear(buf)
	ct := make([]byte, len(buf))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, buf)
	return append(eph.PublicKey().Bytes()[1:], ct...), nil
}

// Open is Seal's inverse with the key's private key (for the emulator and
// tests).
func Open(priv *ecdh.PrivateKey, blob, iv []byte) ([]byte, error) {
	if len(blob) < 64+aes.BlockSize || (len(blob)-64)%aes.BlockSize != 0 {
		return nil, errors.New("open: malformed blob")
	}
	eph, err := ecdh.P256().NewPublicKey(append([]byte{0x04}, blob[:64]...))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	shared, err := priv.ECDH(eph)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256(shared)
	defer clear(key[:])
	block, _ := aes.NewCipher(key[:])
	plain := make([]byte, len(blob)-64)
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, blob[64:])
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("open: bad padding")
	}
	return plain[:len(plain)-pad], nil
}

// MaxSeed is the longest button HOTP seed (the length travels in a byte;
// HMAC-SHA1 keys beyond 64 bytes are hashed anyway).
const MaxSeed = 64

func (s *Session) key() (*ecdh.PublicKey, error) {
	if s.pub != nil {
		return s.pub, nil
	}
	return s.PublicKey()
}

// SetButtonHOTP seals seed with its digits (6 or 8) and stores it as the
// button HOTP (counter 0).
func (s *Session) SetButtonHOTP(digits int, seed []byte) error {
	if digits != 6 && digits != 8 {
		return fmt.Errorf("button HOTP: %d digits, want 6 or 8", digits)
	}
	if len(seed) == 0 || len(seed) > MaxSeed {
		return fmt.Errorf("button HOTP: a seed of %d bytes, want 1 to %d", len(seed), MaxSeed)
	}
	return s.setButton(append([]byte{byte(digits), byte(len(seed))}, seed...))
}

// DeleteButtonHOTP removes the button HOTP.
func (s *Session) DeleteButtonHOTP() error { return s.setButton([]byte{0x00, 0x00}) }

func (s *Session) setButton(plain []byte) error {
	defer clear(plain)
	pub, err := s.key()
	if err != nil {
		return err
	}
	blob, err := Seal(s.Rand, pub, plain, IVButton)
	if err != nil {
		return err
	}
	_, err = s.do("set the button HOTP", append([]byte{0x80, 0xC5, 0x00, 0x00, byte(len(blob))}, blob...))
	return err
}

// Options of the button HOTP.
type Options struct {
	NoEnter   bool // do not type Enter after the code
	LongPress bool // type the code on a long press only
	Keypad    bool // type with keypad scan codes (AZERTY and other layouts)
}

// SetOptions writes the three button options.
func (s *Session) SetOptions(o Options) error {
	for _, opt := range []struct {
		p2   byte
		on   bool
		what string
	}{{0x02, o.NoEnter, "set Enter"}, {0x04, o.LongPress, "set long press"}, {0x06, o.Keypad, "set keypad codes"}} {
		v := byte(0)
		if opt.on {
			v = 1
		}
		if _, err := s.do(opt.what, []byte{0x80, 0xC5, 0x02, opt.p2, 0x01, v}); err != nil {
			return err
		}
	}
	return nil
}
