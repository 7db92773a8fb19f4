// Package molto2 emulates the card side of a Token2 Molto2 (50 profiles)
// or Molto2 v2 (100 profiles), the multi-profile USB CCID TOTP token of
// reference §2, faithfully enough for tokenctl's session to be tested
// against it through the real PC/SC stack (scard → pcscd → vpcd → this
// emulator):
//
//   - device info (80 41 00 00 00) answers the serial and the device clock;
//     the public block of a profile (80 41 00 p 01 70) answers 95 1F 70 1D
//     and 29 bytes, and 6F FB when sent with an Le byte;
//   - authentication checks SM4-ECB(SHA-1(customer key)[0:16], challenge ‖
//     8×00); each challenge serves one attempt; a refusal takes one from
//     the attempts counter and answers 63 NN with the attempts left (63 Cx
//     with Options.ISOCounter); at zero the device is locked: every
//     authentication answers 63 00 until a factory reset. A success
//     restores the counter;
//   - secure commands (CLA 84) need the authentication (69 82 without) and
//     a right MAC (69 83, which ends the authentication); bodies are
//     checked strictly (6A 80 bad data or padding, 67 00 bad length);
//   - a profile in use refuses a new seed with 69 85 until its seed is
//     deleted (80 E6 00 p 00, 6A 83 when empty, the title stays); the
//     all-zero clear value (zero-padded) empties a profile;
//   - profile numbers past the model's count answer 6B 00;
//   - screen lock (80 D8 0C 02 00 / 01 01) needs the authentication and a
//     firmware of 2.1 or later (6D 00 below);
//   - factory reset (80 56 00 00 00) and customer-key change (84 D7)
//     answer 90 60 and wait for the button: the same APDU sent again
//     answers 90 60 until Press is called, then 90 00 once (the operation
//     is done at the press). Another command while waiting abandons the
//     wait, as does a card reset;
//   - each profile has its own clock, running from the host clock plus the
//     offset its last configuration or sync set.
//
// The reference does not give the Molto2's ATR, the status words of a
// refusal other than 63 NN, 6A 83 and 6F FB, what the device answers while
// waiting for the button, nor where it reports its firmware: the choices
// above are the emulator's (stated in each place) and the session in
// token2/molto2 does not depend on the exact words it picked.
package molto2

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	t2 "github.com/tokenctl/tokenctl/token2"
	m2 "github.com/tokenctl/tokenctl/token2/molto2"
)

// Defaults of a new emulated device.
const (
	DefaultSerial   = "83670001"
	DefaultAttempts = 8
	DefaultFirmware = "2.1"
)

// ATR is a T=1 answer to reset (the real device's is not in the reference).
var ATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// Options configure a new emulated device.
type Options struct {
	Serial      string // default DefaultSerial
	Profiles    int    // 50 or 100; 0 = 100 (Molto2 v2)
	CustomerKey []byte // nil = the factory default
	Attempts    int    // authentication attempts before lock; 0 = DefaultAttempts
	Firmware    string // "major.minor"; "" = DefaultFirmware
	// ISOCounter answers a refused authentication 63 Cx (x attempts left)
	// instead of the reference's 63 NN.
	ISOCounter bool
	// Now is the host clock the device clocks run from; nil = time.Now.
	Now func() time.Time
}

// Profile is a snapshot of one profile.
type Profile struct {
	Seed    []byte // nil when not in use
	Title   string
	Hash    seed.Hash
	Digits  int
	Period  int
	Display int       // seconds
	Clock   time.Time // the profile's clock now
	Synced  time.Time // the last time written to it (zero: never)
}

// InUse reports whether the profile holds a seed.
func (p Profile) InUse() bool { return p.Seed != nil }

// State is a snapshot of the device, for tests.
type State struct {
	Serial       string
	Profiles     []Profile
	AttemptsLeft int
	Locked       bool
	ScreenLocked bool
	Waiting      string // "reset" or "key" while waiting for the button
	// SM4Key is the key derived from the current customer key.
	SM4Key []byte
	// Counters over the device's life.
	APDUs, Auths, BadAuths, SeedWrites, ConfigWrites, TitleWrites, Deletes, Resets int
	Log                                                                            [][]byte // every APDU, in order
}

type profile struct {
	seed    []byte
	title   string
	hash    seed.Hash
	digits  int
	period  int
	display int
	offset  time.Duration
	synced  time.Time
}

