package csvfmt

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/tokenctl/tokenctl/seed"
)

// privacyIDEA infers SHA-224 from a 28-byte seed and SHA-384 from a
// 48-byte one (TokenClass.get_import_csv): a reader must not call such a
// line SHA-1, and a writer must not write a SHA-1 token with such a seed.
func TestPrivacyIDEAInfersSHA224And384(t *testing.T) {
	for _, n := range []int{28, 48} {
		in := "P1, " + strings.Repeat("ab", n) + ", TOTP, 6, 30\n"
		_, probs := readAll(t, lookup(t, "privacyidea"), in, Options{})
		if len(probs) != 1 || !strings.Contains(probs[0], "sha") {
			t.Errorf("%d bytes: read %q", n, probs)
		}
		var buf bytes.Buffer
		err := lookup(t, "privacyidea").Create(&buf, Options{}).Write(&seed.Token{Serial: "x", Kind: seed.TOTP, Secret: make([]byte, n)})
		if err == nil {
			t.Errorf("%d-byte SHA-1 seed written; privacyIDEA would import it with another hash", n)
		}
	}
}

// privacyIDEA reads "# version: N" on the first line only, and skips only
// lines whose very first character is '#'.
func TestPrivacyIDEACommentRules(t *testing.T) {
	key := strings.Repeat("31", 20)
	in := "# exported\n# version: 2\nPI1, " + key + ", HOTP, 6, 0\n #PI2, " + key + ", HOTP, 6, 0\n"
	toks, probs := readAll(t, lookup(t, "privacyidea"), in, Options{})
	if len(probs) != 0 || len(toks) != 2 || toks[0].Serial != "PI1" || toks[1].Serial != "#PI2" {
		t.Fatalf("%v %q", toks, probs)
	}
	// A serial starting with '#' would make the line a comment.
	var buf bytes.Buffer
	err := lookup(t, "privacyidea").Create(&buf, Options{}).Write(&seed.Token{Serial: "#7", Kind: seed.HOTP, Secret: make([]byte, 20)})
	if err == nil {
		t.Fatalf("wrote %q, which privacyIDEA skips", buf.String())
	}
	buf.Reset()
	err = lookup(t, "privacyidea").Create(&buf, Options{}).Write(&seed.Token{Serial: "7", User: "#bob", Kind: seed.HOTP, Secret: make([]byte, 20)})
	if err == nil {
		t.Fatalf("wrote %q, which privacyIDEA skips", buf.String())
	}
}

// LinOTP infers the hash from the key length when the line has no hash
// column (parseOATHcsv, "6 column: hash lib").
func TestLinOTPInfersHash(t *testing.T) {
	in := "L1, " + strings.Repeat("31", 32) + ", totp, 6, 30\nL2, " + strings.Repeat("31", 64) + ", hotp\nL3, " + strings.Repeat("31", 32) + ", totp, 6, 30, sha1\nL4, " + strings.Repeat("31", 20) + "\n"
	toks, probs := readAll(t, lookup(t, "linotp"), in, Options{})
	if len(probs) != 0 || len(toks) != 4 {
		t.Fatalf("%v %q", toks, probs)
	}
	for i, want := range []seed.Hash{seed.SHA256, seed.SHA512, seed.SHA1, seed.SHA1} {
		if toks[i].Hash != want {
			t.Errorf("%s: %s, LinOTP imports %s", toks[i].Serial, toks[i].Hash, want)
		}
	}
}

// LinOTP skips a line whose serial is exactly "#"; "#12" with a key is a
// token, which the reader must see and the writer may write.
func TestLinOTPCommentRule(t *testing.T) {
	key := strings.Repeat("31", 20)
	in := "#, " + key + ", hotp\n#12, " + key + ", hotp, 6, 30, sha1\n"
	toks, probs := readAll(t, lookup(t, "linotp"), in, Options{})
	if len(probs) != 0 || len(toks) != 1 || toks[0].Serial != "#12" {
		t.Fatalf("%v %q", toks, probs)
	}
	var buf bytes.Buffer
	if err := lookup(t, "linotp").Create(&buf, Options{}).Write(&seed.Token{Serial: "#", Kind: seed.HOTP, Secret: make([]byte, 20)}); err == nil {
		t.Fatal("serial \"#\" written; LinOTP skips the line")
	}
}

