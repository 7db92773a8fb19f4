package pskc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// sampleTokens covers every kind and parameter a container carries.
func sampleTokens() []*seed.Token {
	y := &seed.Token{Serial: "283599", Kind: seed.YubicoOTP, Secret: []byte("0123456789abcdef"),
		PublicID: []byte{1, 2, 3, 4, 5, 6}, PrivateID: []byte{6, 5, 4, 3, 2, 1}, Manufacturer: "Yubico", User: "bob"}
	y.SetLabel(LabelSlot, "2")
	d := &seed.Token{Serial: "T-3", Kind: seed.TOTP, Hash: seed.SHA512, Digits: 8, Period: 30,
		Secret: bytes.Repeat([]byte{0xAB}, 64), Issuer: "ACME <IT> & co", Model: "c200"}
	d.SetLabel(LabelTimeDrift, "-2")
	return []*seed.Token{
		{Serial: "00012345", Kind: seed.HOTP, Digits: 8, Counter: 1 << 40, Secret: []byte("12345678901234567890"), Manufacturer: "Feitian", Issuer: "ACME"},
		{Serial: "T-2", Kind: seed.TOTP, Hash: seed.SHA256, Period: 60, Secret: []byte("12345678901234567890123456789012"), User: "alice@example.com"},
		d,
		y,
	}
}

func writeContainer(t testing.TB, o WriterOptions, toks []*seed.Token) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, o)
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
	return buf.Bytes()
}

func readTokens(t testing.TB, data []byte, o Options) ([]*seed.Token, error) {
	t.Helper()
	keys, _, err := ReadAll(bytes.NewReader(data), o)
	if err != nil {
		return nil, err
	}
	var out []*seed.Token
	for _, k := range keys {
		tok, err := k.Token()
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.ID, err)
		}
		out = append(out, tok)
	}
	return out, nil
}

func sameToken(t testing.TB, got, want *seed.Token) {
	t.Helper()
	g, w := *got, *want
	if g.Serial != w.Serial || g.Kind != w.Kind || g.Hash != w.Hash || g.EffectiveDigits() != w.EffectiveDigits() ||
		g.Counter != w.Counter || g.Manufacturer != w.Manufacturer || g.Model != w.Model || g.User != w.User ||
		g.Issuer != w.Issuer || !bytes.Equal(g.Secret, w.Secret) || !bytes.Equal(g.PublicID, w.PublicID) ||
		!bytes.Equal(g.PrivateID, w.PrivateID) {
		t.Errorf("round trip:\n got  %+v %x %x\n want %+v %x %x", g, g.PublicID, g.PrivateID, w, w.PublicID, w.PrivateID)
	}
	if w.Kind == seed.TOTP && g.EffectivePeriod() != w.EffectivePeriod() {
		t.Errorf("%s: period %d, want %d", w.Serial, g.EffectivePeriod(), w.EffectivePeriod())
	}
	for _, l := range []string{LabelTimeDrift, LabelSlot} {
		if w.Label(l) != "" && g.Label(l) != w.Label(l) {
			t.Errorf("%s: label %s = %q, want %q", w.Serial, l, g.Label(l), w.Label(l))
		}
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	pw := []byte("correct horse battery staple")
	for _, c := range []struct {
		name string
		wo   WriterOptions
		ro   Options
		alg  string
	}{
		{"plain", WriterOptions{}, Options{}, ""},
		{"aes128", WriterOptions{Key: bytes.Repeat([]byte{1}, 16)}, Options{Key: bytes.Repeat([]byte{1}, 16)}, "aes128-cbc"},
		{"aes192", WriterOptions{Key: bytes.Repeat([]byte{2}, 24)}, Options{Key: bytes.Repeat([]byte{2}, 24)}, "aes192-cbc"},
		{"aes256", WriterOptions{Key: bytes.Repeat([]byte{3}, 32)}, Options{Key: bytes.Repeat([]byte{3}, 32)}, "aes256-cbc"},
		{"password", WriterOptions{Password: pw, Iterations: MinIterations}, Options{Password: pw}, "aes128-cbc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := sampleTokens()
			data := writeContainer(t, c.wo, want)
			if c.alg == "" && bytes.Contains(data, []byte("EncryptedValue")) {
				t.Fatal("plain container has encrypted values")
			}
			if c.alg != "" {
				if n := bytes.Count(data, []byte("#"+c.alg+`"`)); n != len(want)+1 {
					t.Fatalf("%d values encrypted with %s, want %d", n, c.alg, len(want)+1)
				}
				if n := bytes.Count(data, []byte("<pskc:ValueMAC>")); n != len(want) {
					t.Fatalf("%d ValueMACs, want %d", n, len(want))
				}
				for _, tok := range want {
					if bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString(tok.Secret))) {
						t.Fatal("a secret is in the file in the clear")
					}
				}
			}
			got, err := readTokens(t, data, c.ro)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d tokens, want %d", len(got), len(want))
			}
			for i := range want {
				sameToken(t, got[i], want[i])
			}
		})
	}
}

