package convert

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/pskc"
	"github.com/tokenctl/tokenctl/seed"
)

// pskcFile writes a container of n HOTP tokens (serials P1..Pn) and
// returns its bytes.
func pskcFile(t *testing.T, path string, o pskc.WriterOptions, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pskc.NewWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		tok := &seed.Token{Serial: "P" + string(rune('0'+i)), Kind: seed.HOTP, Hash: seed.SHA1, Digits: 6, Counter: uint64(i), Secret: []byte(rfcSecret)}
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

// A reader's fatal (whole-file) error fails the conversion: exit-1 error,
// no output, no rejects file, even with SkipInvalid; the rows read before
// it are not written either.
func TestFatalReaderErrorFailsEvenWithSkipInvalid(t *testing.T) {
	dir := t.TempDir()
	b32 := seed.EncodeBase32([]byte(rfcSecret))
	noHeader := filepath.Join(dir, "nohdr.csv")
	os.WriteFile(noHeader, []byte(",1001,"+b32+",30,T,M\n,1002,"+b32+",30,T,M\n,1003,"+b32+",30,T,M\n"), 0o600)
	duo := filepath.Join(dir, "a.duo")
	os.WriteFile(duo, []byte("1001,3132333435363738393031323334353637383930,30\n1002,3132333435363738393031323334353637383930,30\n"), 0o600)
	key := bytes.Repeat([]byte{0xA5}, 16)
	enc := filepath.Join(dir, "enc.pskcxml")
	pskcFile(t, enc, pskc.WriterOptions{Key: key}, 3)
	pw := filepath.Join(dir, "pw.pskcxml")
	pskcFile(t, pw, pskc.WriterOptions{Password: []byte("vendor password"), Iterations: pskc.MinIterations}, 3)
	plain := filepath.Join(dir, "plain.pskcxml")
	data := pskcFile(t, plain, pskc.WriterOptions{}, 3)
	broken := filepath.Join(dir, "broken.pskcxml")
	// Cut inside the third key: two keys read, then malformed XML.
	os.WriteFile(broken, data[:bytes.LastIndex(data, []byte("<pskc:KeyPackage>"))+30], 0o600)

	cases := []struct {
		name, in, from, to string
		o                  Options
		want               string
	}{
		{"entra without header", noHeader, "entra", "duo", Options{}, "nohdr.csv:1: header: missing"},
		{"duo without kind", duo, "duo", "entra", Options{Manufacturer: "T", Model: "M"}, "a.duo: token type:"},
		{"pskc wrong key", enc, "pskc", "duo", Options{PSKCKey: bytes.Repeat([]byte{1}, 16)}, "MACMethod/MACKey: cannot decrypt the MAC key: wrong key or password"},
		{"pskc no password", pw, "pskc", "duo", Options{}, "no password given"},
		{"pskc malformed", broken, "pskc", "duo", Options{}, "not well-formed XML"},
	}
	for _, c := range cases {
		for _, skip := range []bool{false, true} {
			out := filepath.Join(dir, "out.csv")
			o := c.o
			o.SkipInvalid = skip
			var seen []string
			o.OnProblem = func(fe *seed.FieldError) { seen = append(seen, fe.Error()) }
			rep, err := Run([]string{c.in}, c.from, c.to, out, &o)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "cannot be used") {
				t.Errorf("%s (skip %v): %v", c.name, skip, err)
				continue
			}
			if rep.Written != 0 || len(rep.Problems) == 0 || !rep.Problems[len(rep.Problems)-1].Fatal ||
				!strings.Contains(strings.Join(seen, "\n"), c.want) {
				t.Errorf("%s (skip %v): %+v %q", c.name, skip, rep, seen)
			}
			for _, f := range []string{out, out + ".rejects"} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s (skip %v): %s written", c.name, skip, filepath.Base(f))
				}
			}
			if skip {
				// validate refuses the file too.
				if _, err := Validate([]string{c.in}, c.from, c.to, &c.o); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s: validate: %v", c.name, err)
				}
			}
		}
	}
	// A fatal input among good ones: the others are still checked (their
	// problems reported), and nothing is written.
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("upn,serial number,secret key,time interval,manufacturer,model\n,2001,"+b32+",45,T,M\n"), 0o600)
	rep, err := Run([]string{noHeader, good}, "entra", "duo", filepath.Join(dir, "o.csv"), &Options{SkipInvalid: true})
	if !errors.Is(err, ErrInvalid) || len(rep.Problems) != 2 || rep.Problems[1].Line != 2 || rep.Problems[1].Field != "step" {
		t.Fatalf("%v %+v", err, rep)
	}
}

func TestIsFatal(t *testing.T) {
	r, _ := Lookup("entra")
	rd, _ := r.Open(strings.NewReader("no,header\n"), "x.csv", nil)
	_, _, err := rd.Read()
	var fe *seed.FieldError
	if !IsFatal(err) || !errors.As(err, &fe) || fe.Line != 1 {
		t.Fatalf("%v", err)
	}
	rd, _ = r.Open(strings.NewReader("upn,serial number,secret key,time interval,manufacturer,model\n,1,x,30,T,M\n"), "x.csv", nil)
	if _, _, err := rd.Read(); err == nil || IsFatal(err) {
		t.Fatalf("a bad row is fatal: %v", err)
	}
	if IsFatal(nil) || !IsFatal(errors.New("read error")) {
		t.Fatal("IsFatal")
	}
}