func freshProfile() profile {
	return profile{hash: seed.SHA1, digits: 6, period: 30, display: 30}
}

type pending struct {
	kind    string // "reset" or "key"
	cmd     []byte
	newKey  []byte
	pressed bool
}

// Device is one emulated Molto2. Its methods are safe for concurrent use.
type Device struct {
	mu       sync.Mutex
	serial   string
	count    int
	key      []byte
	max      int
	firmware [2]int
	iso      bool
	now      func() time.Time

	profiles  []profile
	left      int
	challenge []byte
	authed    bool
	screen    bool
	wait      *pending
	waitCh    chan struct{}

	apdus, auths, bad, seeds, configs, titles, deletes, resets int
	log                                                        [][]byte
}

// New makes a device in factory state: every profile empty (SHA-1, 6
// digits, 30 s, display 30 s), the given or the default customer key.
func New(o Options) *Device {
	d := &Device{serial: o.Serial, count: o.Profiles, max: o.Attempts, iso: o.ISOCounter, now: o.Now}
	if d.serial == "" {
		d.serial = DefaultSerial
	}
	if d.count == 0 {
		d.count = m2.ProfilesV2
	}
	if d.max <= 0 {
		d.max = DefaultAttempts
	}
	if d.now == nil {
		d.now = time.Now
	}
	fw := o.Firmware
	if fw == "" {
		fw = DefaultFirmware
	}
	if maj, min, err := m2.ParseFirmware(fw); err == nil {
		d.firmware = [2]int{maj, min}
	}
	ck := o.CustomerKey
	if ck == nil {
		ck = m2.DefaultCustomerKey
	}
	d.key = m2.SM4Key(ck)
	d.factory()
	d.waitCh = make(chan struct{}, 1)
	return d
}

func (d *Device) factory() {
	d.profiles = make([]profile, d.count)
	for i := range d.profiles {
		d.profiles[i] = freshProfile()
	}
	d.left = d.max
	d.authed = false
	d.challenge = nil
	d.screen = false
}

// Serial is the device's serial number.
func (d *Device) Serial() string { return d.serial }

// ATR implements vpcd.Card.
func (d *Device) ATR() []byte { return append([]byte(nil), ATR...) }

// Reset implements vpcd.Resetter: a power cycle or warm reset ends the
// authentication, drops the challenge and abandons a button wait.
func (d *Device) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.resets++
	d.authed = false
	d.challenge = nil
	d.wait = nil
}

// Press is the operator pressing the device's button: a waiting factory
// reset or key change is done now. It reports whether one was waiting.
func (d *Device) Press() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.wait
	if w == nil || w.pressed {
		return false
	}
	w.pressed = true
	switch w.kind {
	case "reset":
		ck := m2.SM4Key(m2.DefaultCustomerKey)
		d.key = ck
		d.factory()
	case "key":
		d.key = w.newKey
		d.authed = false
	}
	return true
}

// Waiting returns a channel that receives when an operation starts
// waiting for the button (buffered: one signal is kept).
func (d *Device) Waiting() <-chan struct{} { return d.waitCh }

// State returns a snapshot (seeds are copies).
func (d *Device) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := State{
		Serial: d.serial, AttemptsLeft: d.left, Locked: d.left == 0, ScreenLocked: d.screen,
		SM4Key: append([]byte(nil), d.key...),
		APDUs:  d.apdus, Auths: d.auths, BadAuths: d.bad, SeedWrites: d.seeds, ConfigWrites: d.configs,
		TitleWrites: d.titles, Deletes: d.deletes, Resets: d.resets,
	}
	if d.wait != nil && !d.wait.pressed {
		s.Waiting = d.wait.kind
	}
	for _, c := range d.log {
		s.Log = append(s.Log, append([]byte(nil), c...))
	}
	now := d.now()
	for _, p := range d.profiles {
		q := Profile{Title: p.title, Hash: p.hash, Digits: p.digits, Period: p.period, Display: p.display,
			Clock: now.Add(p.offset).Truncate(time.Second), Synced: p.synced}
		if p.seed != nil {
			q.Seed = append([]byte(nil), p.seed...)
		}
		s.Profiles = append(s.Profiles, q)
	}
	return s
}

