package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/pskc"
	"github.com/tokenctl/tokenctl/seed"
)

// pskcTokens: HOTP-8 with a counter, TOTP-6 60 s, SHA-1 (so Duo takes them).
func pskcTokens() []*seed.Token {
	return []*seed.Token{
		{Serial: "FT0001", Kind: seed.HOTP, Digits: 8, Counter: 17, Secret: []byte("12345678901234567890"), Manufacturer: "Feitian"},
		{Serial: "FT0002", Kind: seed.HOTP, Digits: 8, Counter: 0, Secret: []byte("abcdefghijabcdefghij"), Manufacturer: "Feitian"},
	}
}

func writePSKCFile(t *testing.T, path string, o pskc.WriterOptions, toks []*seed.Token) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pskc.NewWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if err := w.Write(tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConvertPSKCToDuo(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{0xA5}, 16)
	keyFile := filepath.Join(dir, "key.hex")
	os.WriteFile(keyFile, []byte(seed.EncodeHex(key)+"\n"), 0o600)
	pwFile := filepath.Join(dir, "pw.txt")
	os.WriteFile(pwFile, []byte("vendor password\n"), 0o600)
	in := filepath.Join(dir, "in.pskcxml")
	data := writePSKCFile(t, in, pskc.WriterOptions{Key: key}, pskcTokens())
	pwIn := filepath.Join(dir, "pw.pskcxml")
	writePSKCFile(t, pwIn, pskc.WriterOptions{Password: []byte("vendor password"), Iterations: pskc.MinIterations}, pskcTokens())
	want := "FT0001,3132333435363738393031323334353637383930,17\nFT0002,6162636465666768696A6162636465666768696A,0\n"

	out := filepath.Join(dir, "duo.csv")
	code, _, stderr := runCLI(t, "convert", "--from", "pskc", "--to", "duo-hotp", "--pskc-key-file", keyFile, "-o", out, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != want {
		t.Fatalf("duo file:\n%s\nwant\n%s", b, want)
	}
	// Detected format, password from the environment.
	t.Setenv("TEST_PSKC_PW", "vendor password")
	code, stdout, stderr := runCLI(t, "convert", "--to", "duo-hotp", "--pskc-password-env", "TEST_PSKC_PW", pwIn)
	if code != 0 || stdout != want {
		t.Fatalf("exit %d: %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "validate", "--to", "duo-hotp", "--pskc-password-file", pwFile, pwIn)
	if code != 0 || !strings.Contains(stdout, "2 rows (pskc) valid for duo-hotp") {
		t.Fatalf("validate: exit %d: %q", code, stdout)
	}

	// Failures: exit 1, message, no output file.
	tamperedMAC := filepath.Join(dir, "tampered.pskcxml")
	m := regexp.MustCompile(`<pskc:ValueMAC>([^<]+)<`).FindSubmatchIndex(data)
	mac, _ := base64.StdEncoding.DecodeString(string(data[m[2]:m[3]]))
	mac[0] ^= 1
	bad := append(append(append([]byte{}, data[:m[2]]...), base64.StdEncoding.EncodeToString(mac)...), data[m[3]:]...)
	os.WriteFile(tamperedMAC, bad, 0o600)
	// Downgrades: every MAC stripped; the second secret swapped for one in
	// the clear.
	stripped := regexp.MustCompile(`(?s)<pskc:MACMethod.*?</pskc:MACMethod>\s*`).ReplaceAll(data, nil)
	stripped = regexp.MustCompile(`<pskc:ValueMAC>[^<]*</pskc:ValueMAC>\s*`).ReplaceAll(stripped, nil)
	noMAC := filepath.Join(dir, "nomac.pskcxml")
	os.WriteFile(noMAC, stripped, 0o600)
	ev := regexp.MustCompile(`(?s)<pskc:EncryptedValue>.*?</pskc:ValueMAC>`).FindAllIndex(data, -1)
	plantedFile := filepath.Join(dir, "planted.pskcxml")
	os.WriteFile(plantedFile, append(append(append([]byte{}, data[:ev[1][0]]...), "<pskc:PlainValue>QUJDREVGR0hJSktMTU5PUFFSU1Q=</pskc:PlainValue>"...), data[ev[1][1]:]...), 0o600)
	wrongKey := filepath.Join(dir, "wrong.hex")
	os.WriteFile(wrongKey, []byte(strings.Repeat("00", 16)), 0o600)
	wrongPw := filepath.Join(dir, "wrong.txt")
	os.WriteFile(wrongPw, []byte("not it"), 0o600)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"tampered MAC", []string{"--pskc-key-file", keyFile, tamperedMAC}, 1, "tampered.pskcxml:25: Secret: cannot decrypt: MAC does not match: the value was altered\ntokenctl: invalid input: 1 error in 1 of 2 rows"},
		{"MACs stripped", []string{"--pskc-key-file", keyFile, noMAC}, 1, "Secret/ValueMAC: missing: the value is CBC-encrypted but the container has no MACMethod"},
		{"secret planted in the clear", []string{"--pskc-key-file", keyFile, plantedFile}, 1, "Secret/PlainValue: a secret in the clear in an encrypted container"},
		{"wrong key", []string{"--pskc-key-file", wrongKey, in}, 1, "in.pskcxml:7: MACMethod/MACKey: cannot decrypt the MAC key: wrong key or password"},
		{"wrong password", []string{"--pskc-password-file", wrongPw, pwIn}, 1, "pw.pskcxml:18: MACMethod/MACKey: cannot decrypt the MAC key: wrong key or password"},
		{"no key", []string{in}, 1, "in.pskcxml:3: EncryptionKey: the file is encrypted with a pre-shared key (named \"Pre-shared-key\"); no key given (give the key with --pskc-key-file"},
		{"password for key file", []string{"--pskc-password-file", pwFile, in}, 1, "not a password; give the key"},
		{"both", []string{"--pskc-key-file", keyFile, "--pskc-password-file", pwFile, in}, 2, "give a PSKC key or a PSKC password, not both"},
		{"short key", []string{"--pskc-key-file", pwFile, in}, 2, "PSKC key: not hex"},
		{"key length", []string{"--pskc-key-env", "TEST_SHORT_KEY", in}, 2, "PSKC key: 5 bytes; want 16, 24 or 32"},
	} {
		t.Setenv("TEST_SHORT_KEY", "0102030405")
		o := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-")+".csv")
		args := append([]string{"convert", "--from", "pskc", "--to", "duo-hotp", "-o", o}, c.args...)
		code, _, stderr := runCLI(t, args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit %d and %q", c.name, code, stderr, c.code, c.want)
		}
		if _, err := os.Stat(o); err == nil {
			t.Errorf("%s: output file written", c.name)
		}
		if strings.Contains(stderr, seed.EncodeHex(key)) || strings.Contains(stderr, "vendor password") {
			t.Errorf("%s: a secret in the error output", c.name)
		}
	}
}

// Conversions carry serial, hash, digits, period and counter through PSKC,
// encrypted with a password, and back.
func TestConvertThroughPSKC(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	linotp := filepath.Join(dir, "in.csv")
	src := "LO-1, 3132333435363738393031323334353637383930313233343536373839303132, totp, 8, 60, sha256\n" +
		"LO-2, 3132333435363738393031323334353637383930, hotp, 6, 30, sha1\n"
	os.WriteFile(linotp, []byte(src), 0o600)
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("p"), 0o600)
	enc := filepath.Join(dir, "out.pskcxml")
	code, _, stderr := runCLI(t, "convert", "--from", "linotp", "--to", "pskc", "--pskc-password-file", pwFile, "-o", enc, linotp)
	if code != 0 {
		t.Fatalf("to pskc: exit %d: %s", code, stderr)
	}
	st, err := os.Stat(enc)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("output: %v %v", st.Mode(), err)
	}
	b, _ := os.ReadFile(enc)
	if !bytes.Contains(b, []byte("xenc11:DerivedKey")) || bytes.Contains(b, []byte("PlainValue>MTIz")) {
		t.Fatal("the container is not password-encrypted")
	}
	if _, err := exec.LookPath("pskctool"); err == nil {
		if out, err := exec.Command("pskctool", "--validate", enc).Output(); err != nil || strings.TrimSpace(string(out)) != "OK" {
			t.Errorf("pskctool --validate: %s %v", out, err)
		}
	}
	code, stdout, stderr := runCLI(t, "convert", "--from", "pskc", "--to", "linotp", "--pskc-password-file", pwFile, enc)
	if code != 0 {
		t.Fatalf("from pskc: exit %d: %s", code, stderr)
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	if norm(stdout) != norm(src) {
		t.Fatalf("round trip through pskc:\n%s\nwant\n%s", stdout, src)
	}
}

