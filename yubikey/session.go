package yubikey

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tokenctl/tokenctl/seed"
)

// Command numbers: P1 over CCID, the slot byte of an HID frame.
const (
	CmdConfig1      byte = 0x01
	CmdNav          byte = 0x02
	CmdConfig2      byte = 0x03
	CmdUpdate1      byte = 0x04
	CmdUpdate2      byte = 0x05
	CmdSwap         byte = 0x06
	CmdNDEF1        byte = 0x08
	CmdNDEF2        byte = 0x09
	CmdDeviceSerial byte = 0x10
	CmdDeviceConfig byte = 0x11
	CmdScanMap      byte = 0x12
	CmdDeviceInfo   byte = 0x13
	CmdChalOTP1     byte = 0x20
	CmdChalOTP2     byte = 0x28
	CmdChalHMAC1    byte = 0x30
	CmdChalHMAC2    byte = 0x38
)

// Slot numbers.
const (
	Slot1 Slot = 1
	Slot2 Slot = 2
)

// Version is a firmware version.
type Version [3]byte

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Less compares versions.
func (v Version) Less(o Version) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] < o[i]
		}
	}
	return false
}

// Status is the 6-byte status of the OTP application.
type Status struct {
	Version Version
	Seq     byte   // programming sequence: goes up by one with every write
	Touch   uint16 // touch level / slot status bits
}

// Status bits of Touch.
const (
	StatusSlot1Valid = 0x01
	StatusSlot2Valid = 0x02
	StatusSlot1Touch = 0x04
	StatusSlot2Touch = 0x08
	StatusLEDInv     = 0x10
)

// ParseStatus reads the 6 status bytes.
func ParseStatus(b []byte) (Status, error) {
	if len(b) < 6 {
		return Status{}, fmt.Errorf("status is %d bytes, want 6", len(b))
	}
	return Status{Version: Version{b[0], b[1], b[2]}, Seq: b[3], Touch: binary.LittleEndian.Uint16(b[4:6])}, nil
}

// Bytes is the 6-byte encoding.
func (s Status) Bytes() []byte {
	return []byte{s.Version[0], s.Version[1], s.Version[2], s.Seq, byte(s.Touch), byte(s.Touch >> 8)}
}

// Configured reports whether slot (1 or 2) holds a configuration.
func (s Status) Configured(slot Slot) bool {
	switch slot {
	case Slot1:
		return s.Touch&StatusSlot1Valid != 0
	case Slot2:
		return s.Touch&StatusSlot2Valid != 0
	}
	return false
}

// SlotState describes a slot for people: "empty",
// "programmed" or "programmed (touch-triggered)".
func (s Status) SlotState(slot Slot) string {
	switch {
	case !s.Configured(slot):
		return "empty"
	case s.Touch&(StatusSlot1Touch<<(slot-1)) != 0:
		return "programmed (touch-triggered)"
	}
	return "programmed"
}

// Transport names the kind of backend.
type Transport string

const (
	TransportHID  Transport = "hid"
	TransportCCID Transport = "ccid"
)

// Backend carries OTP application commands to a key. Package hid
// implements it over USB feature reports, NewCCID over APDUs.
type Backend interface {
	// Transport says which kind of link this is.
	Transport() Transport
	// Status reads the current status.
	Status() (Status, error)
	// Write sends a command that changes the configuration (payload:
	// configuration followed by the current access code) and returns the
	// status the key reports afterwards. Judging whether the write took is
	// the Session's job.
	Write(cmd byte, payload []byte) (Status, error)
	// Exchange sends a command that answers with n bytes of data.
	Exchange(cmd byte, payload []byte, n int) ([]byte, error)
}

// StatusReader is a Backend that can read the key's status afresh, not
// from its last answer (CCID: SELECT the OTP application again). The
// Session uses it to check a write on firmware whose programming sequence
// says nothing.
type StatusReader interface {
	ReadStatus() (Status, error)
}

