package fido

import (
	"errors"
	"fmt"
)

// Reports is a USB HID interface that exchanges 64-byte reports (the
// hid package's device, or an emulator in tests).
type Reports interface {
	WriteReport(r []byte) error
	ReadReport(r []byte) (int, error)
}

// Token2's HID framing of APDUs: 64-byte reports 21 ‖ (flags|seq) ‖ len ‖
// chunk ‖ 00 padding, with at most 61 bytes of a chunk; flags 20 = more
// chunks follow, 00 = last, C0 = device busy (read again, the sequence
// number does not advance); seq = chunk index mod 16. The response is
// reassembled the same way and ends with the status word.
const (
	reportLen  = 64
	chunkLen   = 61
	frameTag   = 0x21
	flagMore   = 0x20
	flagBusy   = 0xC0
	flagMask   = 0xF0
	maxBusy    = 2000  // busy reports tolerated for one response
	maxRespLen = 65538 // longest response: extended APDU data and SW
)

// HIDTransmitter sends APDUs over Reports with Token2's framing.
type HIDTransmitter struct{ R Reports }

// NewHIDTransmitter frames APDUs for r; wrap it in a Session (which adds
// Guard) rather than sending on it directly.
func NewHIDTransmitter(r Reports) *HIDTransmitter { return &HIDTransmitter{R: r} }

// Transmit implements apdu.Transmitter.
func (h *HIDTransmitter) Transmit(cmd []byte) ([]byte, error) {
	if Forbidden(cmd) {
		return nil, ErrForbidden
	}
	for i, off := 0, 0; off < len(cmd) || i == 0; i++ {
		n := min(chunkLen, len(cmd)-off)
		rep := make([]byte, reportLen)
		rep[0] = frameTag
		rep[1] = byte(i % 16)
		if off+n < len(cmd) {
			rep[1] |= flagMore
		}
		rep[2] = byte(n)
		copy(rep[3:], cmd[off:off+n])
		if err := h.R.WriteReport(rep); err != nil {
			return nil, fmt.Errorf("HID write: %w", err)
		}
		off += n
	}
	var resp []byte
	busy := 0
	for seq := 0; ; {
		rep := make([]byte, reportLen)
		n, err := h.R.ReadReport(rep)
		if err != nil {
			return nil, fmt.Errorf("HID read: %w", err)
		}
		if n < 3 || rep[0] != frameTag {
			return nil, fmt.Errorf("HID read: not a Token2 frame (% X)", rep[:min(n, 3)])
		}
		flags, got := rep[1]&flagMask, int(rep[1]&0x0F)
		if flags == flagBusy {
			if busy++; busy > maxBusy {
				return nil, errors.New("HID read: the key stayed busy")
			}
			continue // poll again; the sequence does not advance
		}
		if got != seq%16 {
			return nil, fmt.Errorf("HID read: chunk %d arrived as %d (lost or repeated)", seq%16, got)
		}
		l := int(rep[2])
		if l > chunkLen || 3+l > n {
			return nil, fmt.Errorf("HID read: chunk length %d", l)
		}
		resp = append(resp, rep[3:3+l]...)
		if len(resp) > maxRespLen {
			return nil, errors.New("HID read: response too long")
		}
		seq++
		switch flags {
		case 0x00:
			return resp, nil
		case flagMore:
		default:
			return nil, fmt.Errorf("HID read: unknown flags %02X", flags)
		}
	}
}
