// Package t2fido emulates the OTP applet of a Token2 FIDO2 key (T2F2,
// PIN+; reference §3), faithfully enough for tokenctl's token2/fido
// session to be tested against it through the real PC/SC stack (scard →
// pcscd → vpcd → this emulator) and behind Token2's 64-byte HID framing:
//
//   - SELECT of the applet's AID (00 A4 04 00); another AID answers 6A 82
//     and leaves the applet unselected; the applet's commands answer
//     6D 00 while it is not selected (the card's other applet does not
//     know them), and every reset deselects it;
//   - 80 C5 01 00: the key's own P-256 public key, X‖Y (fixed through
//     Options.Key, KeyFromSeed for tests, or random);
//   - 80 C5 00 00 Lc blob: the button HOTP, a blob sealed to that key
//     (fido.Seal with the button IV) that the emulator opens with its
//     private key; the plaintext is digits (6|8) ‖ len ‖ seed (1..64
//     bytes) or 00 00, which deletes it. Setting it restarts the counter
//     at 0;
//   - 80 C5 02 02 / 04 / 06 01 v: the Enter (01 = no Enter), long-press
//     and keypad options, v 00 or 01;
//   - 80 C5 02 01 01 mask: the interface mask. A mask with all three
//     interface bits (what fido.Forbidden refuses) bricks the key: the
//     command is answered 90 00, then every later command fails, as on the
//     real key. The real one disappears from the bus; the emulated one
//     answers 6F 00 to every APDU (SWBricked) and its HID interface
//     fails (ErrGone). It stays in a vpcd reader because a card pulled from
//     under a connected host leaves pcscd reporting that reader empty for
//     good, and an empty answer hangs vpcd: either would break the tests
//     that use the reader next. Any other mask is stored;
//   - status words as reference §1 gives them: 67 00 wrong length (Lc not
//     matching the data, a missing or extra body), 6A 80 bad data (a blob
//     that is not 64 bytes of point and whole AES blocks, not a point of
//     the curve, whose padding or plaintext is wrong, digits other than 6
//     or 8, a length byte not matching the seed, an option other than 00
//     or 01), 6D 00 unknown INS, 6E 00 unknown CLA; and ISO's 6A 86 for
//     P1-P2 the applet does not have, 6A 82 for another AID;
//   - every APDU the key receives is recorded (Log), so that a test can
//     assert what never arrived (Forbidden reports whether the bricking
//     command did);
//   - Code(counter) is the code a button press types at that counter, and
//     Press types the next one (with Enter unless the option says not).
//
// A Key is a vpcd.Card and vpcd.Resetter (Insert, or a Stream presenting a
// box of keys one after another), and its HID method gives the same key
// behind Token2's HID framing as a fido.Reports.
package t2fido

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2/fido"
)

// DefaultSerial is the serial of a key made without one. The applet has no
// command that reads a serial: it is a label for the Duo line and for
// tests (printed on the key's case).
const DefaultSerial = "T2F2-0001"

// DefaultATR is the answer to reset of the emulated key.
var DefaultATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// Options configure a new emulated key.
type Options struct {
	// Key is the key's P-256 private key; nil makes a random one.
	Key *ecdh.PrivateKey
	// Serial labels the key (DefaultSerial when empty); never on the wire.
	Serial string
	// ATR is its answer to reset (DefaultATR when nil).
	ATR []byte
}

// KeyFromSeed derives a P-256 private key from s, the same for the same s:
// a fixed key for tests (never for anything real).
func KeyFromSeed(s []byte) *ecdh.PrivateKey {
	for i := uint32(0); ; i++ {
		h := sha256.New()
		h.Write([]byte("tokenctl t2fido emulator key\x00"))
		binary.Write(h, binary.BigEndian, i)
		h.Write(s)
		if k, err := ecdh.P256().NewPrivateKey(h.Sum(nil)); err == nil {
			return k
		}
	}
}

// Option bytes (P2 of 80 C5 02 P2).
const (
	p2Interfaces = 0x01
	p2Enter      = 0x02
	p2LongPress  = 0x04
	p2Keypad     = 0x06
)

// State is a snapshot of an emulated key, for tests.
type State struct {
	Serial   string
	Selected bool
	// Digits and Seed are the button HOTP (0 and nil when there is none);
	// Counter is the next counter a press uses.
	Digits  int
	Seed    []byte
	Counter uint64
	Options fido.Options
	// Interfaces is the last interface mask stored (0 when never set; a
	// set bit disables an interface, 07 all three).
	Interfaces byte
	Bricked    bool
	// Counters over the key's life.
	APDUs, ButtonWrites, OptionWrites, Resets int
}