// Microsoft's example file (Microsoft Learn, "Upload hardware OATH tokens
// in CSV format"): the secret's last character has 2 bits past the 16th
// byte, which Entra drops. The reader decodes it as Entra does, with a
// warning; the 16 bytes are what Python's base64.b32decode gives.
const msExample = "upn,serial number,secret key,time interval,manufacturer,model\nHelga@contoso.com,1234567,2234567abcdef2234567abcdef,60,Contoso,HardwareKey\n"

func TestEntraMicrosoftExample(t *testing.T) {
	toks, probs := readAll(t, lookup(t, "entra"), msExample, Options{Lint: true})
	if len(toks) != 1 || len(probs) != 1 || !strings.Contains(probs[0], "(warning)") || !strings.Contains(probs[0], "2 bits") {
		t.Fatalf("%v %q", toks, probs)
	}
	tok := toks[0]
	if got := seed.EncodeHex(tok.Secret); got != "d6b7cefbe0088642eb5be77df0044321" && got != "D6B7CEFBE0088642EB5BE77DF0044321" {
		t.Fatalf("secret %s", got)
	}
	if tok.User != "Helga@contoso.com" || tok.Serial != "1234567" || tok.Period != 60 || tok.Manufacturer != "Contoso" || tok.Model != "HardwareKey" {
		t.Fatalf("%+v", tok)
	}
	// Only the trailing-bits repair: damage elsewhere is still refused.
	bad := strings.Replace(msExample, "2234567abcdef2234567abcdef", "2234567abcdef2234567abcde", 1)
	if _, probs := readAll(t, lookup(t, "entra"), bad, Options{}); len(probs) != 1 || strings.Contains(probs[0], "(warning)") {
		t.Fatalf("%q", probs)
	}
}

// Microsoft documents a-z as well as A-Z: lower case is no reason for a
// warning, and upper case input never gets one.
func TestEntraNoFalseCaseWarning(t *testing.T) {
	for _, sec := range []string{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq"} {
		in := "upn,serial number,secret key,time interval,manufacturer,model\n,1001," + sec + ",30,Token2,C202\n"
		if toks, probs := readAll(t, lookup(t, "entra"), in, Options{Lint: true}); len(toks) != 1 || len(probs) != 0 {
			t.Errorf("%s: %q", sec, probs)
		}
	}
}

