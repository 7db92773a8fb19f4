// Package yubikey emulates the OTP application of a YubiKey 5 NFC: two
// slots with access codes, the programming sequence, the serial number
// and device information, Yubico OTP / HOTP output on a simulated touch,
// and HMAC-SHA1 challenge-response. One Key serves both links at once:
// USB HID feature reports in process (HID) and CCID APDUs, in process
// (APDU) or on pcscd through vpcd (Key implements vpcd.Card), answering
// the management application the way ykman expects.
//
// Every configuration write is recorded (ConfigAPDUs, Reports) so tests
// can compare what different tools send byte for byte. Stream presents a
// series of keys in a vpcd reader (a new serial each time the previous
// key, once programmed, is let go), with fault injection: a key pulled
// before answering its n-th APDU (PullAfter), or right after executing it
// with the answer lost (LoseAnswer).
package yubikey

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	yk "github.com/tokenctl/tokenctl/yubikey"
)

// Options describe the emulated key. The zero value is a YubiKey 5 NFC,
// firmware 5.4.3, serial 12345678.
type Options struct {
	Serial uint32
	// Version is the firmware version. From 5.0.0 to 5.4.2 writes over
	// CCID leave the programming sequence as it was, as on real keys
	// (SequenceFrozenOverCCID).
	Version yk.Version
	// NoAutoTouch makes challenge-response slots that require touch wait
	// for Touch instead of answering at once.
	NoAutoTouch bool
}

// DefaultSerial and DefaultVersion fill zero Options.
const DefaultSerial = 12345678

var DefaultVersion = yk.Version{5, 4, 3}

type slot struct {
	raw []byte // 52-byte configuration; nil = empty
	cfg *yk.Config
	// Yubico OTP counters.
	useCtr  uint16
	sessCtr uint8
	tstp    uint32
	// HOTP moving factor.
	counter uint64
}

// Key is one emulated YubiKey. It is safe for concurrent use.
type Key struct {
	mu      sync.Mutex
	serial  uint32
	version yk.Version
	seq     byte
	slots   [2]slot
	noAuto  bool
	touched chan struct{}

	// CCID state.
	selected []byte
	apdus    [][]byte // configuration APDUs (INS 01) received
	allAPDUs [][]byte

	// HID state.
	hid hidState

	commands int // commands answered (for fault injection)
	writes   int // configuration writes that took
	resets   int // power cycles / resets seen
	lastWrst int // value of resets when the last write took
	active   time.Time
	// BeforeCommand, when set, is called before each command (APDU or HID
	// frame) with its number (from 1); returning an error fails it
	// without effect (over HID the frame is dropped).
	BeforeCommand func(n int) error
}

// New returns an emulated key.
func New(o Options) *Key {
	if o.Serial == 0 {
		o.Serial = DefaultSerial
	}
	if o.Version == (yk.Version{}) {
		o.Version = DefaultVersion
	}
	k := &Key{serial: o.Serial, version: o.Version, noAuto: o.NoAutoTouch, touched: make(chan struct{}, 1)}
	k.hid.touchCmd = -1
	return k
}

// Writes counts the configuration writes the key took.
func (k *Key) Writes() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.writes
}

// SerialNumber is the key's serial.
func (k *Key) SerialNumber() uint32 { return k.serial }

// SlotState is what a slot holds.
type SlotState struct {
	Configured bool
	Config     []byte // the 52 bytes written
	Mode       yk.Mode
	AccessCode []byte // nil when none
}

// Slot returns the state of slot 1 or 2.
func (k *Key) Slot(n int) SlotState {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := &k.slots[n-1]
	if s.cfg == nil {
		return SlotState{Mode: yk.ModeEmpty}
	}
	st := SlotState{Configured: true, Config: append([]byte(nil), s.raw...), Mode: s.cfg.Mode()}
	if !isZero(s.cfg.AccessCode[:]) {
		st.AccessCode = append([]byte(nil), s.cfg.AccessCode[:]...)
	}
	return st
}

// ConfigAPDUs returns the configuration APDUs (INS 01 with a payload of a
// slot configuration, delete, update or swap) received over CCID.
func (k *Key) ConfigAPDUs() [][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return clone(k.apdus)
}

// APDUs returns every command APDU received over CCID.
func (k *Key) APDUs() [][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return clone(k.allAPDUs)
}

// ResetLog forgets the recorded APDUs and reports.
func (k *Key) ResetLog() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.apdus, k.allAPDUs, k.hid.reports = nil, nil, nil
}

