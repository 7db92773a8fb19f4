package t2fido

import (
	"errors"
	"fmt"
	"sync"
)

// Token2's HID framing (reference §3): 64-byte reports 21 ‖ (flags|seq) ‖
// len (≤ 61) ‖ chunk ‖ 00 padding; flags 20 = more chunks follow, 00 =
// last, C0 = busy (the host polls again, seq does not advance); seq = chunk
// index mod 16, for requests and responses alike.
const (
	reportLen = 64
	chunkMax  = 61
	frameTag  = 0x21
	flagMore  = 0x20
	flagBusy  = 0xC0
	maxAPDU   = 5 + 255 + 1 // the longest short APDU
)

// SWFraming is the status word of the error reply to a request whose
// framing is wrong (a chunk out of sequence, longer than 61 bytes, with
// unknown flags, or a request longer than a short APDU). The reference
// does not say what the key answers then: the emulator answers this
// (wrong length: the request could not be put together) and drops the
// request, so that a host that sent it sees an error, never an APDU
// executed from a garbled request.
const SWFraming = SWWrongLen

// ErrGone is the error of every HID operation on a bricked key: it has
// disabled all its interfaces.
var ErrGone = errors.New("t2fido: the key is gone (all its interfaces disabled)")

// HIDOptions shape the emulated key's replies over HID.
type HIDOptions struct {
	// Chunk is how many response bytes go in one report, 1..61 (61 when
	// 0).
	Chunk int
	// Busy is how many busy reports (C0) come before the first chunk of
	// each response; with BusyEveryChunk, before every chunk.
	Busy           int
	BusyEveryChunk bool
}

// HIDDevice is the key behind Token2's HID framing; it implements
// fido.Reports. Requests are put together chunk by chunk and checked (tag,
// sequence, flags, lengths); the whole request goes to the key and its
// answer is queued as reports for ReadReport. Its methods are safe for
// concurrent use.
type HIDDevice struct {
	k *Key
	o HIDOptions

	mu       sync.Mutex
	req      []byte
	seq      int // next request chunk expected
	skipping bool
	out      [][]byte
	written  int
	errors   int
}

// HID returns the key behind Token2's HID framing. Several HIDDevices of
// one key share its state (the applet) but not their framing.
func (k *Key) HID(o HIDOptions) *HIDDevice {
	if o.Chunk <= 0 || o.Chunk > chunkMax {
		o.Chunk = chunkMax
	}
	return &HIDDevice{k: k, o: o}
}

// Stats returns how many reports were written to d and how many requests
// got the framing error reply.
func (d *HIDDevice) Stats() (written, framingErrors int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.written, d.errors
}

// WriteReport implements fido.Reports: r is one 64-byte report.
func (d *HIDDevice) WriteReport(r []byte) error {
	if d.k.Bricked() {
		return ErrGone
	}
	if len(r) != reportLen {
		return fmt.Errorf("t2fido: a report of %d bytes, want %d", len(r), reportLen)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.written++
	flags, seq, n := r[1]&0xF0, int(r[1]&0x0F), int(r[2])
	if d.skipping {
		// The rest of a request already answered with the error reply:
		// dropped up to its last chunk, or until a new request begins.
		if seq != 0 || r[0] != frameTag {
			if flags != flagMore {
				d.skipping = false
			}
			return nil
		}
		d.skipping = false
	}
	if d.seq == 0 {
		d.out = nil // a new request: an unread answer is dropped
	}
	switch {
	case r[0] != frameTag, flags != 0 && flags != flagMore, n > chunkMax, seq != d.seq%16,
		len(d.req)+n > maxAPDU:
		d.fail(flags == flagMore)
		return nil
	}
	d.req = append(d.req, r[3:3+n]...)
	d.seq++
	if flags == flagMore {
		return nil
	}
	cmd := d.req
	d.req, d.seq = nil, 0
	if len(cmd) == 0 {
		d.fail(false)
		return nil
	}
	d.queue(d.k.Transmit(cmd))
	return nil
}

// fail drops the request and queues the error reply; more says whether
// more chunks of it are coming (dropped as they come).
func (d *HIDDevice) fail(more bool) {
	d.req, d.seq, d.skipping = nil, 0, more
	d.errors++
	d.queue(sw(SWFraming))
}

// queue frames resp as reports for ReadReport.
func (d *HIDDevice) queue(resp []byte) {
	d.out = nil
	for i, off := 0, 0; off < len(resp); i++ {
		if i == 0 || d.o.BusyEveryChunk {
			for range d.o.Busy {
				b := make([]byte, reportLen)
				b[0], b[1] = frameTag, flagBusy|byte(i%16)
				d.out = append(d.out, b)
			}
		}
		n := min(d.o.Chunk, len(resp)-off)
		rep := make([]byte, reportLen)
		rep[0], rep[1], rep[2] = frameTag, byte(i%16), byte(n)
		if off+n < len(resp) {
			rep[1] |= flagMore
		}
		copy(rep[3:], resp[off:off+n])
		d.out = append(d.out, rep)
		off += n
	}
}

// ReadReport implements fido.Reports: it gives the next report of the
// pending answer. With nothing pending it fails at once (a real device
// would block; a test is better served by an error).
func (d *HIDDevice) ReadReport(r []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.out) == 0 {
		if d.k.Bricked() {
			return 0, ErrGone
		}
		return 0, errors.New("t2fido: no answer pending (no request sent)")
	}
	n := copy(r, d.out[0])
	d.out = d.out[1:]
	return n, nil
}