func utf16Bytes(s string, be bool) string {
	var b []byte
	if be {
		b = []byte{0xfe, 0xff}
	} else {
		b = []byte{0xff, 0xfe}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if be {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// Every input spelling Excel produces reads to the same token: UTF-8 with
// and without BOM, UTF-16 LE and BE with BOM (a character outside the
// BMP included), Windows-1252; ',' ';' tab and the sep= line; CRLF and LF.
func TestInputSpellings(t *testing.T) {
	const b32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	rows := [][]string{
		{"upn", "serial number", "secret key", "time interval", "manufacturer", "model"},
		{"José@x.com", "T1", b32, "60", "Müller €", "C𝄞"},
	}
	for _, sep := range []string{",", ";", "\t"} {
		for _, eol := range []string{"\n", "\r\n"} {
			for _, sepLine := range []bool{false, true} {
				var sb strings.Builder
				if sepLine {
					sb.WriteString("sep=" + sep + eol)
				}
				for _, r := range rows {
					sb.WriteString(strings.Join(r, sep) + eol)
				}
				text := sb.String()
				cp := strings.NewReplacer("é", "\xe9", "ü", "\xfc", "€", "\x80", "𝄞", "").Replace(text)
				for name, c := range map[string]struct {
					in string
					cs Charset
				}{
					"utf-8":          {text, CharsetAuto},
					"utf-8 bom":      {"\xef\xbb\xbf" + text, CharsetAuto},
					"utf-16le":       {utf16Bytes(text, false), CharsetAuto},
					"utf-16be":       {utf16Bytes(text, true), CharsetUTF16},
					"windows-1252":   {cp, CharsetWindows1252},
					"explicit utf-8": {text, CharsetUTF8},
				} {
					toks, probs := readAll(t, lookup(t, "entra"), c.in, Options{Charset: c.cs})
					model := "C𝄞"
					if name == "windows-1252" {
						model = "C"
					}
					if len(probs) != 0 || len(toks) != 1 || toks[0].User != "José@x.com" || toks[0].Manufacturer != "Müller €" || toks[0].Model != model || toks[0].Period != 60 {
						t.Errorf("%s sep %q eol %q sep line %t: %v %q", name, sep, eol, sepLine, toks, probs)
					}
				}
			}
		}
	}
}

// What is not the encoding it claims is refused, never passed on.
func TestInputEncodingErrors(t *testing.T) {
	hdr := "upn,serial number,secret key,time interval,manufacturer,model\n"
	row := ",T1,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,M\xfcller,C\n"
	if _, probs := readAll(t, lookup(t, "entra"), hdr+row, Options{}); len(probs) != 1 || !strings.Contains(probs[0], "in.csv:2: encoding: not UTF-8 (byte 42)") {
		t.Errorf("auto: %q", probs)
	}
	if _, probs := readAll(t, lookup(t, "entra"), hdr+strings.Replace(row, "\xfc", "\x81", 1), Options{Charset: CharsetWindows1252}); len(probs) != 1 || !strings.Contains(probs[0], "0x81") {
		t.Errorf("1252: %q", probs)
	}
	// A broken UTF-16 input is a read error: the whole input is refused.
	for _, in := range []string{utf16Bytes(hdr+row, false) + "x", utf16Bytes(hdr, false) + "\x00\xd8,\x00"} {
		r := lookup(t, "entra").Open(strings.NewReader(in), "in.csv", Options{})
		var err error
		for err == nil {
			_, _, err = r.Read()
		}
		if err == io.EOF || !strings.Contains(err.Error(), "not UTF-16") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// validate --to privacyidea on a privacyIDEA file: a BOM, a ';' separator
// or a sep= line would be misread by privacyIDEA; each gets a word.
func TestLintFileSpellings(t *testing.T) {
	key := strings.Repeat("31", 20)
	for in, want := range map[string]string{
		"\xef\xbb\xbfP1, " + key + ", HOTP, 6, 0\n": "UTF-8 BOM",
		"P1; " + key + "; HOTP; 6; 0\n":             "separated by ';'",
		"sep=,\nP1, " + key + ", HOTP, 6, 0\n":      "sep=",
	} {
		toks, probs := readAll(t, lookup(t, "privacyidea"), in, Options{Lint: true})
		if len(toks) != 1 || len(probs) != 1 || !strings.Contains(probs[0], want) || !strings.HasSuffix(probs[0], "(warning)") {
			t.Errorf("%q: %q", in, probs)
		}
		if _, probs := readAll(t, lookup(t, "privacyidea"), in, Options{}); len(probs) != 0 {
			t.Errorf("%q without lint: %q", in, probs)
		}
	}
}

// A privacyIDEA file has user columns or not from its first line: a later
// token's user is refused rather than dropped, and a refused token leaves
// no half-written line.
func TestPrivacyIDEAUserNeverDropped(t *testing.T) {
	var buf bytes.Buffer
	w := lookup(t, "privacyidea").Create(&buf, Options{})
	key := make([]byte, 20)
	if err := w.Write(&seed.Token{Serial: "A", Kind: seed.HOTP, Secret: key}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&seed.Token{Serial: "B", User: "bob", Kind: seed.HOTP, Secret: key}); err == nil {
		t.Error("bob's user dropped")
	}
	w.Close()
	buf.Reset()
	w = lookup(t, "privacyidea").Create(&buf, Options{})
	bad := &seed.Token{Serial: "C", User: "carol", Kind: seed.HOTP, Secret: key}
	bad.SetLabel("realm", "a,b")
	w.Write(&seed.Token{Serial: "A", User: "al", Kind: seed.HOTP, Secret: key})
	if err := w.Write(bad); err == nil {
		t.Error("realm with ',' written")
	}
	w.Close()
	if want := "# version: 2\nal, , , A, " + strings.Repeat("00", 20) + ", HOTP, 6, 0\n"; buf.String() != want {
		t.Errorf("%q", buf.String())
	}
}
