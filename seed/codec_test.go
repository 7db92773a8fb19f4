package seed

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// "12345678901234567890", the RFC 4226 secret.
var rfcSecret = []byte("12345678901234567890")

const rfcBase32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestDecodeBase32Accepts(t *testing.T) {
	for _, in := range []string{
		rfcBase32,
		strings.ToLower(rfcBase32),
		"gezdgnbvgy3tqojqGEZDGNBVGY3TQOJQ",
		"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
		"GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ",
		"gezd gnbv\tgy3t-qojq gezdgnbvgy3tqojq",
		rfcBase32 + "========",
	} {
		b, err := DecodeBase32(in)
		if err != nil {
			t.Errorf("DecodeBase32(%q): %v", in, err)
			continue
		}
		if !bytes.Equal(b, rfcSecret) {
			t.Errorf("DecodeBase32(%q) = %x, want %x", in, b, rfcSecret)
		}
	}
}

// Every length of secret, padded and unpadded, any case, decodes back.
func TestBase32Lengths(t *testing.T) {
	for n := 1; n <= 70; n++ {
		b := bytes.Repeat([]byte{0xA5, 0x3C, 0xFF}, n)[:n]
		enc := EncodeBase32(b)
		if strings.Contains(enc, "=") {
			t.Fatalf("EncodeBase32 padded its output: %q", enc)
		}
		if enc != strings.ToUpper(enc) {
			t.Fatalf("EncodeBase32 not upper case: %q", enc)
		}
		padded := base32.StdEncoding.EncodeToString(b)
		for _, in := range []string{enc, padded, strings.ToLower(padded)} {
			got, err := DecodeBase32(in)
			if err != nil {
				t.Fatalf("%d bytes: DecodeBase32(%q): %v", n, in, err)
			}
			if !bytes.Equal(got, b) {
				t.Fatalf("%d bytes: DecodeBase32(%q) = %x, want %x", n, in, got, b)
			}
		}
	}
}

func TestDecodeBase32Rejects(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"  - ", "empty"},
		{"====", "empty"},
		{"GEZDGNBVG", "9 characters is not a whole number"},
		{"GEZ", "3 characters"},
		{"GEZDGN", "6 characters"},
		{"GEZDGNBVGY3TQOJ1", "invalid character at position 16"},
		{"GEZDGNBVGY3TQOJ0", "invalid character at position 16"},
		{"GEZDGNBVGY3TQOJ8", "invalid character at position 16"},
		{"GE=ZDGNBV", "follows '=' padding"},
		{"GEZDGNB\u00e9", "invalid character at position 8"},
		{"GEZDGNB.", "invalid character"},
		// 2 characters hold one byte plus 2 bits that must be zero: "GB" is "G"
		// (00110) "B" (00001), whose final 01 is past the byte.
		{"GB", "bits past the final byte"},
		{"GEZDGNB", "bits past the final byte"},
		{"GEZDGNBVGY3TQOJQGEZB", "bits past the final byte"},
	} {
		_, err := DecodeBase32(c.in)
		if err == nil {
			t.Errorf("DecodeBase32(%q) accepted", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeBase32(%q) = %q, want it to say %q", c.in, err, c.want)
		}
	}
}

func TestDecodeHex(t *testing.T) {
	for _, in := range []string{
		"3132333435363738393031323334353637383930",
		"31:32:33:34:35:36:37:38:39:30:31:32:33:34:35:36:37:38:39:30",
		"31 32 33 34 35 36 37 38 39 30\t31 32 33 34 35 36 37 38 39 30",
	} {
		b, err := DecodeHex(in)
		if err != nil || !bytes.Equal(b, rfcSecret) {
			t.Errorf("DecodeHex(%q) = %x, %v", in, b, err)
		}
	}
	b, err := DecodeHex("abCDef")
	if err != nil || !bytes.Equal(b, []byte{0xab, 0xcd, 0xef}) {
		t.Errorf("DecodeHex(mixed case) = %x, %v", b, err)
	}
	if got := EncodeHex([]byte{0xab, 0x01}); got != "AB01" {
		t.Errorf("EncodeHex = %q, want AB01", got)
	}
	_, err = DecodeHex("ABC")
	if !errors.Is(err, ErrOddHex) {
		t.Errorf("odd hex: %v, want ErrOddHex", err)
	}
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{" : ", "empty"},
		{"ABCG", "invalid character at position 4"},
		{"0xAB", "invalid character at position 2"},
		{"AB-CD", "invalid character at position 3"},
	} {
		_, err := DecodeHex(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeHex(%q) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	b := []byte{0xfb, 0xff, 0x00, 0x3e, 0x10}
	for _, in := range []string{
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		"+/8A\nPhA=",
		" +/8A PhA ",
	} {
		got, err := DecodeBase64(in)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("DecodeBase64(%q) = %x, %v", in, got, err)
		}
	}
	if got := Base64.Encode(b); got != base64.StdEncoding.EncodeToString(b) {
		t.Errorf("Base64.Encode = %q", got)
	}
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"==", "empty"},
		{"QUJD*", "invalid character at position 5"},
		{"QU=JD", "follows '=' padding"},
		{"QUJDR", "5 characters is not a whole number"},
		{"QUJDRF==", "bits past the final byte"}, // "ABCD" is QUJDRA==
	} {
		_, err := DecodeBase64(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("DecodeBase64(%q) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	b := []byte("\x00\x01 secret bytes \xff")
	for _, e := range []Encoding{Hex, Base32, Base64} {
		s := e.Encode(b)
		got, err := e.Decode(s)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: round trip %q = %x, %v", e, s, got, err)
		}
		pe, err := ParseEncoding(strings.ToUpper(e.String()))
		if err != nil || pe != e {
			t.Errorf("ParseEncoding(%q) = %v, %v", e, pe, err)
		}
	}
	if _, err := EncodingUnknown.Decode("AA"); err == nil {
		t.Error("EncodingUnknown.Decode accepted text")
	}
	if _, err := ParseEncoding("base58"); err == nil {
		t.Error("ParseEncoding(base58) accepted")
	}
}

func TestValidIn(t *testing.T) {
	// Only 2-7 and A-F: valid hex and valid base32 (problem 1 of real files).
	if got := ValidIn("ABCDEF234567ABCD"); len(got) != 2 {
		t.Errorf("ValidIn(ambiguous) = %v, want hex and base32", got)
	}
	if got := ValidIn(rfcBase32); len(got) != 1 || got[0] != Base32 {
		t.Errorf("ValidIn(base32) = %v", got)
	}
	if got := ValidIn("3132333435363738393031323334353637383930"); len(got) != 1 || got[0] != Hex {
		t.Errorf("ValidIn(hex) = %v", got)
	}
}

// No error message may repeat the secret text it was given, or a piece of
// it long enough to matter.
func TestDecodeErrorsNeverContainSecret(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPQRSTUVWXYZ234567"
	const hexSecret = "3132333435363738393031323334353637383930ABCDEF"
	var bad []struct {
		e  Encoding
		in string
	}
	add := func(e Encoding, in string) {
		bad = append(bad, struct {
			e  Encoding
			in string
		}{e, in})
	}
	for _, junk := range []string{"!", "1", "0", "8", "=A", "\u00e9", ".", "\x00"} {
		add(Base32, secret+junk)
		add(Base32, junk+secret)
		add(Base32, secret[:16]+junk+secret[16:])
		add(Hex, hexSecret+junk)
		add(Hex, hexSecret[:20]+junk+hexSecret[20:])
		add(Base64, secret+junk)
		add(Base64, secret[:16]+junk+secret[16:])
	}
	add(Base32, secret[:len(secret)-1])
	add(Hex, hexSecret[:len(hexSecret)-1])
	add(Base64, secret[:len(secret)-3])
	add(Base64, "A"+secret)
	for _, c := range bad {
		_, err := c.e.Decode(c.in)
		if err == nil {
			t.Errorf("%s: %q accepted", c.e, c.in)
			continue
		}
		msg := err.Error()
		for i := 0; i+6 <= len(c.in); i++ {
			if piece := c.in[i : i+6]; strings.Contains(strings.ToUpper(msg), strings.ToUpper(piece)) {
				t.Errorf("%s error %q contains %q, a piece of the secret", c.e, msg, piece)
				break
			}
		}
	}
}

func BenchmarkDecodeBase32(b *testing.B) {
	const s = "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := DecodeBase32(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHex(b *testing.B) {
	const s = "3132333435363738393031323334353637383930"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := DecodeHex(s); err != nil {
			b.Fatal(err)
		}
	}
}
