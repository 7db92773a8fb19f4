// Package token2 emulates the card side of a Token2 single-profile
// programmable TOTP token (reference §1), faithfully enough for tokenctl's
// own session to be tested against it through the real PC/SC stack
// (scard → pcscd → vpcd → this emulator):
//
//   - get info answers the serial (which chooses the model through the
//     model map) and the device clock;
//   - get challenge / authenticate check SM4-ECB(device key, challenge ‖
//     8×00); each challenge serves one attempt, and every authenticate
//     APDU ends the authentication before it (a failed one leaves the
//     token unauthenticated);
//   - writes check CLA 84, the MAC, lengths, the padding (80 00…) of the
//     decrypted seed and its length (10..63 bytes), and parse the
//     configuration TLV strictly (bad data → 6A 80, bad length → 67 00,
//     MAC wrong or not authenticated → 69 83);
//   - every 69 83 is a failed attempt: it ends the authentication and
//     counts toward lock-out (a wrong cryptogram, an authenticate with no
//     challenge before it, a wrong or missing MAC, a write before
//     authenticating); after LockAfter (default 5) consecutive failures
//     the token locks: every later authentication answers 69 83, as older
//     firmware does, until the emulator is discarded. A successful
//     authentication resets the count;
//   - a token whose serial is not a programmable model (a C202, say)
//     answers 6D 00 to both writes and changes nothing;
//   - a configuration write sets the clock, hash, period and display
//     timeout; on a restricted model it erases the seed;
//   - the clock runs from the host clock plus an offset (Options.Drift
//     at start, then whatever the last configuration set: the clock is set
//     to the written second when the write arrives), and gains
//     Options.DriftPerDay per day from then on if asked;
//   - DisplayCode is the code the token's display would show now;
//   - with Options.Contact the token behaves as a T=0 contact card:
//     responses with data come as 61 XX and must be fetched with GET
//     RESPONSE (00 C0 00 00 XX; a wrong Le gets 6C XX).
//
// A Token is a vpcd.Card (and vpcd.Resetter): insert it with vpcd.Insert,
// or let a Stream present a box of them one after another.
package token2

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	t2 "github.com/tokenctl/tokenctl/token2"
)

// DefaultSerial is an OTPC-P1-i (unrestricted) token.
const DefaultSerial = "86596120001"

// DefaultLockAfter is how many consecutive failed authentications lock
// the emulated token.
const DefaultLockAfter = 5

// ContactlessATR and ContactATR are the answers to reset the emulator gives.
var (
	ContactlessATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}
	ContactATR     = []byte{0x3B, 0x02, 0x14, 0x50}
)

// Options configure a new emulated token.
type Options struct {
	Serial string        // decimal serial; default DefaultSerial
	Key    []byte        // device key; nil = the family key (another one makes every host authentication fail)
	Drift  time.Duration // device clock minus host clock at start
	// DriftPerDay is how much the device clock gains per day of host time
	// (negative: loses), from start and again from each clock setting.
	DriftPerDay time.Duration
	Contact     bool // T=0 contact card (61 XX / GET RESPONSE)
	LockAfter   int  // failed authentications before lock-out; 0 = DefaultLockAfter
	// Now is the host clock the device clock runs from; nil = time.Now.
	Now func() time.Time
}

// State is a snapshot of an emulated token, for tests.
type State struct {
	Serial     string
	Model      string // "" when the serial is not in the model map
	Restricted bool
	Seed       []byte // nil when the token holds no seed
	Hash       seed.Hash
	Period     int
	Display    int // seconds
	Clock      time.Time
	Locked     bool
	BadAuths   int // consecutive failed authentications
	// Counters over the token's life.
	APDUs, Auths, ConfigWrites, SeedWrites, Resets int
	Log                                            []byte // INS of every APDU, in order
	// ConfigTLV is the plaintext of the last configuration write accepted.
	ConfigTLV []byte
}

// Token is one emulated token. Its methods are safe for concurrent use.
type Token struct {
	mu        sync.Mutex
	serial    string
	model     t2.Model
	known     bool
	key       []byte
	contact   bool
	lockAfter int
	now       func() time.Time

	offset  time.Duration
	anchor  time.Time // host time the offset was last set
	perDay  time.Duration
	seed    []byte
	hash    seed.Hash
	period  int
	display int

	challenge []byte
	authed    bool
	bad       int
	locked    bool
	pending   []byte // contact mode: data waiting for GET RESPONSE

	apdus, auths, configs, seeds, resets int
	log                                  []byte
	configTLV                            []byte
	lastAPDU                             time.Time
	resetsAtAuth                         int // value of resets at the last authenticate APDU
}

// activity is what a Stream needs to decide that the host is done.
type activity struct {
	apdus, auths, resets, resetsAtAuth int
	last                               time.Time
}

func (t *Token) activity() activity {
	t.mu.Lock()
	defer t.mu.Unlock()
	return activity{t.apdus, t.auths, t.resets, t.resetsAtAuth, t.lastAPDU}
}

