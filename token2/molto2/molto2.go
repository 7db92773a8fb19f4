// Package molto2 programs Token2's multi-profile TOTP tokens, the Molto2
// (50 profiles) and Molto2 v2 (100 profiles), over any apdu.Transmitter: a
// PC/SC card from package nfc (the Molto2 is a USB CCID smart card), or an
// emulator in tests. It implements the Token2 reference §2 on top of the
// SM4 and MAC helpers of package token2:
//
//   - the SM4 key is the first 16 bytes of SHA-1(customer key);
//   - authentication is the §1 challenge-response (challenge 80 4B 08 00 00);
//     a refusal (63 NN) is an *AuthError carrying the attempts left and is
//     never retried;
//   - each profile has its own seed, title (at most 12 UTF-8 bytes), digits
//     (4, 6, 8, 10), hash (SHA-1, SHA-256), time step (30, 60 s), display
//     timeout and clock;
//   - a profile in use is never overwritten unless the caller asks to
//     replace it, and then its seed is deleted first.
//
// Every parameter is checked before the first APDU; every device refusal
// is an *apdu.StatusError naming the status word. No error carries a seed
// or a key.
package molto2

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
)

// DefaultCustomerKey is the customer key of a factory-fresh Molto2.
var DefaultCustomerKey = []byte("TOKEN2MOLTO1-KEY")

// Profile counts of the two models.
const (
	ProfilesV1 = 50  // Molto2
	ProfilesV2 = 100 // Molto2 v2
	// MaxProfiles is the largest profile count of any model: profile
	// numbers run from 0 to MaxProfiles-1 at most.
	MaxProfiles = ProfilesV2
)

// Instruction bytes of reference §2.
const (
	InsInfo         = 0x41 // device info (P2 = 0, no data) or public block (data 70)
	InsGetChallenge = 0x4B
	InsAuthenticate = 0xCE
	InsWriteSeed    = 0xC5
	InsWriteTitle   = 0xD5
	InsWriteConfig  = 0xD4 // full configuration or time sync
	InsSetKey       = 0xD7
	InsDelete       = 0xE6
	InsReset        = 0x56
	InsScreen       = 0xD8
)

// Status words of §2 beyond the ISO ones in package apdu.
const (
	// SWWaitButton: accepted, waiting for the button on the device.
	SWWaitButton apdu.StatusWord = 0x9060
	// SWLeRefused: the public block asked with an Le byte.
	SWLeRefused apdu.StatusWord = 0x6FFB
)

// MaxTitleLen is the longest title, in UTF-8 bytes.
const MaxTitleLen = 12

// Lengths of the two configuration TLVs.
const (
	ConfigLen = 22
	SyncLen   = 8
)

// SM4Key derives the device's SM4 key from a customer key: the first 16
// bytes of its SHA-1.
func SM4Key(customerKey []byte) []byte {
	h := sha1.Sum(customerKey)
	k := append([]byte(nil), h[:16]...)
	wipe(h[:])
	return k
}

// CheckCustomerKey refuses an empty customer key (the reference allows any
// byte string; an empty one is always a mistake: a file or variable that
// was not filled).
func CheckCustomerKey(k []byte) error {
	if len(k) == 0 {
		return errors.New("customer key is empty")
	}
	return nil
}

// Display is the display timeout in seconds: 15, 30, 60 or 120, as for
// the single-profile tokens (token2.ParseDisplay reads it).
type Display = token2.Display

var displayCodes = map[Display]byte{15: 0, 30: 1, 60: 2, 120: 3}

// Config is one profile's configuration: what a full configuration write
// sets.
type Config struct {
	Display Display   // 15, 30, 60, 120 s; 0 means 30
	Time    time.Time // the profile's clock
	Hash    seed.Hash // SHA1 or SHA256
	Digits  int       // 4, 6, 8 or 10
	Period  int       // 30 or 60 s
}

func hashCode(h seed.Hash) (byte, error) {
	switch h {
	case seed.SHA1:
		return 1, nil
	case seed.SHA256:
		return 2, nil
	}
	return 0, fmt.Errorf("hash %s: the Molto2 does HMAC-SHA1 or HMAC-SHA256", h)
}

