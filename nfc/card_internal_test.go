package nfc

import (
	"bytes"
	"testing"
)

func TestWithLe(t *testing.T) {
	cases := []struct{ in, want []byte }{
		{[]byte{0, 0xB0, 0, 0}, []byte{0, 0xB0, 0, 0, 9}},
		{[]byte{0, 0xB0, 0, 0, 0}, []byte{0, 0xB0, 0, 0, 9}},
		{[]byte{0, 0xCA, 0, 0, 2, 1, 2}, []byte{0, 0xCA, 0, 0, 2, 1, 2, 9}},
		{[]byte{0, 0xCA, 0, 0, 2, 1, 2, 0}, []byte{0, 0xCA, 0, 0, 2, 1, 2, 9}},
	}
	for _, c := range cases {
		got, err := withLe(c.in, 9)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("withLe(% X) = % X, %v", c.in, got, err)
		}
	}
	if _, err := withLe([]byte{0, 0xCA, 0, 0, 5, 1}, 9); err == nil {
		t.Error("malformed APDU accepted")
	}
}

func FuzzWithLe(f *testing.F) {
	f.Add([]byte{0, 0xB0, 0, 0, 0}, byte(4))
	f.Add([]byte{0x80, 0x41, 0, 0, 2, 2, 0x11}, byte(20))
	f.Fuzz(func(t *testing.T, cmd []byte, le byte) {
		if len(cmd) < 4 {
			return
		}
		out, err := withLe(cmd, le)
		if err != nil {
			return
		}
		if out[len(out)-1] != le || !bytes.Equal(out[:4], cmd[:4]) || len(out) < len(cmd) || len(out) > len(cmd)+1 {
			t.Fatalf("withLe(% X, %02X) = % X", cmd, le, out)
		}
	})
}
