package apdu

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	data, sw, err := Split([]byte{0x01, 0x02, 0x90, 0x00})
	if err != nil || !bytes.Equal(data, []byte{1, 2}) || sw != SWOK {
		t.Fatalf("Split = %x, %v, %v", data, sw, err)
	}
	if _, sw, err := Split([]byte{0x6A, 0x82}); err != nil || sw != SWFileNotFound || sw.String() != "6A 82" {
		t.Fatalf("status only: %v %v", sw, err)
	}
	for _, short := range [][]byte{nil, {0x90}} {
		if _, _, err := Split(short); !errors.Is(err, ErrShortResponse) {
			t.Errorf("Split(%x): %v", short, err)
		}
	}
}

func TestStatusError(t *testing.T) {
	for _, c := range []struct {
		e    StatusError
		want string
	}{
		{StatusError{Command: "write seed", SW: SWSecurityNotMet}, "write seed: card answered 69 82: security status not satisfied"},
		{StatusError{SW: 0x63C2}, "card answered 63 C2: verification failed, 2 tries left"},
		{StatusError{Command: "select", SW: 0x6A82, Meaning: "no such applet"}, "select: card answered 6A 82: no such applet"},
		{StatusError{SW: 0x6C10}, "wrong Le, 16 expected"},
		{StatusError{SW: 0x1234}, "unknown status"},
	} {
		if got := c.e.Error(); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want %q", c.e.SW, got, c.want)
		}
	}
}

// FuzzSplit: any response splits into data and the last two bytes, or is
// refused as too short.
func FuzzSplit(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{0x01})
	f.Fuzz(func(t *testing.T, resp []byte) {
		data, sw, err := Split(resp)
		if len(resp) < 2 {
			if err == nil {
				t.Fatal("short response accepted")
			}
			return
		}
		if err != nil || !bytes.Equal(append(append([]byte{}, data...), sw.SW1(), sw.SW2()), resp) {
			t.Fatalf("Split(%x) = %x %v %v", resp, data, sw, err)
		}
		_ = ISOMeaning(sw)
	})
}