func periodCode(p int) (byte, error) {
	switch p {
	case 30:
		return 0x1E, nil
	case 60:
		return 0x3C, nil
	}
	return 0, fmt.Errorf("period %d s: the Molto2 steps 30 or 60 s", p)
}

// CheckDigits accepts 4, 6, 8 and 10.
func CheckDigits(d int) error {
	switch d {
	case 4, 6, 8, 10:
		return nil
	}
	return fmt.Errorf("%d digits: the Molto2 shows 4, 6, 8 or 10", d)
}

func clock(t time.Time) ([]byte, error) {
	u := t.Unix()
	if u < 0 || u > 0xFFFFFFFF {
		return nil, fmt.Errorf("time %s does not fit the device's clock", t.UTC().Format(time.RFC3339))
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(u))
	return b[:], nil
}

// Check validates c without its clock (which may still be unset).
func (c Config) Check() error {
	d := c.Display
	if d == 0 {
		d = 30
	}
	if _, ok := displayCodes[d]; !ok {
		return fmt.Errorf("display timeout %d s: want 15, 30, 60 or 120", int(d))
	}
	if _, err := hashCode(c.Hash); err != nil {
		return err
	}
	if err := CheckDigits(c.Digits); err != nil {
		return err
	}
	_, err := periodCode(c.Period)
	return err
}

// TLV encodes c as the 22-byte profile configuration:
// 81 14 1F 01 <display> 0F 04 <utc> 86 09 0A 01 <hmac> 0B 01 <digits> 0D 01 <step>.
func (c Config) TLV() ([]byte, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	d := c.Display
	if d == 0 {
		d = 30
	}
	h, _ := hashCode(c.Hash)
	s, _ := periodCode(c.Period)
	u, err := clock(c.Time)
	if err != nil {
		return nil, err
	}
	b := []byte{0x81, 0x14, 0x1F, 0x01, displayCodes[d], 0x0F, 0x04}
	b = append(b, u...)
	return append(b, 0x86, 0x09, 0x0A, 0x01, h, 0x0B, 0x01, byte(c.Digits), 0x0D, 0x01, s), nil
}

// ParseConfigTLV decodes a 22-byte configuration (what the device does).
// It is strict: exactly the layout TLV produces, with known values.
func ParseConfigTLV(b []byte) (Config, error) {
	var c Config
	if len(b) != ConfigLen {
		return c, fmt.Errorf("configuration of %d bytes, want %d", len(b), ConfigLen)
	}
	fixed := []struct {
		off int
		v   []byte
	}{{0, []byte{0x81, 0x14, 0x1F, 0x01}}, {5, []byte{0x0F, 0x04}}, {11, []byte{0x86, 0x09, 0x0A, 0x01}}, {16, []byte{0x0B, 0x01}}, {19, []byte{0x0D, 0x01}}}
	for _, f := range fixed {
		if !bytes.Equal(b[f.off:f.off+len(f.v)], f.v) {
			return c, fmt.Errorf("configuration bytes %d-%d are % X, want % X", f.off, f.off+len(f.v)-1, b[f.off:f.off+len(f.v)], f.v)
		}
	}
	found := false
	for d, code := range displayCodes {
		if code == b[4] {
			c.Display, found = d, true
		}
	}
	if !found {
		return c, fmt.Errorf("display code %02X unknown", b[4])
	}
	c.Time = time.Unix(int64(binary.BigEndian.Uint32(b[7:11])), 0).UTC()
	switch b[15] {
	case 1:
		c.Hash = seed.SHA1
	case 2:
		c.Hash = seed.SHA256
	default:
		return c, fmt.Errorf("HMAC code %02X unknown", b[15])
	}
	c.Digits = int(b[18])
	if err := CheckDigits(c.Digits); err != nil {
		return c, err
	}
	switch b[21] {
	case 0x1E:
		c.Period = 30
	case 0x3C:
		c.Period = 60
	default:
		return c, fmt.Errorf("time step %02X unknown", b[21])
	}
	return c, nil
}