// An input without a single token (a header and nothing else, an empty
// file, comments only) is refused: it would convert to an empty import
// file, which hides a wrong or truncated export.
func TestNoTokensRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, from, content string }{
		{"header.csv", "entra", "upn,serial number,secret key,time interval,manufacturer,model\r\n\r\n"},
		{"empty.duo", "duo-totp", ""},
		{"comments.pi", "privacyidea", "# version: 2\n# nothing else\n"},
		{"stray-header.duo", "duo-totp", "serial,secret,step\n"}, // skipped with a warning
	} {
		in := filepath.Join(dir, c.name)
		os.WriteFile(in, []byte(c.content), 0o600)
		for _, skip := range []bool{false, true} {
			out := filepath.Join(dir, "out.csv")
			rep, err := Run([]string{in}, c.from, "duo", out, &Options{SkipInvalid: skip})
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "no tokens in "+in) {
				t.Errorf("%s (skip %v): %v", c.name, skip, err)
				continue
			}
			last := rep.Problems[len(rep.Problems)-1]
			if last.File != in || !last.Fatal || !strings.HasPrefix(last.Message, "no tokens in the file") {
				t.Errorf("%s: %+v", c.name, rep.Problems)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s: output written", c.name)
			}
		}
		if _, err := Validate([]string{in}, c.from, "duo", nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: validate: %v", c.name, err)
		}
	}
	// Tokens handed over by a command (WriteFile) are not an input file:
	// an empty list still writes the format's empty file.
	p := filepath.Join(dir, "e.csv")
	if _, err := WriteFile(p, "entra", nil, nil); err != nil {
		t.Fatal(err)
	}
}

// flipMAC alters the n-th (0-based) ValueMAC of a container.
func flipMAC(t *testing.T, data []byte, n int) []byte {
	t.Helper()
	ms := regexp.MustCompile(`<pskc:ValueMAC>([^<]+)<`).FindAllSubmatchIndex(data, -1)
	if n >= len(ms) {
		t.Fatalf("%d MACs", len(ms))
	}
	m := ms[n]
	mac, _ := base64.StdEncoding.DecodeString(string(data[m[2]:m[3]]))
	mac[0] ^= 1
	return append(append(append([]byte{}, data[:m[2]]...), base64.StdEncoding.EncodeToString(mac)...), data[m[3]:]...)
}

// A PSKC file whose first and third keys of three have altered MACs: each
// is that key's error, and the second key is read (before: the first
// key's failure was taken for a wrong key, and keys 2 and 3 were never
// read). With every MAC altered, the file is refused as a wrong key.
func TestPSKCTamperedKeysAreRowErrors(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{0xA5}, 16)
	data := pskcFile(t, filepath.Join(dir, "ok.pskcxml"), pskc.WriterOptions{Key: key}, 3)
	in := filepath.Join(dir, "in.pskcxml")
	os.WriteFile(in, flipMAC(t, flipMAC(t, data, 2), 0), 0o600)
	out := filepath.Join(dir, "out.csv")
	rep, err := Run([]string{in}, "pskc", "duo", out, &Options{PSKCKey: key})
	if !errors.Is(err, ErrInvalid) || rep.Read != 3 || rep.Errors != 2 || rep.Rejected != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
	for _, p := range rep.Problems {
		if p.Fatal || p.Field != "Secret" || p.Message != "cannot decrypt: MAC does not match: the value was altered" {
			t.Fatalf("%+v", rep.Problems)
		}
	}
	rep, err = Run([]string{in}, "pskc", "duo", out, &Options{PSKCKey: key, SkipInvalid: true})
	if err != nil || rep.Written != 1 || rep.Rejected != 2 {
		t.Fatalf("%v %+v", err, rep)
	}
	if b, _ := os.ReadFile(out); string(b) != "P2,3132333435363738393031323334353637383930,2\n" {
		t.Fatalf("%q", b)
	}
	all := filepath.Join(dir, "all.pskcxml")
	os.WriteFile(all, flipMAC(t, flipMAC(t, flipMAC(t, data, 2), 1), 0), 0o600)
	rep, err = Run([]string{all}, "pskc", "duo", filepath.Join(dir, "o2.csv"), &Options{PSKCKey: key, SkipInvalid: true})
	if !errors.Is(err, ErrInvalid) || rep.Written != 0 || !rep.Problems[len(rep.Problems)-1].Fatal ||
		!strings.Contains(rep.Problems[len(rep.Problems)-1].Message, "wrong key or password, or the file was altered") {
		t.Fatalf("%v %+v", err, rep)
	}
}

// Every problem of a PSKC key is reported, each on its element's line.
func TestPSKCKeyProblemsAllReported(t *testing.T) {
	in := `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
 <KeyPackage>
  <DeviceInfo><SerialNo>42</SerialNo></DeviceInfo>
  <Key Id="42" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
   <AlgorithmParameters><ResponseFormat Encoding="DECIMAL" Length="six"/></AlgorithmParameters>
   <Data>
    <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
    <Counter><PlainValue>twelve!</PlainValue></Counter>
   </Data>
  </Key>
 </KeyPackage>
</KeyContainer>
`
	rep, err := Run([]string{"-"}, "pskc", "duo", "", &Options{Stdin: strings.NewReader(in), Stdout: &bytes.Buffer{}})
	if !errors.Is(err, ErrInvalid) || rep.Read != 1 || len(rep.Problems) != 2 || rep.Problems[0].Line != 6 || rep.Problems[1].Line != 9 || rep.Problems[1].Field != "Counter" {
		t.Fatalf("%v %+v", err, rep)
	}
}
