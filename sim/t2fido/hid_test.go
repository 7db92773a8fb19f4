package t2fido_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/token2/fido"
)

// TestButtonHOTPOverHID: the burn of TestButtonHOTPThroughPCSC behind
// Token2's HID framing, with responses in chunks of 1, 7, 16 and 61 bytes
// and busy reports before the first or every chunk; the 101-byte button
// request goes in two reports. The key holds exactly the seed and digits,
// its code at counter 0 is seed.HOTPCode's, and the bricking command,
// asked for through the HID transmitter and the session's Guard, never
// arrived.
func TestButtonHOTPOverHID(t *testing.T) {
	for _, o := range []t2fido.HIDOptions{
		{}, {Chunk: 61, Busy: 1}, {Chunk: 16, Busy: 3, BusyEveryChunk: true}, {Chunk: 7, Busy: 2}, {Chunk: 1, Busy: 1, BusyEveryChunk: true},
	} {
		t.Run(fmt.Sprintf("chunk%d-busy%d-%v", o.Chunk, o.Busy, o.BusyEveryChunk), func(t *testing.T) {
			k := t2fido.New(t2fido.Options{Key: t2fido.KeyFromSeed([]byte("hid"))})
			h := k.HID(o)
			tr := fido.NewHIDTransmitter(h)
			s := fido.NewSession(tr)
			if err := s.Select(); err != nil {
				t.Fatal(err)
			}
			pub, err := s.PublicKey() // 66 bytes back
			if err != nil || !pub.Equal(k.PublicKey()) {
				t.Fatalf("public key: %v", err)
			}
			if err := s.SetButtonHOTP(8, secret20); err != nil {
				t.Fatal(err)
			}
			if err := s.SetOptions(fido.Options{Keypad: true}); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range forbiddenAsks {
				for name, g := range map[string]apdu.Transmitter{"hid": tr, "guard": fido.Guard{T: tr}} {
					if _, err := g.Transmit(cmd); !errors.Is(err, fido.ErrForbidden) {
						t.Errorf("%s: % X: %v", name, cmd, err)
					}
				}
			}
			st := k.State()
			want, _ := seed.HOTPCode(secret20, 0, seed.SHA1, 8)
			if got, _ := k.Code(0); st.Digits != 8 || !bytes.Equal(st.Seed, secret20) || got != want || !st.Options.Keypad {
				t.Fatalf("key holds %d digits, a %d-byte seed, code %q (want %q), options %+v", st.Digits, len(st.Seed), got, want, st.Options)
			}
			if f := k.Forbidden(); len(f) != 0 || len(k.Log()) != 6 {
				t.Fatalf("%d APDUs arrived, forbidden % X", len(k.Log()), f)
			}
			// select 1 report, public key 1, button 2 (101 bytes), options 3.
			if w, e := h.Stats(); w != 7 || e != 0 {
				t.Fatalf("%d reports written, %d framing errors", w, e)
			}
		})
	}
}

func report(flags byte, seq int, chunk []byte) []byte {
	r := make([]byte, 64)
	r[0], r[1], r[2] = 0x21, flags|byte(seq), byte(len(chunk))
	copy(r[3:], chunk)
	return r
}

// readAll reads the reports of one answer, skipping busy ones.
func readAll(t *testing.T, h *t2fido.HIDDevice) []byte {
	t.Helper()
	var out []byte
	for {
		r := make([]byte, 64)
		if _, err := h.ReadReport(r); err != nil {
			t.Fatal(err)
		}
		if r[1]&0xF0 == 0xC0 {
			continue
		}
		out = append(out, r[3:3+r[2]]...)
		if r[1]&0x20 == 0 {
			return out
		}
	}
}

