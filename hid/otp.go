// Package hid is the USB HID transport of the YubiKey OTP application:
// the keyboard interface's 8-byte feature reports (report ID 0), the
// 70-byte frame sent in 7-byte chunks, polling until the key is ready,
// reading responses with their CRC, and the reset report. The framing
// runs over FeatureDevice, which a github.com/karalabe/hid device
// satisfies as is (see Open), and so does the emulator in sim/yubikey.
package hid

import (
	"errors"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// FeatureDevice is an open HID interface with feature reports, in
// karalabe/hid's conventions: byte 0 of every buffer is the report ID (0
// here), followed by the 8 bytes of the report.
type FeatureDevice interface {
	GetFeatureReport(b []byte) (int, error)
	SendFeatureReport(b []byte) (int, error)
	Close() error
}

// Report flags (byte 7).
const (
	flagSlotWrite = 0x80 // set by the host, cleared by the key when it took the report
	flagRespPend  = 0x40 // the key has a response to read
	flagTouchWait = 0x20 // the key waits for a touch
	seqMask       = 0x1F
	reportSize    = 8
	dataSize      = 7
	payloadSize   = 64
	frameSize     = payloadSize + 6
)

// ErrTimeout is a key that stayed busy longer than the bounds allow.
var ErrTimeout = errors.New("timed out waiting for the YubiKey")

// ErrTouchTimeout is a command that needed a touch that did not come.
var ErrTouchTimeout = errors.New("timed out waiting for a touch on the YubiKey")

// OTP talks to the OTP application over one FeatureDevice. It implements
// yubikey.Backend.
type OTP struct {
	dev FeatureDevice
	// Sleep waits between polls; tests replace it. Default time.Sleep.
	Sleep func(time.Duration)
	// ReadyPolls bounds the wait for the key to take a report (20 polls of
	// 50 ms: about a second; a swap takes up to 920 ms).
	ReadyPolls int
	// TouchTimeout bounds the wait for a touch (default 15 s); BusyTimeout
	// the wait for a response without touch (default 2 s).
	TouchTimeout, BusyTimeout time.Duration
}

// NewOTP wraps dev.
func NewOTP(dev FeatureDevice) *OTP {
	return &OTP{dev: dev, Sleep: time.Sleep, ReadyPolls: 20, TouchTimeout: 15 * time.Second, BusyTimeout: 2 * time.Second}
}

// Close closes the device.
func (o *OTP) Close() error { return o.dev.Close() }

// Transport is yubikey.TransportHID.
func (o *OTP) Transport() yubikey.Transport { return yubikey.TransportHID }

func (o *OTP) receive() ([]byte, error) {
	var b [1 + reportSize]byte
	n, err := o.dev.GetFeatureReport(b[:])
	if err != nil {
		return nil, fmt.Errorf("reading feature report: %w", err)
	}
	// Some platforms do not count the report ID; the data is at b[1:]
	// either way.
	if n != 1+reportSize && n != reportSize {
		return nil, fmt.Errorf("feature report of %d bytes, want %d", n, reportSize)
	}
	return b[1:], nil
}

func (o *OTP) send(r []byte) error {
	b := make([]byte, 1+reportSize)
	copy(b[1:], r)
	if _, err := o.dev.SendFeatureReport(b); err != nil {
		return fmt.Errorf("writing feature report: %w", err)
	}
	return nil
}

// Status reads the status report while the key is idle.
func (o *OTP) Status() (yubikey.Status, error) {
	st, err := o.status()
	return st, wrap(err)
}

func (o *OTP) status() (yubikey.Status, error) {
	r, err := o.receive()
	if err != nil {
		return yubikey.Status{}, err
	}
	return yubikey.ParseStatus(r[1:7])
}

// Frame is the 70-byte frame for cmd: the payload zero-padded to 64 bytes,
// the command, the CRC of the 64 bytes (little-endian, not inverted) and
// three zero bytes.
func Frame(cmd byte, payload []byte) ([]byte, error) {
	if len(payload) > payloadSize {
		return nil, fmt.Errorf("payload of %d bytes exceeds %d", len(payload), payloadSize)
	}
	f := make([]byte, frameSize)
	copy(f, payload)
	f[payloadSize] = cmd
	crc := yubikey.CRC16(f[:payloadSize])
	f[payloadSize+1], f[payloadSize+2] = byte(crc), byte(crc>>8)
	return f, nil
}

// Reports cuts a frame into the feature reports the host writes: 7 data
// bytes and 80|index; all-zero chunks are skipped except the first and
// the last.
func Reports(frame []byte) [][]byte {
	var out [][]byte
	for i := 0; i*dataSize < len(frame); i++ {
		chunk := frame[i*dataSize : (i+1)*dataSize]
		last := (i+1)*dataSize >= len(frame)
		if i != 0 && !last && allZero(chunk) {
			continue
		}
		r := make([]byte, reportSize)
		copy(r, chunk)
		r[dataSize] = flagSlotWrite | byte(i)
		out = append(out, r)
	}
	return out
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// awaitReady polls until the key no longer has the write flag set.
func (o *OTP) awaitReady() error {
	for i := 0; i < o.ReadyPolls; i++ {
		r, err := o.receive()
		if err != nil {
			return err
		}
		if r[dataSize]&flagSlotWrite == 0 {
			return nil
		}
		o.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%w to accept a report", ErrTimeout)
}

// sendFrame writes the frame and returns the programming sequence read
// before it.
func (o *OTP) sendFrame(cmd byte, payload []byte) (byte, error) {
	f, err := Frame(cmd, payload)
	if err != nil {
		return 0, err
	}
	defer seed.Zero(f)
	r, err := o.receive()
	if err != nil {
		return 0, err
	}
	seq := r[4]
	for _, rep := range Reports(f) {
		if err := o.awaitReady(); err != nil {
			return 0, err
		}
		err := o.send(rep)
		seed.Zero(rep)
		if err != nil {
			return 0, err
		}
	}
	return seq, nil
}

// readFrame waits for the key to finish: a status report (returned as
// status, data nil) or a response (returned as data, with its CRC and
// padding).
func (o *OTP) readFrame() (status []byte, data []byte, err error) {
	var resp []byte
	seq := byte(0)
	var waited time.Duration
	touch := false
	for polls := 0; ; polls++ {
		if polls > 10000 || len(resp) > 32*dataSize {
			o.reset()
			return nil, nil, errors.New("the YubiKey's response does not end")
		}
		r, err := o.receive()
		if err != nil {
			return nil, nil, err
		}
		flags := r[dataSize]
		switch {
		case flags&flagRespPend != 0:
			if flags&seqMask == seq {
				resp = append(resp, r[:dataSize]...)
				seq++
			} else if flags&seqMask == 0 {
				if err := o.reset(); err != nil {
					return nil, nil, err
				}
				return nil, resp, nil
			}
		case flags == 0:
			if resp != nil {
				return nil, nil, errors.New("response ended early")
			}
			return append([]byte(nil), r[1:7]...), nil, nil
		default:
			d := 20 * time.Millisecond
			limit := o.BusyTimeout
			if flags&flagTouchWait != 0 {
				touch = true
				d = 100 * time.Millisecond
			}
			if touch {
				limit = o.TouchTimeout
			}
			if waited >= limit {
				o.reset()
				if touch {
					return nil, nil, ErrTouchTimeout
				}
				return nil, nil, fmt.Errorf("%w to answer", ErrTimeout)
			}
			o.Sleep(d)
			waited += d
		}
	}
}

// reset ends a response read (ykman's reset report: byte 7 = FF).
func (o *OTP) reset() error {
	r := make([]byte, reportSize)
	r[dataSize] = 0xFF
	return o.send(r)
}

// Write sends a configuration command and returns the status after it.
func (o *OTP) Write(cmd byte, payload []byte) (yubikey.Status, error) {
	st, err := o.write(cmd, payload)
	return st, wrap(err)
}

func (o *OTP) write(cmd byte, payload []byte) (yubikey.Status, error) {
	if _, err := o.sendFrame(cmd, payload); err != nil {
		return yubikey.Status{}, err
	}
	st, data, err := o.readFrame()
	if err != nil {
		return yubikey.Status{}, err
	}
	if st == nil {
		seed.Zero(data)
		return yubikey.Status{}, errors.New("unexpected response data to a configuration command")
	}
	return yubikey.ParseStatus(st)
}

// ErrNoData is a data command the key answered with a status only
// (refused: serial hidden, slot not configured for it...).
var ErrNoData = errors.New("the YubiKey refused the command (no data)")

// Exchange sends a command answering with n bytes and checks their CRC.
func (o *OTP) Exchange(cmd byte, payload []byte, n int) ([]byte, error) {
	b, err := o.exchange(cmd, payload, n)
	return b, wrap(err)
}

func (o *OTP) exchange(cmd byte, payload []byte, n int) ([]byte, error) {
	if _, err := o.sendFrame(cmd, payload); err != nil {
		return nil, err
	}
	_, data, err := o.readFrame()
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, ErrNoData
	}
	defer seed.Zero(data)
	if len(data) < n+2 {
		return nil, fmt.Errorf("response of %d bytes, want %d and a CRC", len(data), n)
	}
	if !yubikey.CheckCRC(data[:n+2]) {
		return nil, errors.New("response CRC mismatch")
	}
	return append([]byte(nil), data[:n]...), nil
}

var _ yubikey.Backend = (*OTP)(nil)

// Error is a failure of the USB HID transport or of the key behind it.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// DeviceError says that this is a device or transport error (tokenctl
// exits 3).
func (e *Error) DeviceError() bool { return true }

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return &Error{err}
}