// SyncTLV is the 8-byte time-sync configuration 81 06 0F 04 <utc>.
func SyncTLV(t time.Time) ([]byte, error) {
	u, err := clock(t)
	if err != nil {
		return nil, err
	}
	return append([]byte{0x81, 0x06, 0x0F, 0x04}, u...), nil
}

// ParseSyncTLV decodes a time-sync configuration.
func ParseSyncTLV(b []byte) (time.Time, error) {
	if len(b) != SyncLen || !bytes.Equal(b[:4], []byte{0x81, 0x06, 0x0F, 0x04}) {
		return time.Time{}, errors.New("not a time-sync configuration (81 06 0F 04 <utc>)")
	}
	return time.Unix(int64(binary.BigEndian.Uint32(b[4:])), 0).UTC(), nil
}

// IsClearSeed reports whether s is the all-zero "clear" value.
func IsClearSeed(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	for _, b := range s {
		if b != 0 {
			return false
		}
	}
	return true
}

// ErrClearSeed is an all-zero seed given to a burn: on the wire it is the
// value that clears a profile, not a secret.
var ErrClearSeed = errors.New("the seed is all zero bytes: that is the Molto2's clear value, not a secret (use delete to empty a profile)")

// CheckSeed checks a seed for a burn: 10 to 63 bytes (as §1), not all zero.
func CheckSeed(s []byte) error {
	if err := token2.CheckSeed(s); err != nil {
		return err
	}
	if IsClearSeed(s) {
		return ErrClearSeed
	}
	return nil
}

// SeedPlain is the plaintext of a write-seed body: seed padded with 80
// then 00s to a multiple of 16 (always: an aligned seed gets a whole extra
// block), or, when clear is true, the all-zero clear value of len(s)
// bytes padded with 00s only (an aligned one gets no extra block).
// The caller wipes the result.
func SeedPlain(s []byte, clear bool) []byte {
	if !clear {
		return token2.Pad(s)
	}
	n := (len(s) + 15) / 16 * 16
	if n == 0 {
		n = 16
	}
	return make([]byte, n)
}

// SeedBody is the encrypted body of a write-seed command (SM4-ECB of
// SeedPlain under key). clear selects the clear form and needs an
// all-zero s.
func SeedBody(key, s []byte, clear bool) ([]byte, error) {
	if clear {
		if !IsClearSeed(s) || len(s) > token2.MaxSeedLen {
			return nil, errors.New("the clear form is for an all-zero value of 1 to 63 bytes")
		}
	} else if err := token2.CheckSeed(s); err != nil {
		return nil, err
	}
	p := SeedPlain(s, clear)
	defer wipe(p)
	return token2.EncryptECB(key, p)
}

// CheckTitle accepts valid UTF-8 of at most MaxTitleLen bytes, without NUL
// (the device stores the title zero-padded: a NUL would cut it short) or
// other control characters. The empty title is valid: it means none.
func CheckTitle(title string) error {
	if len(title) > MaxTitleLen {
		return fmt.Errorf("title %q is %d UTF-8 bytes: the Molto2 takes at most %d", title, len(title), MaxTitleLen)
	}
	if !utf8.ValidString(title) {
		return fmt.Errorf("title %q is not valid UTF-8", title)
	}
	for _, r := range title {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) {
			return fmt.Errorf("title %q has a control character (U+%04X)", title, r)
		}
	}
	return nil
}

// TitleBody is the encrypted body of a write-title command: the title
// padded 80 00… to 16 bytes, SM4-ECB under key.
func TitleBody(key []byte, title string) ([]byte, error) {
	if err := CheckTitle(title); err != nil {
		return nil, err
	}
	if title == "" {
		return nil, errors.New("empty title: nothing to write")
	}
	return token2.EncryptECB(key, token2.Pad([]byte(title)))
}

// KeyChangePlain is the 32-byte plaintext of a set-customer-key command:
// 00 ‖ SHA-1(new)[0:16] ‖ 80 ‖ 00×14. The caller wipes it.
func KeyChangePlain(newKey []byte) []byte {
	k := SM4Key(newKey)
	defer wipe(k)
	p := make([]byte, 32)
	copy(p[1:], k)
	p[17] = 0x80
	return p
}