// ErrRejected is a write the key did not take (its programming sequence
// did not move).
var ErrRejected = errors.New("the YubiKey rejected the write")

// ErrAccessCode is a write refused because the slot is protected by an
// access code that was not given or did not match.
var ErrAccessCode = errors.New("wrong or missing access code")

// WriteError is a refused write. It wraps ErrAccessCode when the target
// slot was programmed (the usual reason: an access code), and ErrRejected
// always.
type WriteError struct {
	Op         string // "write slot 1", "delete slot 2", "swap slots"
	AccessCode bool   // the slot was programmed: an access code is the likely cause
	GaveCode   bool   // an access code was sent
}

func (e *WriteError) Error() string {
	if e.AccessCode {
		if e.GaveCode {
			return e.Op + ": the YubiKey refused the write: wrong access code (the slot is unchanged)"
		}
		return e.Op + ": the YubiKey refused the write: the slot is protected by an access code (give it with --access-code-file); the slot is unchanged"
	}
	return e.Op + ": the YubiKey refused the write (unsupported setting?); nothing was changed"
}

// Is makes errors.Is(err, ErrRejected) and ErrAccessCode work.
func (e *WriteError) Is(target error) bool {
	return target == ErrRejected || (e.AccessCode && target == ErrAccessCode)
}

// DeviceError says that a refused write is the device's answer (tokenctl
// exits 3).
func (e *WriteError) DeviceError() bool { return true }

// Session is an open OTP application on one key.
type Session struct {
	b           Backend
	status      Status
	unconfirmed bool
}

// NewSession reads the key's status through b.
func NewSession(b Backend) (*Session, error) {
	st, err := b.Status()
	if err != nil {
		return nil, fmt.Errorf("reading YubiKey status: %w", err)
	}
	return &Session{b: b, status: st}, nil
}

// Version is the firmware version of the OTP application.
func (s *Session) Version() Version { return s.status.Version }

// Status is the last status the key reported.
func (s *Session) Status() Status { return s.status }

// Configured reports whether slot holds a configuration.
func (s *Session) Configured(slot Slot) bool { return s.status.Configured(slot) }

// Unconfirmed reports that the last write could not be confirmed: the
// key answered 90 00, but its programming sequence says nothing (firmware
// 5.0.0 to 5.4.2 over CCID does not move it; 4.0 to 5.4 may report 0),
// and neither the slot state nor a challenge could tell whether the write
// took or was refused (a wrong access code looks the same). The write
// returned nil; the slot may hold the new configuration or still the old
// one.
func (s *Session) Unconfirmed() bool { return s.unconfirmed }

// Serial reads the serial number. It fails when the key's configuration
// hides it (SERIAL_API_VISIBLE off).
func (s *Session) Serial() (uint32, error) {
	b, err := s.b.Exchange(CmdDeviceSerial, nil, 4)
	if err != nil {
		return 0, fmt.Errorf("reading serial number: %w", err)
	}
	return binary.BigEndian.Uint32(b), nil
}

func slotCmd(slot Slot, one, two byte) (byte, error) {
	switch slot {
	case Slot1:
		return one, nil
	case Slot2:
		return two, nil
	}
	return 0, fmt.Errorf("slot %d: a YubiKey has slots 1 and 2", slot)
}

func accessPayload(cur []byte) ([]byte, error) {
	if cur == nil {
		return make([]byte, AccessCodeSize), nil
	}
	if len(cur) != AccessCodeSize {
		return nil, fmt.Errorf("access code is %d bytes, want %d", len(cur), AccessCodeSize)
	}
	return cur, nil
}

func isZero(b []byte) bool {
	var z byte
	for _, c := range b {
		z |= c
	}
	return z == 0
}

// expect is what a write should leave in the status, to judge it by when
// the programming sequence says nothing: the Touch bits under mask should
// read want afterwards. enough says that reading want confirms the write
// even when it was so before (a delete: the slot is empty either way).
// probe, when set, is a last check that the slot holds the new
// configuration.
type expect struct {
	mask, want uint16
	enough     bool
	probe      func() (bool, error)
}