func clone(in [][]byte) [][]byte {
	out := make([][]byte, len(in))
	for i, b := range in {
		out[i] = append([]byte(nil), b...)
	}
	return out
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (k *Key) status() yk.Status {
	var t uint16
	for i := range k.slots {
		if c := k.slots[i].cfg; c != nil {
			t |= 1 << i
			if m := c.Mode(); m != yk.ModeChalRespHMAC && m != yk.ModeChalRespYubico {
				t |= 4 << i
			}
		}
	}
	return yk.Status{Version: k.version, Seq: k.seq, Touch: t}
}

// Status is the key's current status.
func (k *Key) Status() yk.Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.status()
}

func (k *Key) serialVisible() bool {
	any := false
	for i := range k.slots {
		if c := k.slots[i].cfg; c != nil {
			any = true
			if c.Ext&yk.ExtSerialAPIVisible != 0 {
				return true
			}
		}
	}
	return !any
}

// errRefused is a command the key ignores (sequence unchanged).
var errRefused = errors.New("refused")

// SequenceFrozenOverCCID says whether a key of firmware v leaves its
// programming sequence unchanged by writes over CCID, as YubiKey firmware
// 5.0.0 to 5.4.2 does: there a host cannot tell a write that took from
// one refused (a wrong access code) by the sequence.
func SequenceFrozenOverCCID(v yk.Version) bool {
	return !v.Less(yk.Version{5, 0, 0}) && v.Less(yk.Version{5, 4, 3})
}

// bumped records a successful write; ccid says it came over CCID.
func (k *Key) bumped(ccid bool) {
	k.writes++
	k.lastWrst = k.resets
	if ccid && SequenceFrozenOverCCID(k.version) {
		return
	}
	k.seq++
	if k.slots[0].cfg == nil && k.slots[1].cfg == nil {
		k.seq = 0
	}
}

// config executes a configuration command, received over CCID or HID. It
// returns errRefused when the key would leave everything unchanged.
func (k *Key) config(cmd byte, payload []byte, ccid bool) error {
	switch cmd {
	case yk.CmdConfig1, yk.CmdConfig2, yk.CmdUpdate1, yk.CmdUpdate2:
		n := 0
		if cmd == yk.CmdConfig2 || cmd == yk.CmdUpdate2 {
			n = 1
		}
		if len(payload) < yk.ConfigSize {
			return errRefused
		}
		cur := make([]byte, yk.AccessCodeSize)
		if len(payload) >= yk.ConfigSize+yk.AccessCodeSize {
			copy(cur, payload[yk.ConfigSize:])
		}
		s := &k.slots[n]
		if s.cfg != nil && !isZero(s.cfg.AccessCode[:]) && !yk.EqualCode(cur, s.cfg.AccessCode[:]) {
			return errRefused
		}
		raw := payload[:yk.ConfigSize]
		c, err := yk.ParseConfig(raw)
		if err != nil {
			return errRefused
		}
		if cmd == yk.CmdUpdate1 || cmd == yk.CmdUpdate2 {
			if s.cfg == nil || s.cfg.Ext&yk.ExtAllowUpdate == 0 {
				return errRefused
			}
			nc := *s.cfg
			nc.Ext, nc.Tkt, nc.Cfg = c.Ext, (s.cfg.Tkt&^0x3F)|(c.Tkt&0x3F), (s.cfg.Cfg&^0x0C)|(c.Cfg&0x0C)
			nc.AccessCode = c.AccessCode
			nb := nc.Bytes()
			s.cfg, s.raw = &nc, nb
			k.bumped(ccid)
			return nil
		}
		if c.Mode() == yk.ModeEmpty {
			*s = slot{}
		} else {
			*s = slot{raw: append([]byte(nil), raw...), cfg: c, useCtr: 1}
			if c.Mode() == yk.ModeHOTP {
				s.counter = uint64(c.HOTPCounter())
			}
		}
		k.bumped(ccid)
		return nil
	case yk.CmdSwap:
		for i := range k.slots {
			if c := k.slots[i].cfg; c != nil && !isZero(c.AccessCode[:]) {
				return errRefused
			}
		}
		k.slots[0], k.slots[1] = k.slots[1], k.slots[0]
		k.bumped(ccid)
		return nil
	}
	return errRefused
}

// isConfigCmd says whether cmd changes the configuration (answers with a
// status rather than data).
func isConfigCmd(cmd byte) bool {
	switch cmd {
	case yk.CmdConfig1, yk.CmdConfig2, yk.CmdUpdate1, yk.CmdUpdate2, yk.CmdSwap,
		yk.CmdNDEF1, yk.CmdNDEF2, yk.CmdDeviceConfig, yk.CmdScanMap:
		return true
	}
	return false
}