// New makes a token in factory state: no seed, SHA-1, 30 s, display 30 s.
func New(o Options) *Token {
	t := &Token{
		serial:    o.Serial,
		key:       o.Key,
		contact:   o.Contact,
		lockAfter: o.LockAfter,
		now:       o.Now,
		offset:    o.Drift,
		perDay:    o.DriftPerDay,
		hash:      seed.SHA1,
		period:    30,
		display:   30,
	}
	if t.serial == "" {
		t.serial = DefaultSerial
	}
	if t.key == nil {
		t.key = t2.DeviceKey
	}
	if t.lockAfter <= 0 {
		t.lockAfter = DefaultLockAfter
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.anchor = t.now()
	if m, err := t2.Lookup(t.serial); err == nil {
		t.model, t.known = m, true
	}
	return t
}

// Serial is the token's serial number.
func (t *Token) Serial() string { return t.serial }

// ATR implements vpcd.Card.
func (t *Token) ATR() []byte {
	if t.contact {
		return append([]byte(nil), ContactATR...)
	}
	return append([]byte(nil), ContactlessATR...)
}

// Reset implements vpcd.Resetter: a power cycle or warm reset ends the
// authentication and drops any challenge.
func (t *Token) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.resets++
	t.authed = false
	t.challenge = nil
	t.pending = nil
}

// Clock is the device clock now.
func (t *Token) Clock() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.clock()
}

func (t *Token) clock() time.Time {
	now := t.now()
	d := t.offset
	if t.perDay != 0 {
		d += time.Duration(float64(now.Sub(t.anchor)) * float64(t.perDay) / float64(24*time.Hour))
	}
	return now.Add(d)
}

// DisplayCode is the 6-digit code the token's display would show now. ok
// is false when the token holds no seed (its display shows nothing useful).
func (t *Token) DisplayCode() (code string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seed == nil {
		return "", false
	}
	c, err := seed.TOTPCode(t.seed, t.clock(), t.hash, 6, t.period)
	return c, err == nil
}

// State returns a snapshot (the seed is a copy).
func (t *Token) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := State{
		Serial: t.serial, Hash: t.hash, Period: t.period, Display: t.display,
		Clock: t.clock(), Locked: t.locked, BadAuths: t.bad,
		APDUs: t.apdus, Auths: t.auths, ConfigWrites: t.configs, SeedWrites: t.seeds, Resets: t.resets,
		Log: append([]byte(nil), t.log...), ConfigTLV: append([]byte(nil), t.configTLV...),
	}
	if t.known {
		s.Model, s.Restricted = t.model.Name, t.model.Restricted
	}
	if t.seed != nil {
		s.Seed = append([]byte(nil), t.seed...)
	}
	return s
}

func sw(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

var (
	swOK        = sw(0x9000)
	swAuth      = sw(0x6983)
	swWrongData = sw(0x6A80)
	swWrongLen  = sw(0x6700)
	swINS       = sw(0x6D00)
	swCLA       = sw(0x6E00)
)

// Transmit implements vpcd.Card: it answers one command APDU.
func (t *Token) Transmit(cmd []byte) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.apdus++
	t.lastAPDU = time.Now()
	if len(cmd) < 4 {
		return swWrongLen
	}
	t.log = append(t.log, cmd[1])
	if t.contact && cmd[0] == 0x00 && cmd[1] == 0xC0 {
		return t.getResponse(cmd)
	}
	t.pending = nil
	data, status := t.dispatch(cmd)
	if t.contact && len(data) > 0 {
		t.pending = data
		return []byte{0x61, byte(len(data))}
	}
	return append(data, status...)
}

func (t *Token) getResponse(cmd []byte) []byte {
	if t.pending == nil {
		return sw(0x6985)
	}
	if len(cmd) != 5 {
		return swWrongLen
	}
	if int(cmd[4]) != len(t.pending) {
		return []byte{0x6C, byte(len(t.pending))}
	}
	out := append(t.pending, swOK...)
	t.pending = nil
	return out
}

// body checks the short-APDU length byte and returns the command data.
func body(cmd []byte) ([]byte, bool) {
	if len(cmd) < 5 || len(cmd) != 5+int(cmd[4]) {
		return nil, false
	}
	return cmd[5:], true
}

func (t *Token) dispatch(cmd []byte) ([]byte, []byte) {
	cla, ins := cmd[0], cmd[1]
	if !t.known && (cla == 0x80 || cla == 0x84) && (ins == t2.InsWriteSeed || ins == t2.InsWriteConfig) {
		// Reference §1 only says such a token must never be written. The
		// emulator makes it a token without the write commands (6D 00),
		// whatever the authentication or MAC, and changes nothing: a host
		// that writes to it anyway gets an error, and its seed and
		// settings stay as they were for the test to check.
		return nil, swINS
	}
	switch cla {
	case 0x80:
		switch ins {
		case t2.InsGetInfo:
			return t.getInfo(cmd)
		case t2.InsGetChallenge:
			return t.getChallenge(cmd)
		case t2.InsAuthenticate:
			return t.authenticate(cmd)
		case t2.InsWriteSeed, t2.InsWriteConfig:
			return nil, t.fail() // a write without MAC
		}
		return nil, swINS
	case 0x84:
		switch ins {
		case t2.InsWriteSeed:
			return t.writeSeed(cmd)
		case t2.InsWriteConfig:
			return t.writeConfig(cmd)
		}
		return nil, swINS
	}
	return nil, swCLA
}

