package convert

import (
	"os"
	"path/filepath"
	"testing"
)

// TestYubicoLogToDuo converts a Personalization Tool log (what Okta takes)
// into Duo's YubiKey AES import.
func TestYubicoLogToDuo(t *testing.T) {
	for _, n := range []string{"yubico", "yubico-traditional", "ykpers-yubico"} {
		if _, ok := Lookup(n); !ok {
			t.Fatalf("format %s not registered", n)
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "okta.csv")
	log := "12345678,vvccccnrhbfu,010203040506,000102030405060708090a0b0c0d0e0f,000000000000,2026-11-24T05:06:07,\n" +
		"12345679,vvccccnrhbfv,0a0b0c0d0e0f,0f0e0d0c0b0a09080706050403020100,000000000000,2026-11-24T05:06:08,\n"
	if err := os.WriteFile(in, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Detect([]byte(log))
	if err != nil || f.Name != "yubico" {
		t.Fatalf("detect: %v %v", f, err)
	}
	out := filepath.Join(dir, "duo.csv")
	if _, err := Run([]string{in}, "yubico", "duo-yubikey", out, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	want := "12345678,010203040506,000102030405060708090a0b0c0d0e0f\n12345679,0a0b0c0d0e0f,0f0e0d0c0b0a09080706050403020100\n"
	if string(b) != want {
		t.Fatalf("duo file:\n%s\nwant\n%s", b, want)
	}
	// And back to a Yubico log, appended one key at a time.
	back := filepath.Join(dir, "back.csv")
	toks, err := ReadAll(in, "yubico", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if err := AppendFile(back, "yubico", tok, nil); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(back); string(b) != log {
		t.Fatalf("appended log:\n%s\nwant\n%s", b, log)
	}
}
