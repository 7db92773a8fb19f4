package csvfmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

func lookup(t testing.TB, name string) Format {
	t.Helper()
	for _, f := range Formats() {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no format %s", name)
	return Format{}
}

// readAll reads every token; problems are returned as strings.
func readAll(t testing.TB, f Format, in string, o Options) ([]*seed.Token, []string) {
	t.Helper()
	r := f.Open(strings.NewReader(in), "in.csv", o)
	var toks []*seed.Token
	var probs []string
	for {
		tok, _, err := r.Read()
		if err == io.EOF {
			return toks, probs
		}
		if err != nil {
			var fe *seed.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("non-field error: %v", err)
			}
			probs = append(probs, strings.Split(err.Error(), "\n")...)
		}
		if tok != nil {
			toks = append(toks, tok)
		}
	}
}

func writeAll(t testing.TB, f Format, toks []*seed.Token, o Options) string {
	t.Helper()
	var b bytes.Buffer
	w := f.Create(&b, o)
	for _, tok := range toks {
		if err := w.Write(tok); err != nil {
			t.Fatalf("write %s: %v", tok, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func secret(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// sample builds n tokens a format can carry, varied by the index.
func sample(name string, n int) []*seed.Token {
	r := rand.New(rand.NewPCG(1, uint64(len(name))))
	var out []*seed.Token
	for i := 0; i < n; i++ {
		t := &seed.Token{Serial: fmt.Sprintf("%011d", 86596120001+i), Hash: seed.SHA1, Digits: 6, Secret: secret(r, 20)}
		switch name {
		case "entra":
			t.Kind, t.Period = seed.TOTP, []int{30, 60}[i%2]
			t.Manufacturer, t.Model = "Token2", "C202"
			if i%3 == 0 {
				t.User = fmt.Sprintf("o'brien%d@example.com", i)
			}
		case "duo-totp":
			t.Kind, t.Period = seed.TOTP, []int{30, 60}[i%2]
		case "duo-hotp":
			t.Kind, t.Counter = seed.HOTP, uint64(i*7)
		case "duo-yubikey":
			t.Kind, t.Hash, t.Digits = seed.YubicoOTP, seed.SHA1, 0
			t.Secret, t.PrivateID = secret(r, 16), secret(r, 6)
		case "privacyidea":
			switch i % 3 {
			case 0:
				t.Kind, t.Period, t.Digits = seed.TOTP, 60, 8
			case 1:
				t.Kind, t.Counter = seed.HOTP, 42
			case 2:
				t.Kind, t.Period, t.Hash, t.Secret = seed.TOTP, 30, seed.SHA256, secret(r, 32)
			}
		case "linotp":
			switch i % 3 {
			case 0:
				t.Kind, t.Period, t.Digits = seed.TOTP, 60, 8
			case 1:
				t.Kind = seed.HOTP
			case 2:
				t.Kind, t.Period, t.Hash, t.Secret = seed.TOTP, 30, seed.SHA512, secret(r, 64)
			}
		case "otpauth":
			if i%2 == 0 {
				t.Kind, t.Period, t.Issuer = seed.TOTP, 60, "ACME Co VPN"
				t.Serial = "alice smith@example.com/" + t.Serial
			} else {
				t.Kind, t.Counter, t.Hash, t.Digits = seed.HOTP, 5, seed.SHA256, 8
			}
		case "hex":
			t.Kind = seed.KindUnknown
			t.Digits = 0
		}
		out = append(out, t)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"entra", "duo-totp", "duo-hotp", "duo-yubikey", "privacyidea", "linotp", "otpauth", "hex"} {
		t.Run(name, func(t *testing.T) {
			f := lookup(t, name)
			want := sample(name, 7)
			text := writeAll(t, f, want, Options{})
			got, probs := readAll(t, f, text, Options{})
			if len(probs) > 0 {
				t.Fatalf("problems reading back:\n%s\n%s", strings.Join(probs, "\n"), text)
			}
			if len(got) != len(want) {
				t.Fatalf("%d tokens back, want %d", len(got), len(want))
			}
			for i := range want {
				w, g := *want[i], *got[i]
				if name == "duo-totp" || name == "entra" {
					// Duo and Entra have no digits column: 6 is what they mean.
					w.Digits = 6
				}
				if !reflect.DeepEqual(w, g) {
					t.Errorf("token %d:\n got %#v %+v\nwant %#v %+v", i, g, g.Labels, w, w.Labels)
				}
			}
			// Writing what was read gives the same text.
			if again := writeAll(t, f, got, Options{}); again != text {
				t.Errorf("second write differs:\n%s\n---\n%s", text, again)
			}
		})
	}
}

func TestDuoGenericNeedsKind(t *testing.T) {
	f := lookup(t, "duo")
	_, probs := readAll(t, f, "1,3132333435363738393031323334353637383930,30\n", Options{})
	want := "in.csv: token type: not on any line: a Duo file does not say whether its tokens are HOTP or TOTP (serial,hex,n either way): read it as duo-hotp or duo-totp (or give --kind)"
	if len(probs) != 1 || probs[0] != want {
		t.Fatalf("got %q", probs)
	}
	toks, probs := readAll(t, f, "1,3132333435363738393031323334353637383930,60\n", Options{Kind: seed.TOTP, Digits: 8})
	if len(probs) > 0 || len(toks) != 1 || toks[0].Period != 60 || toks[0].Digits != 8 || toks[0].Kind != seed.TOTP {
		t.Fatalf("got %v %q", toks, probs)
	}
}

func TestEntraWriterExact(t *testing.T) {
	tok := &seed.Token{Serial: "1001", Kind: seed.TOTP, Period: 60, User: "o'neil@example.com", Manufacturer: "Token2", Model: "C202, rev 2",
		Secret: []byte("12345678901234567890")}
	got := writeAll(t, lookup(t, "entra"), []*seed.Token{tok}, Options{})
	want := EntraHeader + "\n" + `o''neil@example.com,1001,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,60,Token2,"C202, rev 2"` + "\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := writeAll(t, lookup(t, "entra"), []*seed.Token{tok}, Options{Append: true}); strings.HasPrefix(got, "upn") {
		t.Fatalf("append mode wrote a header: %s", got)
	}
}

func TestEntraHygiene(t *testing.T) {
	const sec = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	cases := map[string]string{
		"bom crlf":      "\xef\xbb\xbfupn,serial number,secret key,time interval,manufacturer,model\r\n,1001," + sec + ",30,Token2,C202\r\n",
		"token2 header": "upn,serial number,secret key,timeinterval,manufacturer,model\n,1001," + sec + ",30,Token2,C202\n",
		"case spacing":  "UPN , Serial_Number,SECRET KEY,Time  Interval,Manufacturer,Model\n  , 1001 , " + sec + " , 30 ,Token2,C202\n",
		"semicolon":     "upn;serial number;secret key;time interval;manufacturer;model\n;1001;" + sec + ";30;Token2;C202\n",
		"tab":           "upn\tserial number\tsecret key\ttime interval\tmanufacturer\tmodel\n\t1001\t" + sec + "\t30\tToken2\tC202\n",
		"quoted":        "\"upn\",\"serial number\",\"secret key\",\"time interval\",\"manufacturer\",\"model\"\n\"\",\"1001\",\"" + sec + "\",\"30\",\"Token2\",\"C202\"\n",
		"reordered":     "serial number,secret key,upn,model,manufacturer,time interval\n1001," + sec + ",,C202,Token2,30\n",
		"lower base32":  "upn,serial number,secret key,time interval,manufacturer,model\n,1001," + strings.ToLower(sec) + ",30,Token2,C202\n",
		"padded base32": "upn,serial number,secret key,time interval,manufacturer,model\n,1001,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====,30,Token2,C202\n",
		"spaced base32": "upn,serial number,secret key,time interval,manufacturer,model\n,1001,GEZD GNBV GY3T QOJQ GEZD-GNBV-GY3T-QOJQ,30,Token2,C202\n",
		"blank lines":   "\n\nupn,serial number,secret key,time interval,manufacturer,model\n\n,1001," + sec + ",30,Token2,C202\n\n",
		"no final eol":  "upn,serial number,secret key,time interval,manufacturer,model\n,1001," + sec + ",30,Token2,C202",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			toks, probs := readAll(t, lookup(t, "entra"), in, Options{})
			if len(probs) > 0 || len(toks) != 1 {
				t.Fatalf("got %d tokens, problems %q", len(toks), probs)
			}
			tok := toks[0]
			if tok.Serial != "1001" || string(tok.Secret) != "12345678901234567890" || tok.Period != 30 || tok.Manufacturer != "Token2" || tok.Model != "C202" {
				t.Fatalf("got %+v", tok)
			}
		})
	}
}

func TestEntraLintWarnings(t *testing.T) {
	in := "upn,serial number,secret key,time interval,manufacturer,model\n,1001,gezdgnbvgy3tqojqgezdgnbvgy3tqojq====,30,Token2,C202\n"
	toks, probs := readAll(t, lookup(t, "entra"), in, Options{Lint: true})
	want := []string{"in.csv:2: secret key: base32 with '=' padding: Entra takes only a-z, A-Z and 2-7 (tokenctl convert rewrites it) (warning)"}
	if len(toks) != 1 || !reflect.DeepEqual(probs, want) {
		t.Fatalf("got %d tokens, %q", len(toks), probs)
	}
}

func TestEntraErrors(t *testing.T) {
	const hdr = "upn,serial number,secret key,time interval,manufacturer,model\n"
	cases := []struct {
		name, in string
		want     []string
		tokens   int
	}{
		{"no header", ",1001,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C202\n",
			[]string{"in.csv:1: header: missing: an Entra CSV must start with the header " + EntraHeader}, 0},
		{"missing column", "upn,serial number,secret key,manufacturer,model\n,1,GEZDGNBVGY3TQOJQ,T,C\n",
			[]string{`in.csv:1: header: missing column "time interval" (want ` + EntraHeader + ")"}, 0},
		{"empty", "", []string{"in.csv: header: missing: the file is empty; an Entra CSV starts with the header " + EntraHeader}, 0},
		{"columns", hdr + ",1001,GEZDGNBVGY3TQOJQ,30,Token2\n,1002,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C202\n",
			[]string{"in.csv:2: columns: 5 columns, want 6 as in the header"}, 1},
		{"bad base32 and interval", hdr + ",1001,GEZDGNBVGY3TQOJ1,3o,Token2,C202\n",
			[]string{"in.csv:2: secret key: not base32: invalid character at position 16", `in.csv:2: time interval: "3o" is not a number from 1 to 86400`}, 1},
		{"empty interval and secret", hdr + ",1001,,,Token2,C202\n",
			[]string{"in.csv:2: secret key: empty", "in.csv:2: time interval: empty (want 30 or 60)"}, 1},
		{"quote", hdr + `,"1001,GEZDGNBVGY3TQOJQ,30,Token2,C202` + "\n", []string{"in.csv:2: line: unterminated quoted cell"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			toks, probs := readAll(t, lookup(t, "entra"), c.in, Options{})
			if !reflect.DeepEqual(probs, c.want) || len(toks) != c.tokens {
				t.Fatalf("got %d tokens and\n%q\nwant %d and\n%q", len(toks), probs, c.tokens, c.want)
			}
			for _, p := range probs {
				if strings.Contains(p, "GEZDGNBV") {
					t.Fatalf("secret in message: %s", p)
				}
			}
		})
	}
}

func TestToken2PS(t *testing.T) {
	// A 52-character base32 seed (32 bytes) comes out of Token2's script as
	// 65 hex digits; a correct one as 64.
	good := strings.Repeat("AB", 32)
	bad := good + "C"
	in := "86596120001 " + good + "\r\n86596120002 " + bad + "\n86596120003 " + strings.ToLower(good) + "\n"
	toks, probs := readAll(t, lookup(t, "token2-ps"), in, Options{})
	// The step the script drops is said once, on the first token's line.
	want := []string{"in.csv:1: step: Token2's script drops the time step: 30 s assumed for every token of this file (give --period 60 for 60-second tokens) (warning)",
		"in.csv:2: secret: 65 hex digits: " + token2Script}
	if !reflect.DeepEqual(probs, want) {
		t.Fatalf("got %q", probs)
	}
	for _, o := range []Options{{Period: 60}, {Kind: seed.HOTP}} {
		if _, probs := readAll(t, lookup(t, "token2-ps"), in, o); len(probs) != 1 {
			t.Fatalf("%+v: %q", o, probs)
		}
	}
	if len(toks) != 3 || toks[0].Kind != seed.TOTP || len(toks[0].Secret) != 32 || toks[1].Secret != nil {
		t.Fatalf("tokens %v", toks)
	}
	if !lookup(t, "token2-ps").Sniff([]byte(in)) {
		t.Fatal("sniff")
	}
}

func TestPrivacyIDEA(t *testing.T) {
	in := "# version: 2\n# exported\nalice, ldap, corp, PI1, " + strings.Repeat("31", 32) + ", TOTP, 6, 60\n,,, PI2, " + strings.Repeat("31", 20) + ", hotp, 8, 17\n"
	toks, probs := readAll(t, lookup(t, "privacyidea"), in, Options{})
	if len(probs) > 0 || len(toks) != 2 {
		t.Fatalf("%v %q", toks, probs)
	}
	a, b := toks[0], toks[1]
	if a.User != "alice" || a.Label("realm") != "corp" || a.Hash != seed.SHA256 || a.Period != 60 || a.Kind != seed.TOTP {
		t.Fatalf("a = %+v", a)
	}
	if b.Hash != seed.SHA1 || b.Counter != 17 || b.Digits != 8 || b.Kind != seed.HOTP {
		t.Fatalf("b = %+v", b)
	}
	// A 32-byte SHA-1 seed would come back as SHA-256: the writer refuses it.
	var buf bytes.Buffer
	w := lookup(t, "privacyidea").Create(&buf, Options{})
	err := w.Write(&seed.Token{Serial: "x", Kind: seed.TOTP, Hash: seed.SHA1, Secret: make([]byte, 32)})
	if err == nil || !strings.Contains(err.Error(), "import it as sha256") {
		t.Fatalf("err = %v", err)
	}
}

func TestLinOTPCommentAndCounter(t *testing.T) {
	in := "# serial key type\n#, 3132, hotp\nL1, " + strings.Repeat("31", 20) + ", totp, 8, 60, sha256\n"
	toks, probs := readAll(t, lookup(t, "linotp"), in, Options{})
	if len(probs) > 0 || len(toks) != 1 || toks[0].Hash != seed.SHA256 || toks[0].Period != 60 || toks[0].Digits != 8 {
		t.Fatalf("%v %q", toks, probs)
	}
	var buf bytes.Buffer
	if err := lookup(t, "linotp").Create(&buf, Options{}).Write(&seed.Token{Serial: "x", Kind: seed.HOTP, Counter: 3, Secret: make([]byte, 20)}); err == nil {
		t.Fatal("counter silently dropped")
	}
}

func TestOTPAuth(t *testing.T) {
	toks, probs := readAll(t, lookup(t, "otpauth"), "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30\n"+
		"otpauth://hotp/x?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ\n", Options{})
	if len(toks) != 2 || toks[0].Issuer != "ACME Co" || toks[0].Serial != "john.doe@email.com" || len(toks[0].Secret) != 20 {
		t.Fatalf("%v", toks)
	}
	if len(probs) != 1 || probs[0] != "in.csv:2: counter: missing (an hotp URI needs counter=)" {
		t.Fatalf("%q", probs)
	}
	if _, err := keyURI(&seed.Token{Serial: "a:b", Kind: seed.TOTP, Secret: []byte("12345678901234567890")}); err == nil {
		t.Fatal("colon in serial accepted")
	}
	u, _ := keyURI(&seed.Token{Serial: "a/b c", Issuer: "X&Y", Kind: seed.TOTP, Secret: []byte("12345678901234567890")})
	want := "otpauth://totp/X%26Y:a%2Fb%20c?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=X%26Y&algorithm=SHA1&digits=6&period=30"
	if u != want {
		t.Fatalf("got  %s\nwant %s", u, want)
	}
}

func TestEntraGraph(t *testing.T) {
	toks := sample("entra", 3)
	toks[1].Hash = seed.SHA256
	out := writeAll(t, lookup(t, "entra-graph"), toks, Options{})
	var body struct {
		Context string `json:"@context"`
		Value   []struct {
			ContentID    string `json:"@contentId"`
			SerialNumber string
			SecretKey    string
			Interval     int `json:"timeIntervalInSeconds"`
			HashFunction string
			AssignTo     *struct{ ID string }
		}
	}
	if err := json.Unmarshal([]byte(out), &body); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if body.Context != "#$delta" || len(body.Value) != 3 {
		t.Fatalf("%s", out)
	}
	v := body.Value[1]
	if v.ContentID != "2" || v.SerialNumber != toks[1].Serial || v.Interval != 60 || v.HashFunction != "hmacsha256" || v.SecretKey != seed.EncodeBase32(toks[1].Secret) {
		t.Fatalf("%+v", v)
	}
	if body.Value[0].AssignTo == nil || body.Value[0].AssignTo.ID != toks[0].User || body.Value[1].AssignTo != nil {
		t.Fatalf("assignTo wrong: %s", out)
	}
	if empty := writeAll(t, lookup(t, "entra-graph"), nil, Options{}); !json.Valid([]byte(empty)) {
		t.Fatalf("empty body invalid: %s", empty)
	}
}

func TestSerialSecretAmbiguous(t *testing.T) {
	f := lookup(t, "serial-secret")
	in := "a,ABCDEF2345ABCDEF\nb,3132333435363738393031323334353637383930\nc,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n"
	toks, probs := readAll(t, f, in, Options{})
	want := []string{"in.csv:1: secret: valid as both hex and base32: give --secret-encoding hex or base32"}
	if !reflect.DeepEqual(probs, want) || len(toks) != 3 || len(toks[1].Secret) != 20 || string(toks[2].Secret) != "12345678901234567890" {
		t.Fatalf("%q %v", probs, toks)
	}
	toks, probs = readAll(t, f, in, Options{SecretEncoding: seed.Base32})
	if len(probs) != 1 || len(toks[0].Secret) != 10 { // b's hex is not base32 (digits 0,1,8,9)
		t.Fatalf("%q", probs)
	}
}

func TestSniff(t *testing.T) {
	heads := map[string]string{
		"entra":       "\xef\xbb\xbfupn,serial number,secret key,timeinterval,manufacturer,model\r\n",
		"privacyidea": "# version: 2\n",
		"linotp":      "L1, 3132333435363738393031323334353637383930, totp, 6, 30, sha1\n",
		"otpauth":     "otpauth://totp/x?secret=GEZDGNBV\n",
		"token2-ps":   "86596120001 3132333435363738393031323334353637383930\n",
		"duo-yubikey": "cccccccccccb,0123456789ab,0123456789abcdef0123456789abcdef\n",
		"hex":         "1001,3132333435363738393031323334353637383930\n",
	}
	for want, head := range heads {
		var claims []string
		for _, f := range Formats() {
			if f.Sniff != nil && f.Sniff([]byte(head)) {
				claims = append(claims, f.Name)
			}
		}
		if len(claims) != 1 || claims[0] != want {
			t.Errorf("%s: claimed by %v", want, claims)
		}
	}
}

func TestLongLine(t *testing.T) {
	in := "upn,serial number,secret key,time interval,manufacturer,model\n" + strings.Repeat("x", maxLine+10) + "\n,1001,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,T,M\n"
	toks, probs := readAll(t, lookup(t, "entra"), in, Options{})
	if len(toks) != 1 || len(probs) != 1 || !strings.HasPrefix(probs[0], "in.csv:2: line: longer than") {
		t.Fatalf("%d %q", len(toks), probs)
	}
}

func TestStrayHeaderSkipped(t *testing.T) {
	in := "Serial,Secret,Step\n1001,3132333435363738393031323334353637383930,60\n"
	toks, probs := readAll(t, lookup(t, "duo-totp"), in, Options{})
	want := []string{"in.csv:1: header: a header line, skipped: this format has none (the server would import it as a token) (warning)"}
	if len(toks) != 1 || toks[0].Serial != "1001" || !reflect.DeepEqual(probs, want) {
		t.Fatalf("%v %q", toks, probs)
	}
	if why := PlainSerial("Serial Number"); why == "" {
		t.Fatal("a serial that reads as a header is writable")
	}
}

func TestNoSecretInMessages(t *testing.T) {
	// The header names the columns wrongly: the secret lands under "time
	// interval" and must not be quoted in the error.
	in := "upn,serial number,time interval,secret key,manufacturer,model\n,1001," + sampleSecret + ",30,T,M\n"
	_, probs := readAll(t, lookup(t, "entra"), in, Options{})
	for _, p := range probs {
		if strings.Contains(p, sampleSecret[:8]) {
			t.Fatalf("secret in %q", p)
		}
	}
	if len(probs) == 0 || !strings.Contains(strings.Join(probs, "\n"), `time interval: "<32 characters>" is not a number`) {
		t.Fatalf("%q", probs)
	}
}

func TestOATHTypeAndCounterErrors(t *testing.T) {
	h := strings.Repeat("31", 20)
	for _, c := range []struct{ format, in, want string }{
		{"privacyidea", "P1, " + h + ", yubikey, 6, 1\n", `in.csv:1: type: "yubikey" (want hotp or totp: only OATH tokens are converted)`},
		{"privacyidea", "P1, " + h + ", HoTp, 6, -1\n", `in.csv:1: counter: "-1" is not a counter value`},
		{"linotp", "L1, " + h + ", motp, 6, 30, sha1\n", `in.csv:1: type: "motp" (want hotp or totp: only OATH tokens are converted)`},
		{"duo-hotp", "D1," + h + ",1e3\n", `in.csv:1: counter: "1e3" is not a counter value`},
		{"otpauth", "otpauth://hotp/x?secret=" + sampleSecret + "&counter=0x10\n", `in.csv:1: counter: "0x10" is not a counter value`},
	} {
		toks, probs := readAll(t, lookup(t, c.format), c.in, Options{})
		if len(toks) != 1 || len(probs) != 1 || probs[0] != c.want {
			t.Errorf("%s %q: %d tokens, %q; want %q", c.format, c.in, len(toks), probs, c.want)
		}
	}
	toks, probs := readAll(t, lookup(t, "privacyidea"), "P1, "+h+", HoTp, 6, 17\n", Options{})
	if len(probs) != 0 || toks[0].Kind != seed.HOTP || toks[0].Counter != 17 {
		t.Fatalf("%v %q", toks, probs)
	}
}