// data executes a command that answers with data.
func (k *Key) data(cmd byte, payload []byte) ([]byte, error) {
	switch cmd {
	case yk.CmdDeviceSerial:
		if !k.serialVisible() {
			return nil, errRefused
		}
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, k.serial)
		return b, nil
	case yk.CmdDeviceInfo:
		return k.deviceInfo(), nil
	case yk.CmdChalHMAC1, yk.CmdChalHMAC2:
		s := &k.slots[0]
		if cmd == yk.CmdChalHMAC2 {
			s = &k.slots[1]
		}
		if s.cfg == nil || s.cfg.Mode() != yk.ModeChalRespHMAC || len(payload) < 64 {
			return nil, errRefused
		}
		ch := payload[:64]
		if s.cfg.Cfg&yk.CfgHMACLT64 != 0 {
			last := ch[63]
			n := 63
			for n > 0 && ch[n-1] == last {
				n--
			}
			ch = ch[:n]
		}
		m := hmac.New(sha1.New, s.cfg.HMACKey())
		m.Write(ch)
		return m.Sum(nil), nil
	}
	return nil, errRefused
}

// needsTouch says whether cmd waits for the button.
func (k *Key) needsTouch(cmd byte) bool {
	i := -1
	switch cmd {
	case yk.CmdChalHMAC1:
		i = 0
	case yk.CmdChalHMAC2:
		i = 1
	}
	return i >= 0 && k.slots[i].cfg != nil && k.slots[i].cfg.Cfg&yk.CfgChalBtnTrig != 0
}

// Touch presses the button: a challenge waiting for touch proceeds.
func (k *Key) Touch() {
	select {
	case k.touched <- struct{}{}:
	default:
	}
}

// Press simulates a press on the button for slot (1: short, 2: long)
// and returns what the key types: a Yubico OTP or an OATH-HOTP code
// (with its token identifier, if any). Each press advances the counters.
func (k *Key) Press(n int) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if n != 1 && n != 2 {
		return "", fmt.Errorf("slot %d", n)
	}
	s := &k.slots[n-1]
	if s.cfg == nil {
		return "", fmt.Errorf("slot %d is empty", n)
	}
	switch s.cfg.Mode() {
	case yk.ModeYubicoOTP:
		s.sessCtr++
		if s.sessCtr == 0 {
			s.useCtr++
		}
		s.tstp += 8 * 7
		otp, err := yk.EncodeOTP(s.cfg.Fixed, s.cfg.Key[:], s.cfg.UID[:], s.useCtr, s.sessCtr, s.tstp&0xFFFFFF, uint16(s.tstp*2654435761>>7))
		return otp, err
	case yk.ModeHOTP:
		digits := 6
		if s.cfg.Cfg&yk.CfgOATHHOTP8 != 0 {
			digits = 8
		}
		code, err := seed.HOTPCode(s.cfg.HMACKey(), s.counter, seed.SHA1, digits)
		if err != nil {
			return "", err
		}
		s.counter++
		return s.cfg.FixedText() + code, nil
	}
	return "", fmt.Errorf("slot %d (%s) types nothing", n, s.cfg.Mode())
}

// Program writes cfg into slot n directly (no access code check), for
// tests that need a key in a given state. A configuration the key would
// not take (a fixed part over 16 bytes) is an error.
func (k *Key) Program(n int, cfg *yk.Config) error {
	if n != 1 && n != 2 {
		return fmt.Errorf("slot %d", n)
	}
	raw := cfg.Bytes()
	c, err := yk.ParseConfig(raw)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.slots[n-1] = slot{raw: raw, cfg: c, useCtr: 1, counter: uint64(c.HOTPCounter())}
	k.bumped(false)
	return nil
}

// deviceInfo is the management TLV list, length-prefixed, as a YubiKey 5
// NFC returns it.
func (k *Key) deviceInfo() []byte {
	var b []byte
	tlv := func(tag byte, v ...byte) { b = append(append(b, tag, byte(len(v))), v...) }
	tlv(0x01, 0x02, 0x3B) // USB supported: OTP U2F OPENPGP PIV OATH FIDO2
	ser := make([]byte, 4)
	binary.BigEndian.PutUint32(ser, k.serial)
	tlv(0x02, ser...)
	tlv(0x03, 0x02, 0x3B) // USB enabled
	tlv(0x04, 0x01)       // USB-A keychain
	tlv(0x05, k.version[0], k.version[1], k.version[2])
	tlv(0x06, 0x00, 0x00)
	tlv(0x07, 0x0F)
	tlv(0x08, 0x00)
	tlv(0x0A, 0x00)
	tlv(0x0D, 0x02, 0x3B) // NFC supported
	tlv(0x0E, 0x02, 0x3B) // NFC enabled
	return append([]byte{byte(len(b))}, b...)
}

func (k *Key) countCommand() error {
	k.commands++
	if k.BeforeCommand != nil {
		return k.BeforeCommand(k.commands)
	}
	return nil
}