// Key is one emulated key. Its methods are safe for concurrent use.
type Key struct {
	mu     sync.Mutex
	priv   *ecdh.PrivateKey
	serial string
	atr    []byte

	selected   bool
	digits     int
	seed       []byte
	counter    uint64
	opts       fido.Options
	interfaces byte
	bricked    bool

	log                      [][]byte
	buttons, options, resets int

	// What a Stream watches: button writes tried (answered or not), the
	// resets before the last one, the time of the last APDU.
	buttonTries, resetsAtButton int
	lastAPDU                    time.Time
}

// activity is what a Stream needs to decide that the host is done.
type activity struct {
	apdus, buttonTries, resets, resetsAtButton int
	last                                       time.Time
}

func (k *Key) activity() activity {
	k.mu.Lock()
	defer k.mu.Unlock()
	return activity{len(k.log), k.buttonTries, k.resets, k.resetsAtButton, k.lastAPDU}
}

// New makes a key with no button HOTP and the default options (Enter
// after the code, short press, plain key codes).
func New(o Options) *Key {
	k := &Key{priv: o.Key, serial: o.Serial, atr: o.ATR}
	if k.priv == nil {
		var err error
		if k.priv, err = ecdh.P256().GenerateKey(rand.Reader); err != nil {
			panic("t2fido: " + err.Error())
		}
	}
	if k.serial == "" {
		k.serial = DefaultSerial
	}
	if k.atr == nil {
		k.atr = DefaultATR
	}
	return k
}

// Serial is the key's label.
func (k *Key) Serial() string { return k.serial }

// PublicKey is the key's P-256 public key, as 80 C5 01 00 gives it.
func (k *Key) PublicKey() *ecdh.PublicKey { return k.priv.PublicKey() }

// ATR implements vpcd.Card.
func (k *Key) ATR() []byte { return append([]byte(nil), k.atr...) }

// Reset implements vpcd.Resetter: a power cycle or warm reset deselects
// the applet.
func (k *Key) Reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.resets++
	k.selected = false
}

// State returns a snapshot (the seed is a copy).
func (k *Key) State() State {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := State{
		Serial: k.serial, Selected: k.selected, Digits: k.digits, Counter: k.counter,
		Options: k.opts, Interfaces: k.interfaces, Bricked: k.bricked,
		APDUs: len(k.log), ButtonWrites: k.buttons, OptionWrites: k.options, Resets: k.resets,
	}
	if k.seed != nil {
		s.Seed = append([]byte(nil), k.seed...)
	}
	return s
}

// Log returns a copy of every APDU the key received, in order (the
// bricking one included, and those a bricked key refused).
func (k *Key) Log() [][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([][]byte, len(k.log))
	for i, c := range k.log {
		out[i] = append([]byte(nil), c...)
	}
	return out
}

// Forbidden returns the APDUs the key received that may have bricked it,
// in order: INS C5, P1 02, P2 01 in any class, whose first data byte has
// all three interface bits (mask 07), or with no data byte to tell. A test
// asserts it is empty. The rule is the one fido.Forbidden applies, written
// again here so that a fault in the library's guard cannot also blind
// the emulator.
func (k *Key) Forbidden() [][]byte {
	var out [][]byte
	for _, c := range k.Log() {
		if bricking(c) {
			out = append(out, c)
		}
	}
	return out
}

func bricking(cmd []byte) bool {
	if len(cmd) < 4 || cmd[1] != 0xC5 || cmd[2] != 0x02 || cmd[3] != p2Interfaces {
		return false
	}
	return len(cmd) < 6 || cmd[5]&0x07 == 0x07
}

// Bricked reports whether the key received the bricking command.
func (k *Key) Bricked() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bricked
}

// Code is the code a button press types at counter (RFC 4226, HMAC-SHA1,
// the button HOTP's digits). ok is false when the key has no button HOTP.
func (k *Key) Code(counter uint64) (code string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.seed == nil {
		return "", false
	}
	c, err := seed.HOTPCode(k.seed, counter, seed.SHA1, k.digits)
	return c, err == nil
}

// Press is a touch of the key's button (long or short): it returns what
// the key types, the code at the current counter followed by "\n" unless
// the no-Enter option is set, and advances the counter. A key with the
// long-press option types nothing on a short press; a key without a
// button HOTP, or bricked, types nothing.
func (k *Key) Press(long bool) (typed string, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.seed == nil || k.bricked || (k.opts.LongPress && !long) {
		return "", false
	}
	c, err := seed.HOTPCode(k.seed, k.counter, seed.SHA1, k.digits)
	if err != nil {
		return "", false
	}
	k.counter++
	if !k.opts.NoEnter {
		c += "\n"
	}
	return c, true
}

