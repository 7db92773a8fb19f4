package seed

import (
	"bytes"
	"strings"
	"testing"
)

// canonical strips what a lenient decoder accepts around the digits.
func canonical(s, drop string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(drop, r) {
			return -1
		}
		return r
	}, s)
}

// fuzzRoundTrip checks both directions for one codec: text that decodes
// re-encodes to the same digits (decoding is one-to-one once case,
// separators and padding are set aside), and the bytes the fuzzer gives
// as text survive encode then decode.
func fuzzRoundTrip(t *testing.T, s string, dec func(string) ([]byte, error), enc func([]byte) string, norm func(string) string) {
	if b, err := dec(s); err == nil {
		if len(b) == 0 {
			t.Fatalf("%q decoded to no bytes without an error", s)
		}
		if got, want := enc(b), norm(s); got != want {
			t.Fatalf("%q decodes to %x, which encodes to %q, not %q", s, b, got, want)
		}
	} else if len(s) >= 16 && strings.Contains(err.Error(), s) {
		t.Fatalf("error %q repeats the input", err)
	}
	raw := []byte(s)
	if len(raw) == 0 {
		return
	}
	back, err := dec(enc(raw))
	if err != nil || !bytes.Equal(back, raw) {
		t.Fatalf("round trip of %x: %x, %v", raw, back, err)
	}
}

func FuzzDecodeBase32(f *testing.F) {
	for _, s := range []string{rfcBase32, "gezd-gnbv gy3t", "GE======", "GB", "AAAAAAA", "=", "A=B", "\xff", "GEZDGNA="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzRoundTrip(t, s, DecodeBase32, EncodeBase32, func(s string) string {
			return strings.ToUpper(canonical(s, " -\t="))
		})
	})
}

func FuzzDecodeHex(f *testing.F) {
	for _, s := range []string{"3132", "ab:CD", "a b", "ABC", "", "0x12", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzRoundTrip(t, s, DecodeHex, EncodeHex, func(s string) string {
			return strings.ToUpper(canonical(s, " :\t"))
		})
	})
}

func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"QUJD", "QUJDRA==", "-_8=", "+/8A\nPhA=", "QUJDR", "QUJDRF==", "=", "Q="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzRoundTrip(t, s, DecodeBase64, Base64.Encode, func(s string) string {
			s = canonical(s, " \t\r\n=")
			s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
			// The encoder pads to a multiple of 4.
			for len(s)%4 != 0 {
				s += "="
			}
			return s
		})
	})
}