// Code is the code profile p's display would show now; ok is false when
// it holds no seed.
func (d *Device) Code(p int) (code string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if p < 0 || p >= len(d.profiles) || d.profiles[p].seed == nil {
		return "", false
	}
	q := d.profiles[p]
	c, err := seed.TOTPCode(q.seed, d.now().Add(q.offset), q.hash, q.digits, q.period)
	return c, err == nil
}

func sw(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

var (
	swOK        = sw(0x9000)
	swWait      = sw(0x9060)
	swNoAuth    = sw(0x6982) // security status not satisfied: not authenticated
	swMAC       = sw(0x6983) // MAC wrong
	swInUse     = sw(0x6985) // conditions of use not satisfied: profile in use
	swWrongData = sw(0x6A80)
	swEmpty     = sw(0x6A83)
	swWrongLen  = sw(0x6700)
	swP1P2      = sw(0x6B00)
	swINS       = sw(0x6D00)
	swCLA       = sw(0x6E00)
	swLe        = sw(0x6FFB)
)

// Transmit implements vpcd.Card: it answers one command APDU.
func (d *Device) Transmit(cmd []byte) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.apdus++
	d.log = append(d.log, append([]byte(nil), cmd...))
	if len(cmd) < 5 {
		return swWrongLen
	}
	if w := d.wait; w != nil {
		if bytes.Equal(cmd, w.cmd) {
			if !w.pressed {
				return swWait
			}
			d.wait = nil
			return swOK
		}
		// Another command abandons the wait (a key change not pressed
		// does not happen; a reset not pressed erases nothing).
		d.wait = nil
	}
	data, status := d.dispatch(cmd)
	return append(data, status...)
}

// body checks a short APDU with data (case 3) and returns the data.
func body(cmd []byte) ([]byte, bool) {
	if len(cmd) < 6 || len(cmd) != 5+int(cmd[4]) || cmd[4] == 0 {
		return nil, false
	}
	return cmd[5:], true
}

func (d *Device) dispatch(cmd []byte) ([]byte, []byte) {
	cla, ins := cmd[0], cmd[1]
	switch cla {
	case 0x80:
		switch ins {
		case m2.InsInfo:
			if cmd[3] == 0 && len(cmd) == 5 {
				return d.info(cmd)
			}
			return d.public(cmd)
		case m2.InsGetChallenge:
			return d.getChallenge(cmd)
		case m2.InsAuthenticate:
			return d.authenticate(cmd)
		case m2.InsDelete:
			return d.delete(cmd)
		case m2.InsReset:
			return d.reset(cmd)
		case m2.InsScreen:
			return d.screenLock(cmd)
		case m2.InsWriteSeed, m2.InsWriteTitle, m2.InsWriteConfig, m2.InsSetKey:
			d.authed = false
			return nil, swMAC // a secure command sent without MAC
		}
		return nil, swINS
	case 0x84:
		switch ins {
		case m2.InsWriteSeed:
			return d.writeSeed(cmd)
		case m2.InsWriteTitle:
			return d.writeTitle(cmd)
		case m2.InsWriteConfig:
			return d.writeConfig(cmd)
		case m2.InsSetKey:
			return d.setKey(cmd)
		}
		return nil, swINS
	}
	return nil, swCLA
}

func (d *Device) info(cmd []byte) ([]byte, []byte) {
	if cmd[2] != 0 || cmd[4] != 0 {
		return nil, swWrongData
	}
	out := []byte{0x01, 0x02, 0x11, byte(len(d.serial))}
	out = append(out, d.serial...)
	out = append(out, 0x00, 0x04)
	var clk [4]byte
	binary.BigEndian.PutUint32(clk[:], uint32(d.now().Unix()))
	return append(out, clk[:]...), swOK
}

// profileOf checks P2 against the model's count.
func (d *Device) profileOf(cmd []byte) (int, bool) {
	p := int(cmd[3])
	return p, p < len(d.profiles)
}