// Every fixture python-pskc decrypts with a pre-shared key converts through
// the CLI; here one per vendor, to Duo.
func TestConvertVendorPSKC(t *testing.T) {
	wd, _ := os.Getwd()
	dir := filepath.Join(wd, "..", "..", "..", "shared", "fixtures", "pskc")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PSKC fixtures missing under CI: %v", err)
		}
		t.Skip("PSKC fixtures not present")
	}
	keyFile := filepath.Join(t.TempDir(), "k")
	os.WriteFile(keyFile, []byte("12345678901234567890123456789012"), 0o600)
	code, stdout, stderr := runCLI(t, "convert", "--from", "pskc", "--to", "linotp", "--pskc-key-file", keyFile, filepath.Join(dir, "multiotp", "tokens_totp_aes.pskc"))
	if code != 0 || strings.Count(stdout, "\n") != 2 || !strings.Contains(stdout, "ZZ8000000001, 38C2506A8E0708A5E929C2686B827E0BA7AE28C9DE3C83E6D27308345981A3DE, totp, 8, 30, sha256\n") || !strings.Contains(stdout, ", totp, 8, 30, sha512\n") {
		t.Fatalf("multiotp: exit %d: %q %s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "convert", "--from", "pskc", "--to", "duo", "--split", "-o", filepath.Join(t.TempDir(), "d.csv"), filepath.Join(dir, "feitian", "20120919-test001-4282.xml"))
	if code != 0 {
		t.Fatalf("feitian: exit %d: %q %s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "validate", "--to", "duo-hotp", filepath.Join(dir, "nagraid", "file1.pskcxml"), "--pskc-key-env", "NOPE")
	if code != 2 || !strings.Contains(stderr, "NOPE is not set") {
		t.Fatalf("unset env: exit %d: %s", code, stderr)
	}
	t.Setenv("NAGRA_KEY", "4A057F6AB6FCB57AB5408E46A9835E68")
	code, _, stderr = runCLI(t, "validate", "--to", "duo-hotp", filepath.Join(dir, "nagraid", "file1.pskcxml"), "--pskc-key-env", "NAGRA_KEY")
	if code != 1 || !strings.Contains(stderr, "file1.pskcxml:32: Key 880479B6A2CA2080/Algorithm: \"urn:ietf:params:xml:ns:keyprov:pskc:ocra\" is not an HOTP, TOTP or Yubico OTP key") {
		t.Fatalf("OCRA keys: exit %d: %s", code, stderr)
	}
}