func sw(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// Status words.
const (
	SWOK        = 0x9000
	SWWrongLen  = 0x6700
	SWWrongData = 0x6A80
	SWNotFound  = 0x6A82
	SWWrongP1P2 = 0x6A86
	SWINS       = 0x6D00
	SWCLA       = 0x6E00
	// SWBricked answers every command to a bricked key (ISO: no precise
	// diagnosis).
	SWBricked = 0x6F00
)

// Transmitter is the key as an apdu.Transmitter, in process (no PC/SC):
// what a test hands fido.NewSession when the transport is not its point.
func (k *Key) Transmitter() apdu.Transmitter {
	return apdu.TransmitFunc(func(cmd []byte) ([]byte, error) { return k.Transmit(cmd), nil })
}

// Transmit implements vpcd.Card: it answers one command APDU with data and
// status word (SWBricked to everything once the key is bricked).
func (k *Key) Transmit(cmd []byte) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.log = append(k.log, append([]byte(nil), cmd...))
	k.lastAPDU = time.Now()
	if k.bricked {
		return sw(SWBricked)
	}
	data, status := k.dispatch(cmd)
	return append(data, sw(status)...)
}

// body returns the command data of a short case-3 or case-4 APDU whose Lc
// (at least 1) matches it; ok is false otherwise.
func body(cmd []byte) (data []byte, ok bool) {
	if len(cmd) < 6 || cmd[4] == 0 {
		return nil, false
	}
	n := int(cmd[4])
	if len(cmd) != 5+n && len(cmd) != 6+n {
		return nil, false
	}
	return cmd[5 : 5+n], true
}

func (k *Key) dispatch(cmd []byte) ([]byte, uint16) {
	if len(cmd) < 4 {
		return nil, SWWrongLen
	}
	cla, ins, p1, p2 := cmd[0], cmd[1], cmd[2], cmd[3]
	if ins == 0xA4 {
		if cla != 0x00 {
			return nil, SWCLA
		}
		return k.selectApplet(cmd)
	}
	if !k.selected {
		return nil, SWINS
	}
	if cla != 0x80 {
		return nil, SWCLA
	}
	if ins != 0xC5 {
		return nil, SWINS
	}
	switch {
	case p1 == 0x01 && p2 == 0x00:
		if len(cmd) > 5 {
			return nil, SWWrongLen
		}
		return k.priv.PublicKey().Bytes()[1:], SWOK
	case p1 == 0x00 && p2 == 0x00:
		return nil, k.setButton(cmd)
	case p1 == 0x02:
		return nil, k.setOption(p2, cmd)
	}
	return nil, SWWrongP1P2
}

func (k *Key) selectApplet(cmd []byte) ([]byte, uint16) {
	if cmd[2] != 0x04 || cmd[3] != 0x00 {
		return nil, SWWrongP1P2
	}
	aid, ok := body(cmd)
	if !ok {
		return nil, SWWrongLen
	}
	k.selected = bytes.Equal(aid, fido.AID)
	if !k.selected {
		return nil, SWNotFound
	}
	return nil, SWOK
}

func (k *Key) setButton(cmd []byte) uint16 {
	k.buttonTries++
	k.resetsAtButton = k.resets
	blob, ok := body(cmd)
	if !ok {
		return SWWrongLen
	}
	plain, err := fido.Open(k.priv, blob, fido.IVButton)
	if err != nil {
		return SWWrongData
	}
	defer clear(plain)
	switch {
	case bytes.Equal(plain, []byte{0x00, 0x00}):
		clear(k.seed)
		k.digits, k.seed, k.counter = 0, nil, 0
	case len(plain) < 3 || (plain[0] != 6 && plain[0] != 8) || int(plain[1]) != len(plain)-2 || len(plain)-2 > fido.MaxSeed:
		return SWWrongData
	default:
		clear(k.seed)
		k.digits, k.seed, k.counter = int(plain[0]), append([]byte(nil), plain[2:]...), 0
	}
	k.buttons++
	return SWOK
}

func (k *Key) setOption(p2 byte, cmd []byte) uint16 {
	if p2 != p2Interfaces && p2 != p2Enter && p2 != p2LongPress && p2 != p2Keypad {
		return SWWrongP1P2
	}
	b, ok := body(cmd)
	if !ok || len(b) != 1 {
		return SWWrongLen
	}
	v := b[0]
	if p2 == p2Interfaces {
		if v&0x07 == 0x07 {
			k.bricked = true // answered, then gone for good
		}
		k.interfaces = v
		k.options++
		return SWOK
	}
	if v > 1 {
		return SWWrongData
	}
	switch p2 {
	case p2Enter:
		k.opts.NoEnter = v == 1
	case p2LongPress:
		k.opts.LongPress = v == 1
	case p2Keypad:
		k.opts.Keypad = v == 1
	}
	k.options++
	return SWOK
}