func (d *Device) public(cmd []byte) ([]byte, []byte) {
	if len(cmd) == 7 && cmd[4] == 1 && cmd[5] == 0x70 {
		return nil, swLe
	}
	b, ok := body(cmd)
	if !ok || len(b) != 1 {
		return nil, swWrongLen
	}
	if b[0] != 0x70 || cmd[2] != 0 {
		return nil, swWrongData
	}
	p, ok := d.profileOf(cmd)
	if !ok {
		return nil, swP1P2
	}
	q := d.profiles[p]
	out := make([]byte, 0, m2.PublicLen)
	out = append(out, 0x95, 0x1F, 0x70, 0x1D)
	flag := byte(0)
	if q.seed != nil {
		flag = 0x20
	}
	out = append(out, flag)
	var title [16]byte
	copy(title[:], q.title)
	out = append(out, title[:]...)
	var tm [8]byte
	binary.BigEndian.PutUint32(tm[:4], uint32(d.now().Add(q.offset).Unix()))
	if !q.synced.IsZero() {
		binary.BigEndian.PutUint32(tm[4:], uint32(q.synced.Unix()))
	}
	out = append(out, tm[:]...)
	h := byte(1)
	if q.hash == seed.SHA256 {
		h = 2
	}
	inUse := byte(0)
	if q.seed != nil {
		inUse = 1
	}
	return append(out, h, byte(q.period), byte(q.digits), inUse), swOK
}

func (d *Device) getChallenge(cmd []byte) ([]byte, []byte) {
	if len(cmd) != 5 || (cmd[4] != 0 && cmd[4] != 8) {
		return nil, swWrongLen
	}
	if cmd[2] != 0x08 || cmd[3] != 0 {
		return nil, swP1P2
	}
	d.challenge = make([]byte, 8)
	rand.Read(d.challenge)
	d.authed = false
	return append([]byte(nil), d.challenge...), swOK
}

// refuse answers a refused authentication with the attempts left.
func (d *Device) refuse() []byte {
	if d.left > 0 {
		d.left--
	}
	d.bad++
	if d.iso {
		return []byte{0x63, 0xC0 | byte(d.left&0x0F)}
	}
	return []byte{0x63, byte(d.left)}
}

func (d *Device) authenticate(cmd []byte) ([]byte, []byte) {
	d.auths++
	d.authed = false
	ch := d.challenge
	d.challenge = nil // one attempt per challenge
	b, ok := body(cmd)
	if !ok || len(b) != 16 {
		return nil, swWrongLen
	}
	if d.left == 0 {
		d.bad++
		if d.iso {
			return nil, []byte{0x63, 0xC0}
		}
		return nil, []byte{0x63, 0x00}
	}
	if ch == nil {
		return nil, d.refuse()
	}
	want, err := t2.AuthResponse(d.key, ch)
	if err != nil || !bytes.Equal(want, b) {
		return nil, d.refuse()
	}
	d.left = d.max
	d.authed = true
	return nil, swOK
}

// open checks authentication, length and MAC of a secure command.
func (d *Device) open(cmd []byte) ([]byte, []byte) {
	if _, ok := body(cmd); !ok {
		return nil, swWrongLen
	}
	if !d.authed {
		return nil, swNoAuth
	}
	b, ok, err := t2.OpenSecureCommand(d.key, cmd)
	if err != nil {
		return nil, swWrongLen
	}
	if !ok {
		d.authed = false
		return nil, swMAC
	}
	return b, nil
}

func (d *Device) writeSeed(cmd []byte) ([]byte, []byte) {
	if cmd[2] != 0x01 {
		return nil, swP1P2
	}
	p, ok := d.profileOf(cmd)
	if !ok {
		return nil, swP1P2
	}
	b, status := d.open(cmd)
	if status != nil {
		return nil, status
	}
	if len(b) < 16 || len(b) > 64 || len(b)%16 != 0 {
		return nil, swWrongLen
	}
	plain, err := t2.DecryptECB(d.key, b)
	if err != nil {
		return nil, swWrongData
	}
	if m2.IsClearSeed(plain) {
		// The clear value empties the profile, in use or not.
		d.profiles[p].seed = nil
		d.seeds++
		return nil, swOK
	}
	// Vendor tools refuse to write a profile in use until it is deleted;
	// the reference gives no status word for the device doing the same:
	// the emulator answers 69 85 (conditions of use not satisfied).
	if d.profiles[p].seed != nil {
		return nil, swInUse
	}
	s, err := t2.Unpad(plain)
	if err != nil || t2.CheckSeed(s) != nil {
		return nil, swWrongData
	}
	d.profiles[p].seed = append([]byte(nil), s...)
	d.seeds++
	return nil, swOK
}