// Touch bits of one slot.
func slotBits(slot Slot) (valid, touch uint16) {
	if slot == Slot2 {
		return StatusSlot2Valid, StatusSlot2Touch
	}
	return StatusSlot1Valid, StatusSlot1Touch
}

// blindSequence says whether the sequence in st, after a write from prev,
// tells nothing: firmware 5.0.0 to 5.4.2 does not move it over CCID, and
// 4.0 to 5.4 can report 0 there (ykman accepts both on the status word).
func (s *Session) blindSequence(prev, st Status) bool {
	if s.b.Transport() != TransportCCID {
		return false
	}
	v := st.Version
	if !v.Less(Version{5, 0, 0}) && v.Less(Version{5, 4, 3}) {
		return true
	}
	return st.Seq == 0 && prev.Seq > 0 && !v.Less(Version{4, 0, 0}) && v.Less(Version{5, 5, 0})
}

// write sends a configuration command and judges it by the programming
// sequence, as Yubico's tools do. Where the sequence tells nothing, the
// slot state read afresh (and exp's probe) judges it instead; when even
// that cannot tell, the write is accepted on its 90 00 and Unconfirmed
// says so.
func (s *Session) write(op string, slot Slot, cmd byte, payload []byte, gaveCode bool, exp expect) error {
	prev := s.status
	s.unconfirmed = false
	st, err := s.b.Write(cmd, payload)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	s.status = st
	switch {
	case st.Seq == prev.Seq+1:
		return nil
	case s.blindSequence(prev, st):
		return s.judge(op, slot, prev, gaveCode, exp)
	case st.Seq == 0 && prev.Seq > 0 && st.Touch&0x1F == 0:
		return nil // no slot left: the sequence resets
	}
	return refused(op, slot, prev, gaveCode)
}

// judge decides a write by the status read after it, for keys whose
// sequence says nothing.
func (s *Session) judge(op string, slot Slot, prev Status, gaveCode bool, exp expect) error {
	fresh, ok := s.status, false
	if r, can := s.b.(StatusReader); can {
		if st, err := r.ReadStatus(); err == nil {
			fresh, ok = st, true
			s.status = st
		}
	}
	if ok {
		before, after, want := prev.Touch&exp.mask, fresh.Touch&exp.mask, exp.want&exp.mask
		switch {
		case after == want && (want != before || exp.enough):
			return nil
		case after == before && want != before:
			return refused(op, slot, prev, gaveCode)
		}
	}
	if exp.probe != nil {
		if same, err := exp.probe(); err == nil {
			if same {
				return nil
			}
			return refused(op, slot, prev, gaveCode)
		}
	}
	s.unconfirmed = true
	return nil
}

// refused is the error of a write the key did not take.
func refused(op string, slot Slot, prev Status, gaveCode bool) error {
	protected := false
	if slot != 0 {
		protected = prev.Configured(slot)
	} else {
		protected = prev.Configured(Slot1) || prev.Configured(Slot2)
	}
	return &WriteError{Op: op, AccessCode: protected, GaveCode: gaveCode}
}

// Put writes c to slot (1 or 2). cur is the slot's current access code,
// nil when it has none.
func (s *Session) Put(slot Slot, c *Config, cur AccessCode) error {
	valid, touch := slotBits(slot)
	exp := expect{mask: valid | touch, want: valid}
	if m := c.Mode(); m != ModeChalRespHMAC && m != ModeChalRespYubico {
		exp.want |= touch // typed on a touch
	}
	if !s.status.Configured(slot) {
		// An empty slot that is programmed afterwards took the write,
		// whatever the touch bit says.
		exp.mask = valid
	}
	if c.Mode() == ModeChalRespHMAC && c.Cfg&CfgChalBtnTrig == 0 {
		exp.probe = s.hmacProbe(slot, c)
	}
	return s.slotWrite("write", slot, CmdConfig1, CmdConfig2, c.Bytes(), cur, exp)
}