// Every encrypted value gets its own IV, every file its own MAC key and salt.
func TestWriterRandomness(t *testing.T) {
	tok := sampleTokens()[:1]
	toks := []*seed.Token{tok[0], tok[0]}
	a := writeContainer(t, WriterOptions{Password: []byte("pw"), Iterations: MinIterations}, toks)
	b := writeContainer(t, WriterOptions{Password: []byte("pw"), Iterations: MinIterations}, toks)
	cv := regexp.MustCompile(`<(?:xenc:CipherValue|Specified)>([^<]+)<`)
	seen := map[string]bool{}
	for _, f := range [][]byte{a, b} {
		for _, m := range cv.FindAllSubmatch(f, -1) {
			s := string(m[1])
			if seen[s] {
				t.Fatalf("value %s repeated", s)
			}
			seen[s] = true
		}
	}
	if len(seen) != 2*(1+1+2) { // per file: salt, MAC key, 2 secrets
		t.Fatalf("%d distinct values", len(seen))
	}
}

func TestWriterRefuses(t *testing.T) {
	if _, err := NewWriter(io.Discard, WriterOptions{Key: make([]byte, 20)}); err == nil || !strings.Contains(err.Error(), "want 16, 24 or 32") {
		t.Errorf("20-byte key: %v", err)
	}
	if _, err := NewWriter(io.Discard, WriterOptions{Key: make([]byte, 16), Password: []byte("x")}); err == nil {
		t.Error("key and password accepted")
	}
	if _, err := NewWriter(io.Discard, WriterOptions{Password: []byte("x"), Iterations: 1000}); err == nil || !strings.Contains(err.Error(), "too few") {
		t.Errorf("1000 iterations: %v", err)
	}
	w, _ := NewWriter(io.Discard, WriterOptions{})
	bad := &seed.Token{Serial: "a\x01b", Kind: seed.HOTP, Secret: []byte("12345678901234567890")}
	if err := w.Write(bad); err == nil || !strings.Contains(err.Error(), "holds characters XML cannot carry") {
		t.Errorf("control character: %v", err)
	}
	w, _ = NewWriter(io.Discard, WriterOptions{})
	if err := w.Write(&seed.Token{Serial: "1", Kind: seed.KindUnknown, Secret: []byte("x")}); err == nil {
		t.Error("unknown kind written")
	}
	if err := w.Write(&seed.Token{Serial: "1", Kind: seed.YubicoOTP, Secret: make([]byte, 20)}); err == nil {
		t.Error("20-byte Yubico key written")
	}
}

func TestEmptyContainer(t *testing.T) {
	data := writeContainer(t, WriterOptions{Key: make([]byte, 16)}, nil)
	keys, _, err := ReadAll(bytes.NewReader(data), Options{Key: make([]byte, 16)})
	if err != nil || len(keys) != 0 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
}

// tamper rewrites the n-th (0-based) match of re in data with f.
func tamper(t *testing.T, data []byte, re string, n int, f func(string) string) []byte {
	t.Helper()
	rx := regexp.MustCompile(re)
	ms := rx.FindAllSubmatchIndex(data, -1)
	if n >= len(ms) {
		t.Fatalf("%s: only %d matches", re, len(ms))
	}
	m := ms[n]
	out := append([]byte{}, data[:m[2]]...)
	out = append(out, f(string(data[m[2]:m[3]]))...)
	return append(out, data[m[3]:]...)
}