func (d *Device) writeTitle(cmd []byte) ([]byte, []byte) {
	if cmd[2] != 0x00 {
		return nil, swP1P2
	}
	p, ok := d.profileOf(cmd)
	if !ok {
		return nil, swP1P2
	}
	if cmd[4] != 16+t2.MACLen {
		return nil, swWrongLen
	}
	b, status := d.open(cmd)
	if status != nil {
		return nil, status
	}
	plain, err := t2.DecryptECB(d.key, b)
	if err != nil {
		return nil, swWrongData
	}
	t, err := t2.Unpad(plain)
	if err != nil || len(t) == 0 || len(t) > m2.MaxTitleLen || bytes.IndexByte(t, 0) >= 0 {
		return nil, swWrongData
	}
	d.profiles[p].title = string(t)
	d.titles++
	return nil, swOK
}

func (d *Device) writeConfig(cmd []byte) ([]byte, []byte) {
	if cmd[2] != 0x01 {
		return nil, swP1P2
	}
	p, ok := d.profileOf(cmd)
	if !ok {
		return nil, swP1P2
	}
	if cmd[4] != m2.ConfigLen+t2.MACLen && cmd[4] != m2.SyncLen+t2.MACLen {
		return nil, swWrongLen
	}
	b, status := d.open(cmd)
	if status != nil {
		return nil, status
	}
	now := d.now()
	q := &d.profiles[p]
	if len(b) == m2.SyncLen {
		t, err := m2.ParseSyncTLV(b)
		if err != nil {
			return nil, swWrongData
		}
		q.offset, q.synced = t.Sub(now), t
		d.configs++
		return nil, swOK
	}
	c, err := m2.ParseConfigTLV(b)
	if err != nil {
		return nil, swWrongData
	}
	q.offset, q.synced = c.Time.Sub(now), c.Time
	q.hash, q.digits, q.period, q.display = c.Hash, c.Digits, c.Period, int(c.Display)
	d.configs++
	return nil, swOK
}

func (d *Device) delete(cmd []byte) ([]byte, []byte) {
	if len(cmd) != 5 || cmd[4] != 0 {
		return nil, swWrongLen
	}
	if cmd[2] != 0 {
		return nil, swP1P2
	}
	p, ok := d.profileOf(cmd)
	if !ok {
		return nil, swP1P2
	}
	if d.profiles[p].seed == nil {
		return nil, swEmpty
	}
	d.profiles[p].seed = nil
	d.deletes++
	return nil, swOK
}

func (d *Device) startWait(w *pending) []byte {
	d.wait = w
	select {
	case d.waitCh <- struct{}{}:
	default:
	}
	return swWait
}

func (d *Device) reset(cmd []byte) ([]byte, []byte) {
	if len(cmd) != 5 || cmd[4] != 0 {
		return nil, swWrongLen
	}
	if cmd[2] != 0 || cmd[3] != 0 {
		return nil, swP1P2
	}
	return nil, d.startWait(&pending{kind: "reset", cmd: append([]byte(nil), cmd...)})
}

func (d *Device) setKey(cmd []byte) ([]byte, []byte) {
	if cmd[2] != 0 || cmd[3] != 0 {
		return nil, swP1P2
	}
	if cmd[4] != 32+t2.MACLen {
		return nil, swWrongLen
	}
	b, status := d.open(cmd)
	if status != nil {
		return nil, status
	}
	plain, err := t2.DecryptECB(d.key, b)
	if err != nil {
		return nil, swWrongData
	}
	defer clear(plain)
	if plain[0] != 0 || plain[17] != 0x80 || !bytes.Equal(plain[18:], make([]byte, 14)) {
		return nil, swWrongData
	}
	return nil, d.startWait(&pending{kind: "key", cmd: append([]byte(nil), cmd...), newKey: append([]byte(nil), plain[1:17]...)})
}

func (d *Device) screenLock(cmd []byte) ([]byte, []byte) {
	if less(d.firmware, [2]int{2, 1}) {
		return nil, swINS
	}
	if cmd[2] != 0x0C || cmd[3] != 0x02 {
		return nil, swP1P2
	}
	var lock bool
	switch {
	case len(cmd) == 5 && cmd[4] == 0:
		lock = true
	case len(cmd) == 6 && cmd[4] == 1 && cmd[5] == 1:
	default:
		return nil, swWrongData
	}
	if !d.authed {
		return nil, swNoAuth
	}
	d.screen = lock
	return nil, swOK
}

func less(a, b [2]int) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }
