package seed

import (
	"strings"
	"testing"
)

func TestCheckDigitsAndPeriod(t *testing.T) {
	for _, c := range []struct {
		digits, period int
		hardware, ok   bool
	}{
		{6, 30, true, true}, {8, 60, true, true}, {7, 30, true, false}, {6, 45, true, false},
		{7, 45, false, true}, {6, 1, false, true}, {8, MaxPeriod, false, true},
		{5, 30, false, false}, {9, 30, false, false}, {6, 0, false, false}, {6, MaxPeriod + 1, false, false},
	} {
		err := CheckDigits(c.digits, c.hardware)
		if perr := CheckPeriod(c.period, c.hardware); err == nil {
			err = perr
		}
		if (err == nil) != c.ok {
			t.Errorf("digits %d period %d hardware %t: %v, want ok %t", c.digits, c.period, c.hardware, err, c.ok)
		}
	}
	if err := CheckPeriod(45, true); err == nil || err.Error() != "45: want 30 or 60" {
		t.Errorf("CheckPeriod(45, true) = %v", err)
	}
}

func TestParseOATHKind(t *testing.T) {
	for s, want := range map[string]Kind{"totp": TOTP, "HOTP": HOTP, "yubico-otp": KindUnknown, "x": KindUnknown} {
		k, err := ParseOATHKind(s)
		if k != want || (err == nil) != (want != KindUnknown) {
			t.Errorf("ParseOATHKind(%q) = %v, %v", s, k, err)
		}
	}
}

func TestDecodeSecret(t *testing.T) {
	if b, err := DecodeSecret("GEZDGNBV", Base32, "$S"); err != nil || string(b) != "12345" {
		t.Errorf("base32: %q %v", b, err)
	}
	_, err := DecodeSecret("GEZDGNBV", Hex, "$S")
	if err == nil || err.Error() != "$S: hex: invalid character at position 1 (is it base32? see --encoding)" {
		t.Errorf("hex: %v", err)
	}
	if _, err := DecodeSecret("", Base32, "f"); err == nil || !strings.HasPrefix(err.Error(), "f: ") {
		t.Errorf("empty: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]int64{"59": 59, "@1111111109": 1111111109, "2005-03-18T01:58:29Z": 1111111109, "2005-03-18T02:58:29+01:00": 1111111109, "0": 0} {
		if got, err := ParseTime(in); err != nil || got.Unix() != want {
			t.Errorf("%s: %v %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "1969-12-31T23:59:59Z", "yesterday", "", "2005-03-18"} {
		if got, err := ParseTime(in); err == nil {
			t.Errorf("%q: %v accepted", in, got)
		}
	}
	if _, err := ParseTime("-5"); err == nil || err.Error() != `"-5": before 1970` {
		t.Errorf("-5: %v", err)
	}
}