// TestHIDFraming: requests in chunks of any size up to 61 are put
// together; a chunk out of sequence, too long, with unknown flags or a
// foreign tag, and a request longer than a short APDU get the 67 00 error
// reply, the request is dropped (the key executes nothing) and the rest of
// it is ignored; the next request is served normally.
func TestHIDFraming(t *testing.T) {
	k := t2fido.New(t2fido.Options{})
	h := k.HID(t2fido.HIDOptions{})
	sel := append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(fido.AID))}, fido.AID...)
	// The select in 1-byte chunks: 13 reports, seq 0..12.
	for i, b := range sel {
		f := byte(0x20)
		if i == len(sel)-1 {
			f = 0
		}
		if err := h.WriteReport(report(f, i, []byte{b})); err != nil {
			t.Fatal(err)
		}
	}
	if r := readAll(t, h); status(r) != 0x9000 || !k.State().Selected {
		t.Fatalf("select in 1-byte chunks: % X", r)
	}
	pk := []byte{0x80, 0xC5, 0x01, 0x00, 0x00}
	long := make([]byte, 62)
	for name, reps := range map[string][][]byte{
		"seq skipped":   {report(0x20, 0, pk[:2]), report(0x00, 2, pk[2:])},
		"seq repeated":  {report(0x20, 0, pk[:2]), report(0x20, 0, pk[2:4]), report(0x00, 1, pk[4:])},
		"first seq 1":   {report(0x00, 1, pk)},
		"chunk 62":      {append(append([]byte{0x21, 0x00, 62}, long...)[:63], 0)},
		"busy flags":    {report(0xC0, 0, pk)},
		"foreign tag":   {append([]byte{0x22}, report(0x00, 0, pk)[1:]...)},
		"empty request": {report(0x00, 0, nil)},
		"262 bytes": {report(0x20, 0, make([]byte, 61)), report(0x20, 1, make([]byte, 61)), report(0x20, 2, make([]byte, 61)),
			report(0x20, 3, make([]byte, 61)), report(0x00, 4, make([]byte, 18))},
	} {
		before := len(k.Log())
		_, e0 := h.Stats()
		for _, r := range reps {
			if err := h.WriteReport(r); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if r := readAll(t, h); !bytes.Equal(r, []byte{0x67, 0x00}) {
			t.Errorf("%s: answer % X", name, r)
		}
		if _, e := h.Stats(); e != e0+1 || len(k.Log()) != before {
			t.Errorf("%s: %d framing errors, %d APDUs executed", name, e-e0, len(k.Log())-before)
		}
		if _, err := h.ReadReport(make([]byte, 64)); err == nil {
			t.Errorf("%s: more than one answer", name)
		}
		// The next request is served.
		if _, err := fido.NewSession(fido.NewHIDTransmitter(h)).PublicKey(); err != nil {
			t.Fatalf("%s: then %v", name, err)
		}
	}
	if err := h.WriteReport(make([]byte, 65)); err == nil {
		t.Error("a 65-byte report accepted")
	}
}

// garble changes the sequence number of the n-th report written (from 0).
type garble struct {
	fido.Reports
	n, i int
}

func (g *garble) WriteReport(r []byte) error {
	if g.i++; g.i-1 == g.n {
		r = bytes.Clone(r)
		r[1] ^= 0x01
	}
	return g.Reports.WriteReport(r)
}

// TestHIDFramingErrorReachesHost: a request whose second report is out of
// sequence (the 101-byte button write) gets the error reply, which the
// session reports as 67 00; the key holds no button HOTP, and the next
// request is served.
func TestHIDFramingErrorReachesHost(t *testing.T) {
	k := t2fido.New(t2fido.Options{})
	h := k.HID(t2fido.HIDOptions{Busy: 2})
	s := fido.NewSession(fido.NewHIDTransmitter(&garble{Reports: h, n: 3})) // select 0, public key 1, button 2 and 3
	if err := s.Select(); err != nil {
		t.Fatal(err)
	}
	var se *apdu.StatusError
	if err := s.SetButtonHOTP(6, secret20); !errors.As(err, &se) || se.SW != 0x6700 {
		t.Fatalf("garbled request: %v", err)
	}
	if st := k.State(); st.Seed != nil || st.ButtonWrites != 0 || len(k.Log()) != 2 {
		t.Fatalf("garbled request executed: %+v", st)
	}
	if err := s.SetButtonHOTP(6, secret20); err != nil || !bytes.Equal(k.State().Seed, secret20) {
		t.Fatalf("then: %v", err)
	}
}