// KeyChangeBody is the encrypted body of a set-customer-key command, under
// the current SM4 key.
func KeyChangeBody(currentKey, newKey []byte) ([]byte, error) {
	if err := CheckCustomerKey(newKey); err != nil {
		return nil, fmt.Errorf("new %w", err)
	}
	p := KeyChangePlain(newKey)
	defer wipe(p)
	return token2.EncryptECB(currentKey, p)
}

// PublicLen is the length of a public-block response: 95 1F 70 1D and 29
// bytes.
const PublicLen = 33

// Public is a profile's public block, readable without authentication.
type Public struct {
	Profile int
	Flag    byte   // opaque
	Title   string // zero padding removed
	TimeA   uint32 // opaque (a clock or a last-sync time; unconfirmed)
	TimeB   uint32 // opaque
	// HashCode, Step and Digits are as the device reports them; a profile
	// not in use may report defaults. Hash is HashCode decoded (HashKnown
	// false when the code is not 1 or 2).
	HashCode  byte
	Hash      seed.Hash
	HashKnown bool
	Period    int // seconds, the step byte as is
	Digits    int
	// InUse is the last byte: the only reliable sign that the profile
	// holds a seed.
	InUse bool
}

// ParsePublic decodes the data of a public-block response strictly:
// 95 1F 70 1D then flag, title(16), time A, time B, hmac, step, digits,
// seed present (00 or 01).
func ParsePublic(profile int, data []byte) (*Public, error) {
	if len(data) != PublicLen {
		return nil, fmt.Errorf("public block of profile %d: %d bytes, want %d", profile, len(data), PublicLen)
	}
	if !bytes.Equal(data[:4], []byte{0x95, 0x1F, 0x70, 0x1D}) {
		return nil, fmt.Errorf("public block of profile %d: starts % X, want 95 1F 70 1D", profile, data[:4])
	}
	b := data[4:]
	p := &Public{Profile: profile, Flag: b[0]}
	title := bytes.TrimRight(b[1:17], "\x00")
	if !utf8.Valid(title) {
		return nil, fmt.Errorf("public block of profile %d: title is not UTF-8", profile)
	}
	p.Title = string(title)
	p.TimeA = binary.BigEndian.Uint32(b[17:21])
	p.TimeB = binary.BigEndian.Uint32(b[21:25])
	p.HashCode = b[25]
	switch b[25] {
	case 1:
		p.Hash, p.HashKnown = seed.SHA1, true
	case 2:
		p.Hash, p.HashKnown = seed.SHA256, true
	}
	p.Period = int(b[26])
	p.Digits = int(b[27])
	switch b[28] {
	case 0:
	case 1:
		p.InUse = true
	default:
		return nil, fmt.Errorf("public block of profile %d: seed-present byte is %02X, want 00 or 01", profile, b[28])
	}
	return p, nil
}

// Meaning is the Molto2 reading of a status word.
func Meaning(sw apdu.StatusWord) string {
	switch {
	case sw == SWWaitButton:
		return "waiting for the button on the device"
	case sw == SWLeRefused:
		return "command sent with an Le byte the device refuses"
	case sw == apdu.SWRecordNotFound:
		return "referenced data not found (profile empty)"
	case sw == apdu.SWAuthFailed:
		return "authentication failed or MAC wrong"
	case sw.SW1() == 0x63:
		if n, ok := AttemptsLeft(sw); ok {
			return fmt.Sprintf("customer key refused, %d attempts left", n)
		}
	}
	return token2.Meaning(sw)
}

// AttemptsLeft reads the attempts left from a 63 NN refusal. The reference
// gives NN as the count; a device answering in the ISO 7816 form 63 Cx is
// read as x (a raw count of 192 or more is not plausible).
func AttemptsLeft(sw apdu.StatusWord) (int, bool) {
	if sw.SW1() != 0x63 {
		return 0, false
	}
	n := sw.SW2()
	if n&0xF0 == 0xC0 {
		return int(n & 0x0F), true
	}
	return int(n), true
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
