package fido

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tokenctl/tokenctl/apdu"
)

// fakeHID is a key behind Token2's HID framing: it reassembles each
// request (checking flags and sequence numbers), hands it to dev, and
// returns the response in 61-byte chunks with busy reports between them
// (busy after every chunk when busy is set).
type fakeHID struct {
	t        *testing.T
	dev      apdu.Transmitter
	busy     bool
	req      []byte
	seq      int
	out      [][]byte
	requests int
}

func (f *fakeHID) WriteReport(r []byte) error {
	if len(r) != 64 || r[0] != 0x21 || int(r[1]&0x0F) != f.seq%16 || r[2] > 61 {
		f.t.Errorf("request report % X (chunk %d)", r[:3], f.seq)
		return errors.New("bad report")
	}
	f.req = append(f.req, r[3:3+r[2]]...)
	f.seq++
	if r[1]&0x20 != 0 {
		return nil
	}
	f.requests++
	resp, err := f.dev.Transmit(f.req)
	f.req, f.seq = nil, 0
	if err != nil {
		return err
	}
	for i, off := 0, 0; off < len(resp); i++ {
		n := min(61, len(resp)-off)
		rep := make([]byte, 64)
		rep[0], rep[1], rep[2] = 0x21, byte(i%16), byte(n)
		if off+n < len(resp) {
			rep[1] |= 0x20
		}
		copy(rep[3:], resp[off:off+n])
		if f.busy {
			b := make([]byte, 64)
			b[0], b[1] = 0x21, 0xC0|byte(i%16)
			f.out = append(f.out, b, b)
		}
		f.out = append(f.out, rep)
		off += n
	}
	return nil
}

func (f *fakeHID) ReadReport(r []byte) (int, error) {
	if len(f.out) == 0 {
		return 0, errors.New("nothing to read")
	}
	n := copy(r, f.out[0])
	f.out = f.out[1:]
	return n, nil
}

// TestButtonHOTPOverHID: the same burn over the HID framing, with requests
// and responses longer than one report and the key busy between chunks.
func TestButtonHOTPOverHID(t *testing.T) {
	for _, busy := range []bool{false, true} {
		dev := newApplet(t)
		h := &fakeHID{t: t, dev: dev, busy: busy}
		s := NewSession(NewHIDTransmitter(h))
		secret := bytes.Repeat([]byte{0x5A}, 20)
		if err := s.Select(); err != nil {
			t.Fatal(err)
		}
		if err := s.SetButtonHOTP(6, secret); err != nil { // 101-byte request: 2 reports; 66-byte key: 2
			t.Fatal(err)
		}
		if err := s.SetOptions(Options{NoEnter: true}); err != nil {
			t.Fatal(err)
		}
		if dev.digits != 6 || !bytes.Equal(dev.seed, secret) || dev.opts[0x02] != 1 || h.requests != 6 {
			t.Fatalf("busy %v: key holds %d digits, seed % X, options %v, %d requests", busy, dev.digits, dev.seed, dev.opts, h.requests)
		}
	}
}

// TestHIDFramingErrors: a lost chunk, a foreign report and a key that stays
// busy are errors, never a short response taken for whole.
func TestHIDFramingErrors(t *testing.T) {
	for name, reports := range map[string][][]byte{
		"lost chunk": {frame(0x20, 0, 61), frame(0x00, 2, 2)},
		"foreign":    {append([]byte{0x22}, make([]byte, 63)...)},
		"long chunk": {frame(0x00, 0, 62)},
	} {
		tr := NewHIDTransmitter(&scripted{out: reports})
		if _, err := tr.Transmit([]byte{0x00, 0xA4, 0x04, 0x00}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var stuck [][]byte
	for range maxBusy + 1 {
		stuck = append(stuck, frame(0xC0, 0, 0))
	}
	if _, err := NewHIDTransmitter(&scripted{out: stuck}).Transmit([]byte{0, 0xA4, 4, 0}); err == nil {
		t.Error("a key busy for good: accepted")
	}
}

func frame(flags byte, seq, n int) []byte {
	r := make([]byte, 64)
	r[0], r[1], r[2] = 0x21, flags|byte(seq), byte(n)
	return r
}

type scripted struct{ out [][]byte }

func (s *scripted) WriteReport([]byte) error { return nil }
func (s *scripted) ReadReport(r []byte) (int, error) {
	if len(s.out) == 0 {
		return 0, errors.New("nothing to read")
	}
	n := copy(r, s.out[0])
	s.out = s.out[1:]
	return n, nil
}