// flipB64 alters an IV-prefixed CBC ciphertext so that its padding is
// certainly wrong: flipping the low bit of the byte that precedes the last
// block by 16 flips the last plaintext byte, the pad length p, to p^1, which
// is never a valid pad after p bytes of p. (Flipping the last ciphertext
// byte garbles the whole last block instead, and about one time in 256 the
// padding still came out valid: TestTamperedValues then failed at random.)
func flipB64(s string) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	b[len(b)-17] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func TestTamperedValues(t *testing.T) {
	key := bytes.Repeat([]byte{5}, 16)
	toks := sampleTokens()[:3]
	data := writeContainer(t, WriterOptions{Key: key}, toks)

	// The second key's MAC is altered: first and third still read, the
	// second fails on its own (the key is right: the value was altered).
	r, _ := NewReader(bytes.NewReader(tamper(t, data, `<pskc:ValueMAC>([^<]+)<`, 1, flipB64)), Options{Key: key, File: "x.pskc"})
	var ok, bad int
	for {
		k, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Fatal || !errors.Is(err, ErrMAC) || !strings.Contains(err.Error(), "x.pskc:") ||
				!strings.Contains(err.Error(), "Secret: cannot decrypt: MAC does not match: the value was altered") {
				t.Fatalf("second key: %v", err)
			}
			bad++
			continue
		}
		if k.Secret == nil {
			t.Fatal("key without secret")
		}
		ok++
	}
	if ok != 2 || bad != 1 {
		t.Fatalf("%d read, %d failed", ok, bad)
	}

	// The first ciphertext is altered: nothing has decrypted yet, so the
	// read stops (wrong key or altered file).
	cases := []struct {
		name string
		data []byte
		want string
		is   error
	}{
		{"first ciphertext", tamper(t, data, `<xenc:CipherValue>([^<]+)<`, 1, flipB64), "Secret: cannot decrypt: wrong key or password, or the file was altered (MAC does not match)", ErrMAC},
		{"MAC key", tamper(t, data, `<xenc:CipherValue>([^<]+)<`, 0, flipB64), "MACMethod/MACKey: cannot decrypt the MAC key", ErrWrongCredential},
		{"MAC removed", tamper(t, data, `(<pskc:ValueMAC>[^<]+</pskc:ValueMAC>)`, 0, func(string) string { return "" }), "Secret/ValueMAC: missing: the container declares a MACMethod", ErrMAC},
		{"MAC algorithm", bytes.Replace(data, []byte("xmldsig-more#hmac-sha256"), []byte("xmldsig-more#hmac-sha512"), 1), "MAC does not match", ErrMAC},
	}
	for _, c := range cases {
		keys, _, err := ReadAll(bytes.NewReader(c.data), Options{Key: key})
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, c.is) {
			t.Errorf("%s: %d keys, err = %v; want %q", c.name, len(keys), err, c.want)
		}
	}
	// A wrong key: fatal at the MAC key, never a key with a garbage secret.
	for i := 0; i < 16; i++ {
		wrong := bytes.Repeat([]byte{byte(0x40 + i)}, 16)
		keys, _, err := ReadAll(bytes.NewReader(data), Options{Key: wrong})
		// About once in 65536 a wrong key unpads both the MAC key and
		// the first value cleanly: that value then fails as altered,
		// which still gives no key.
		if err == nil || len(keys) != 0 || !(errors.Is(err, ErrWrongCredential) || errors.Is(err, ErrMAC)) {
			t.Fatalf("wrong key %d: %d keys, %v", i, len(keys), err)
		}
	}
}