// hmacProbe checks that slot answers a random challenge with c's key. It
// runs within Put, while c is intact.
func (s *Session) hmacProbe(slot Slot, c *Config) func() (bool, error) {
	return func() (bool, error) {
		key := c.HMACKey()
		defer seed.Zero(key)
		ch, err := seed.Generate(32)
		if err != nil {
			return false, err
		}
		got, err := s.CalculateHMAC(slot, ch)
		if err != nil {
			return false, err
		}
		if c.Cfg&CfgHMACLT64 == 0 {
			ch = padChallenge(ch) // the key takes all 64 bytes
		}
		m := hmac.New(sha1.New, key)
		m.Write(ch)
		return hmac.Equal(got, m.Sum(nil)), nil
	}
}

// Update changes the flags and access code of a programmed slot without
// touching its secret (ALLOW_UPDATE must be set on the slot).
func (s *Session) Update(slot Slot, c *Config, cur AccessCode) error {
	valid, touch := slotBits(slot)
	exp := expect{mask: valid | touch, want: s.status.Touch & (valid | touch)} // the state does not change
	return s.slotWrite("update", slot, CmdUpdate1, CmdUpdate2, c.Bytes(), cur, exp)
}

// Delete empties slot. cur is its access code, nil when it has none.
func (s *Session) Delete(slot Slot, cur AccessCode) error {
	valid, touch := slotBits(slot)
	return s.slotWrite("delete", slot, CmdConfig1, CmdConfig2, DeleteConfig(), cur, expect{mask: valid | touch, enough: true})
}

// slotWrite sends config followed by the access code cur to slot with the
// command one or two. The payload, which holds the configuration's secret
// and both access codes, is wiped afterwards.
func (s *Session) slotWrite(verb string, slot Slot, one, two byte, config, cur []byte, exp expect) error {
	defer seed.Zero(config)
	cmd, err := slotCmd(slot, one, two)
	if err != nil {
		return err
	}
	acc, err := accessPayload(cur)
	if err != nil {
		return err
	}
	payload := append(config, acc...)
	defer seed.Zero(payload)
	return s.write(fmt.Sprintf("%s slot %d", verb, slot), slot, cmd, payload, cur != nil && !isZero(cur), exp)
}

// Swap exchanges the two slots. Like ykman, it sends an empty
// configuration followed by a zero access code.
func (s *Session) Swap() error {
	t := s.status.Touch
	want := (t&StatusSlot1Valid)<<1 | (t&StatusSlot2Valid)>>1 | (t&StatusSlot1Touch)<<1 | (t&StatusSlot2Touch)>>1
	return s.write("swap slots", 0, CmdSwap, make([]byte, AccessCodeSize), false, expect{mask: 0x0F, want: want})
}

// CalculateHMAC sends challenge (at most 64 bytes) to a challenge-response
// slot and returns the 20-byte HMAC-SHA1. Like ykman, a short challenge is
// padded with a byte different from its last.
func (s *Session) CalculateHMAC(slot Slot, challenge []byte) ([]byte, error) {
	cmd, err := slotCmd(slot, CmdChalHMAC1, CmdChalHMAC2)
	if err != nil {
		return nil, err
	}
	if len(challenge) > 64 {
		return nil, fmt.Errorf("challenge is %d bytes, at most 64", len(challenge))
	}
	r, err := s.b.Exchange(cmd, padChallenge(challenge), 20)
	if err != nil {
		return nil, fmt.Errorf("challenge-response on slot %d: %w", slot, err)
	}
	return r, nil
}

// EqualCode compares access codes in constant time.
func EqualCode(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// padChallenge pads a challenge to 64 bytes with a byte different from its
// last, as ykman does.
func padChallenge(challenge []byte) []byte {
	pad := byte(0)
	if len(challenge) > 0 && challenge[len(challenge)-1] == 0 {
		pad = 1
	}
	buf := append([]byte(nil), challenge...)
	for len(buf) < 64 {
		buf = append(buf, pad)
	}
	return buf
}
