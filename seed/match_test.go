package seed

import (
	"testing"
	"time"
)

// RFC 4226 appendix D: the secret "12345678901234567890" and its codes.
var rfc4226 = []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}

func TestTokenMatch(t *testing.T) {
	secret := []byte("12345678901234567890")
	h := &Token{Kind: HOTP, Hash: SHA1, Secret: secret, Counter: 3}
	for _, c := range []struct {
		code   string
		window int
		found  bool
		off    int
		msg    string
	}{
		{rfc4226[8], -1, true, 5, "matches counter 8 (offset +5 from 3): the token was pressed 5 times without a login; next code at counter 9"},
		{rfc4226[3], -1, true, 0, "matches counter 3 (offset 0): the token is in step; next code at counter 4"},
		{rfc4226[2], -1, false, 0, "the code matches no counter from 3 to 23"},
		{rfc4226[8], 4, false, 0, "the code matches no counter from 3 to 7"},
	} {
		m, err := h.Match(c.code, time.Time{}, c.window)
		if err != nil || m.Found != c.found || m.Offset != c.off || m.Message(false) != c.msg {
			t.Errorf("HOTP %s: %+v %v %q", c.code, m, err, m.Message(false))
		}
	}
	if _, err := h.Match("12345", time.Time{}, -1); err == nil {
		t.Error("a 5-character code is accepted")
	}
	// RFC 6238: at 59 s the SHA-1 8-digit code is 94287082 (step 1).
	tt := &Token{Kind: TOTP, Hash: SHA1, Digits: 8, Secret: secret}
	at := time.Unix(59+3*30, 0) // three steps later: the token is 90 s slow
	m, err := tt.Match("94287082", at, -1)
	if err != nil || !m.Found || m.Offset != -3 || m.DriftSeconds() != -90 || m.Window != 10 || m.Step != 4 ||
		m.Message(false) != "matches step -3 (-90 s): the token's clock is 90 s slow" {
		t.Errorf("TOTP: %+v %v %q", m, err, m.Message(false))
	}
	m, _ = tt.Match("94287082", time.Unix(59, 0), 0)
	if m.Message(true) != "matches the step of --time (0 s): the token's clock is right" || m.Message(false) != "matches the current step (0 s): the token's clock is right" {
		t.Errorf("TOTP in step: %q", m.Message(true))
	}
	m, _ = tt.Match("94287082", time.Unix(59-2*30+30*100, 0), 2)
	if m.Found || m.Message(false) != "the code matches no step within 2 steps (60 s) of 1970-01-01T00:49:59Z" {
		t.Errorf("TOTP no match: %+v %q", m, m.Message(false))
	}
}