// With the MAC key decrypted and a value that decrypts cleanly, an altered
// MAC is that key's error even on the first key: the read goes on (before,
// a first key failing its MAC stopped the read as a wrong credential, and
// the keys after it were never read). If no value verifies at all, the
// end of the file reports a wrong credential after all.
func TestTamperedFirstKeyReadsOn(t *testing.T) {
	key := bytes.Repeat([]byte{5}, 16)
	data := writeContainer(t, WriterOptions{Key: key}, sampleTokens()[:3])
	mac := `<pskc:ValueMAC>([^<]+)<`
	read := func(data []byte) (got []string) {
		r, _ := NewReader(bytes.NewReader(data), Options{Key: key, File: "x.pskc"})
		for i := 0; i < 10; i++ {
			k, err := r.Next()
			var e *Error
			switch {
			case err == io.EOF:
				return got
			case errors.As(err, &e) && e.Fatal:
				return append(got, "fatal "+err.Error())
			case err != nil:
				if !errors.Is(err, ErrMAC) {
					t.Fatalf("%v", err)
				}
				got = append(got, err.Error())
			default:
				got = append(got, "key "+k.ID)
			}
		}
		t.Fatal("Next does not end")
		return nil
	}
	got := read(tamper(t, tamper(t, data, mac, 2, flipB64), mac, 0, flipB64))
	if len(got) != 3 || got[1] != "key "+sampleTokens()[1].Serial ||
		!strings.HasSuffix(got[0], "Secret: cannot decrypt: MAC does not match: the value was altered") ||
		!strings.HasSuffix(got[2], "Secret: cannot decrypt: MAC does not match: the value was altered") {
		t.Fatalf("keys 1 and 3 altered: %q", got)
	}
	all := tamper(t, tamper(t, tamper(t, data, mac, 2, flipB64), mac, 1, flipB64), mac, 0, flipB64)
	got = read(all)
	if len(got) != 4 || !strings.HasPrefix(got[3], "fatal x.pskc:") ||
		!strings.Contains(got[3], "ValueMAC: no value's MAC matches (3 values failed): wrong key or password, or the file was altered") {
		t.Fatalf("every key altered: %q", got)
	}
	if _, _, err := ReadAll(bytes.NewReader(all), Options{Key: key}); !errors.Is(err, ErrMAC) {
		t.Fatalf("%v", err)
	}
}

// An encrypted file without an EncryptionKey element: the missing key is
// reported at the value that needs it, not without a line.
func TestNoKeyLineWithoutEncryptionKey(t *testing.T) {
	data := writeContainer(t, WriterOptions{Key: bytes.Repeat([]byte{5}, 16)}, sampleTokens()[:1])
	data = regexp.MustCompile(`(?s)<pskc:EncryptionKey>.*</pskc:EncryptionKey>\s*`).ReplaceAll(data, nil)
	line := 1 + bytes.Count(data[:bytes.Index(data, []byte("<pskc:Secret>"))], []byte("\n"))
	_, _, err := ReadAll(bytes.NewReader(data), Options{File: "x.pskc"})
	want := fmt.Sprintf("x.pskc:%d: EncryptionKey: the file is encrypted with a pre-shared key; no key given", line)
	if !errors.Is(err, ErrNoCredential) || err.Error() != want {
		t.Fatalf("%v, want %s", err, want)
	}
}

func TestWrongPassword(t *testing.T) {
	data := writeContainer(t, WriterOptions{Password: []byte("right"), Iterations: MinIterations}, sampleTokens()[:1])
	_, _, err := ReadAll(bytes.NewReader(data), Options{Password: []byte("wrong")})
	if !errors.Is(err, ErrWrongCredential) || !strings.Contains(err.Error(), "wrong key or password") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = ReadAll(bytes.NewReader(data), Options{})
	if !errors.Is(err, ErrNoCredential) || !strings.Contains(err.Error(), "password-encrypted (PBKDF2); no password given") {
		t.Fatalf("no password: %v", err)
	}
	// The PRF written (HMAC-SHA256) must be the one read: with SHA-1 the
	// key would differ.
	if !bytes.Contains(data, []byte(`<PRF Algorithm="`+AlgHMACSHA256+`"/>`)) {
		t.Fatal("PRF not written as an Algorithm attribute")
	}
	sha1File := bytes.Replace(data, []byte(`<PRF Algorithm="`+AlgHMACSHA256+`"/>`), []byte(`<PRF/>`), 1)
	if _, _, err := ReadAll(bytes.NewReader(sha1File), Options{Password: []byte("right")}); !errors.Is(err, ErrWrongCredential) {
		t.Fatalf("PRF ignored: %v", err)
	}
}
