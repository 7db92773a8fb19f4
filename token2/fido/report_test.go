package fido

import (
	"encoding/json"
	"testing"
)

// TestReports: fido info's and hotp's JSON fields and text.
func TestReports(t *testing.T) {
	k := KeyInfo{Reader: "R", PublicKey: "ab", Transport: "pcsc"}
	if b, _ := json.Marshal(k); string(b) != `{"reader":"R","public_key_sha256":"ab","transport":"pcsc"}` {
		t.Errorf("info JSON: %s", b)
	}
	if want := "reader:     R\napplet:     Token2 OTP\npublic key: SHA-256 ab\n"; k.String() != want {
		t.Errorf("info text: %q", k)
	}
	p := Programmed{Serial: "T2F2-1", Digits: 8, Reader: "R"}
	if b, _ := json.Marshal(p); string(b) != `{"serial":"T2F2-1","digits":8,"reader":"R"}` {
		t.Errorf("hotp JSON: %s", b)
	}
	if want := "key T2F2-1: button HOTP set (8 digits, counter 0)"; p.Note() != want {
		t.Errorf("hotp note: %q", p.Note())
	}
}