func (t *Token) getInfo(cmd []byte) ([]byte, []byte) {
	b, ok := body(cmd)
	if !ok || len(b) != 2 {
		return nil, swWrongLen
	}
	if cmd[2] != 0 || cmd[3] != 0 || !bytes.Equal(b, []byte{0x02, 0x11}) {
		return nil, swWrongData
	}
	out := []byte{0x01, 0x02, 0x11, byte(len(t.serial))}
	out = append(out, t.serial...)
	out = append(out, 0x00, 0x04)
	var clk [4]byte
	binary.BigEndian.PutUint32(clk[:], uint32(t.clock().Unix()))
	return append(out, clk[:]...), swOK
}

func (t *Token) getChallenge(cmd []byte) ([]byte, []byte) {
	b, ok := body(cmd)
	if !ok || len(b) != 1 {
		return nil, swWrongLen
	}
	if cmd[2] != 0x08 || cmd[3] != 0 {
		return nil, swWrongData
	}
	t.challenge = make([]byte, 8)
	rand.Read(t.challenge)
	t.authed = false
	return append([]byte(nil), t.challenge...), swOK
}

// fail answers 69 83: the authentication, if any, ends and the failure
// counts toward lock-out. Reference §1 says 69 83 means "authentication
// failed or MAC wrong" and that older firmware locks after repeated
// failures, without saying which failures count; the emulator counts
// every one, the strictest reading, so that a host that sends a bad MAC,
// skips the challenge or writes unauthenticated locks the emulated token
// in a test instead of getting away with it.
func (t *Token) fail() []byte {
	t.authed = false
	if !t.locked {
		t.bad++
		if t.bad >= t.lockAfter {
			t.locked = true
		}
	}
	return swAuth
}

func (t *Token) authenticate(cmd []byte) ([]byte, []byte) {
	t.auths++
	t.resetsAtAuth = t.resets
	// Any authenticate ends the authentication before it: only the answer
	// to this one can open writes again.
	t.authed = false
	ch := t.challenge
	t.challenge = nil // one attempt per challenge
	b, ok := body(cmd)
	if !ok || len(b) != 16 {
		return nil, swWrongLen
	}
	if t.locked {
		return nil, swAuth
	}
	if ch == nil {
		return nil, t.fail()
	}
	want, err := t2.AuthResponse(t.key, ch)
	if err != nil || !bytes.Equal(want, b) {
		return nil, t.fail()
	}
	t.bad = 0
	t.authed = true
	return nil, swOK
}

// open checks authentication, length and MAC of a write.
func (t *Token) open(cmd []byte) ([]byte, []byte) {
	if _, ok := body(cmd); !ok {
		return nil, swWrongLen
	}
	if !t.authed {
		return nil, t.fail()
	}
	b, ok, err := t2.OpenSecureCommand(t.key, cmd)
	if err != nil {
		return nil, swWrongLen
	}
	if !ok {
		return nil, t.fail()
	}
	return b, nil
}

func (t *Token) writeSeed(cmd []byte) ([]byte, []byte) {
	if cmd[2] != 0x01 || cmd[3] != 0x00 {
		return nil, swWrongData
	}
	b, status := t.open(cmd)
	if status != nil {
		return nil, status
	}
	if len(b) < 16 || len(b) > 64 || len(b)%16 != 0 {
		return nil, swWrongData
	}
	s, err := t2.DecryptSeed(t.key, b)
	if err != nil || t2.CheckSeed(s) != nil {
		return nil, swWrongData
	}
	t.seed = append([]byte(nil), s...)
	t.seeds++
	return nil, swOK
}

func (t *Token) writeConfig(cmd []byte) ([]byte, []byte) {
	if cmd[2] != 0x00 || cmd[3] != 0x00 {
		return nil, swWrongData
	}
	if len(cmd) >= 5 && cmd[4] != t2.ConfigLen+t2.MACLen {
		return nil, swWrongLen
	}
	b, status := t.open(cmd)
	if status != nil {
		return nil, status
	}
	c, err := t2.ParseConfigTLV(b)
	if err != nil {
		return nil, swWrongData
	}
	// The clock is set to the given second as the write arrives.
	now := t.now()
	t.offset, t.anchor = c.Time.Sub(now), now
	t.hash, t.period, t.display = c.Hash, c.Period, int(c.Display)
	t.configTLV = append([]byte(nil), b...)
	if t.model.Restricted {
		t.seed = nil
	}
	t.configs++
	return nil, swOK
}
