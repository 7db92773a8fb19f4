package yubikey

import (
	"errors"
	"fmt"

	yk "github.com/tokenctl/tokenctl/yubikey"
)

// HID report flags (byte 7 of an 8-byte feature report).
const (
	flagSlotWrite  = 0x80
	flagRespPend   = 0x40
	flagTouchWait  = 0x20
	flagResetDummy = 0x8F
	flagReset      = 0xFF
	frameSize      = 70
)

type hidState struct {
	reports    [][]byte // every 8-byte report written
	frame      [frameSize]byte
	resp       []byte // pending response: data, CRC, padding
	respIdx    int
	respActive bool
	touchCmd   int // pending command waiting for touch, -1 none
	touchData  []byte
	busy       int // reads left that report the write flag
	busyPolls  int
	unplugged  bool
}

// ErrUnplugged is returned by HID operations on a key that was pulled.
var ErrUnplugged = errors.New("yubikey sim: device unplugged")

// HIDDevice is the key's OTP keyboard interface: 8-byte feature reports,
// report ID 0, with the buffer conventions of github.com/karalabe/hid (byte 0
// of every buffer is the report ID). It satisfies hid.FeatureDevice.
type HIDDevice struct{ k *Key }

// HID returns the key's OTP HID interface.
func (k *Key) HID() *HIDDevice { return &HIDDevice{k: k} }

// SetBusyPolls makes the key report "write pending" for n status reads
// after each report written, as a slow real key does.
func (k *Key) SetBusyPolls(n int) {
	k.mu.Lock()
	k.hid.busyPolls = n
	k.mu.Unlock()
}

// Unplug makes every later HID operation fail, as a key pulled from USB.
func (k *Key) Unplug() {
	k.mu.Lock()
	k.hid.unplugged = true
	k.mu.Unlock()
}

// Reports returns every 8-byte feature report written to the HID interface.
func (k *Key) Reports() [][]byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return clone(k.hid.reports)
}

// Close does nothing; the key stays usable.
func (d *HIDDevice) Close() error { return nil }

// GetFeatureReport fills b[1:9] with the next report: the status when
// idle, or the next chunk of a pending response.
func (d *HIDDevice) GetFeatureReport(b []byte) (int, error) {
	k := d.k
	k.mu.Lock()
	defer k.mu.Unlock()
	h := &k.hid
	if h.unplugged {
		return 0, ErrUnplugged
	}
	if len(b) < 9 {
		return 0, fmt.Errorf("yubikey sim: feature report buffer of %d bytes, want 9", len(b))
	}
	r := b[1:9]
	for i := range r {
		r[i] = 0
	}
	if h.touchCmd >= 0 && h.touchData != nil {
		select {
		case <-k.touched:
			k.answer(byte(h.touchCmd), h.touchData)
			h.touchCmd, h.touchData = -1, nil
		default:
			copy(r[1:7], k.status().Bytes())
			r[7] = flagTouchWait
			return 9, nil
		}
	}
	if h.respActive {
		n := len(h.resp) / 7
		if h.respIdx < n {
			copy(r[:7], h.resp[h.respIdx*7:])
			r[7] = flagRespPend | byte(h.respIdx)
			h.respIdx++
		} else {
			r[7] = flagRespPend // sequence 0 again: transfer complete
		}
		return 9, nil
	}
	copy(r[1:7], k.status().Bytes())
	if h.busy > 0 {
		h.busy--
		r[7] = flagSlotWrite
	}
	return 9, nil
}

// SendFeatureReport takes one report (b[0] = report ID, b[1:9] = data).
func (d *HIDDevice) SendFeatureReport(b []byte) (int, error) {
	k := d.k
	k.mu.Lock()
	defer k.mu.Unlock()
	h := &k.hid
	if h.unplugged {
		return 0, ErrUnplugged
	}
	if len(b) != 9 {
		return 0, fmt.Errorf("yubikey sim: feature report of %d bytes, want 9", len(b))
	}
	r := append([]byte(nil), b[1:9]...)
	h.reports = append(h.reports, r)
	flags := r[7]
	if flags == flagReset || flags == flagResetDummy {
		h.resp, h.respIdx, h.respActive = nil, 0, false
		h.touchCmd, h.touchData = -1, nil
		return 9, nil
	}
	if flags&flagSlotWrite == 0 {
		return 9, nil
	}
	seq := int(flags & 0x1F)
	if seq > 9 {
		return 9, nil
	}
	if seq == 0 {
		h.frame = [frameSize]byte{}
		h.resp, h.respIdx, h.respActive = nil, 0, false
	}
	copy(h.frame[seq*7:], r[:7])
	h.busy = h.busyPolls
	if seq == 9 {
		k.frame()
	}
	return 9, nil
}

// frame executes a complete 70-byte frame.
func (k *Key) frame() {
	h := &k.hid
	payload := append([]byte(nil), h.frame[:64]...)
	cmd := h.frame[64]
	crc := uint16(h.frame[65]) | uint16(h.frame[66])<<8
	if yk.CRC16(payload) != crc {
		return
	}
	if err := k.countCommand(); err != nil {
		return
	}
	if isConfigCmd(cmd) {
		_ = k.config(cmd, payload, false)
		return
	}
	if k.needsTouch(cmd) && k.noAuto {
		h.touchCmd, h.touchData = int(cmd), payload
		return
	}
	k.answer(cmd, payload)
}

// answer runs a data command and queues its response.
func (k *Key) answer(cmd byte, payload []byte) {
	out, err := k.data(cmd, payload)
	if err != nil {
		return // the host sees an unchanged status: rejected
	}
	resp := yk.AppendCRC(out)
	for len(resp)%7 != 0 {
		resp = append(resp, 0)
	}
	k.hid.resp, k.hid.respIdx, k.hid.respActive = resp, 0, true
}
