package pskc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

const plainHOTP = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
 <KeyPackage>
  <DeviceInfo><Manufacturer>Acme</Manufacturer><SerialNo>42</SerialNo></DeviceInfo>
  <Key Id="42" Algorithm="%s">
   <AlgorithmParameters>%s</AlgorithmParameters>
   <Data>
    <Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>
    %s
   </Data>
  </Key>
 </KeyPackage>
</KeyContainer>
`

func readString(s string, o Options) ([]*Key, error) {
	if o.File == "" {
		o.File = "t.pskc"
	}
	keys, _, err := ReadAll(strings.NewReader(s), o)
	return keys, err
}

func TestMalformedInput(t *testing.T) {
	ok := fmt.Sprintf(plainHOTP, AlgHOTP, "", "")
	deep := strings.Replace(ok, "<Data>", "<Data>"+strings.Repeat("<x>", 60)+strings.Repeat("</x>", 60), 1)
	cases := []struct {
		name, in, want string
		is             error
	}{
		{"empty", "", "t.pskc:1: not a PSKC file: no XML element (empty file?)", nil},
		{"csv", "serial,secret\n1,ABCD\n", "t.pskc:3: not a PSKC file: text before the first XML element", nil},
		{"truncated", ok[:len(ok)/2], "not well-formed XML: unexpected end of file", nil},
		{"truncated after package", ok[:strings.Index(ok, "</KeyContainer>")], "t.pskc:13: not well-formed XML: unexpected end of file", nil},
		{"mismatched", strings.Replace(ok, "</Data>", "</Dta>", 1), "t.pskc:10: not well-formed XML: element <Data> closed by </Dta>", nil},
		{"doctype", strings.Replace(ok, "<KeyContainer", `<!DOCTYPE k [<!ENTITY x SYSTEM "file:///etc/passwd">]><KeyContainer`, 1), "DOCTYPE and other <!…> declarations are not allowed", nil},
		{"entity", strings.Replace(ok, "<Manufacturer>Acme", "<Manufacturer>&x;", 1), "not well-formed XML: invalid character entity &x;", nil},
		{"deep", deep, "elements nested more than 48 deep", nil},
		{"second root", ok + "<KeyContainer/>", "a second root element <KeyContainer>", nil},
		{"trailing text", ok + "junk", "text after the end of the container", nil},
		{"charset", strings.Replace(ok, `encoding="UTF-8"`, `encoding="EBCDIC"`, 1), `unsupported character encoding "EBCDIC"`, nil},
		{"bad base64 secret", strings.Replace(ok, "MTIzNDU2", "MT!zNDU2", 1), "t.pskc:8: Secret/PlainValue: not base64", nil},
		{"bad counter", fmt.Sprintf(plainHOTP, AlgHOTP, "", "<Counter><PlainValue>twelve!</PlainValue></Counter>"), `t.pskc:9: Counter: "twelve!" is not an integer`, nil},
		{"huge counter", fmt.Sprintf(plainHOTP, AlgHOTP, "", "<Counter><PlainValue>AQAAAAAAAAAAAA==</PlainValue></Counter>"), "Counter: integer of 10 bytes out of range", nil},
		{"negative counter", fmt.Sprintf(plainHOTP, AlgHOTP, "", "<Counter><PlainValue>-1</PlainValue></Counter>"), "Counter: negative value", nil},
	}
	for _, c := range cases {
		keys, err := readString(c.in, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %d keys, err = %v\n want %q", c.name, len(keys), err, c.want)
		}
	}
	// Bounded input: a file over the limit fails, it is not read on.
	big := strings.Replace(ok, "<Data>", "<Data><!--"+strings.Repeat("x", 5000)+"-->", 1)
	if _, err := readString(big, Options{MaxSize: 4096}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxSize: %v", err)
	}
	if _, err := readString(big, Options{MaxSize: 1 << 20}); err != nil {
		t.Errorf("under MaxSize: %v", err)
	}
}

// A key with several problems reports them all, each at its element.
func TestKeyReportsEveryProblem(t *testing.T) {
	in := fmt.Sprintf(plainHOTP, AlgHOTP, `<ResponseFormat Encoding="DECIMAL" Length="six"/>`, "<Counter><PlainValue>twelve!</PlainValue></Counter>")
	in = strings.Replace(in, "MTIzNDU2", "MT!zNDU2", 1)
	_, err := readString(in, Options{})
	var l KeyErrors
	if !errors.As(err, &l) || len(l) != 3 {
		t.Fatalf("%v", err)
	}
	want := []string{`t.pskc:6: ResponseFormat: Length: "six" is not an integer`, "t.pskc:8: Secret/PlainValue: not base64", `t.pskc:9: Counter: "twelve!" is not an integer (decimal, or base64 of digits or of a big-endian number)`}
	for i, e := range l {
		if e.Fatal || e.Error() != want[i] {
			t.Errorf("%d: %v, want %s", i, e, want[i])
		}
	}
}

func TestEncodingsAndBOM(t *testing.T) {
	ok := fmt.Sprintf(plainHOTP, AlgHOTP, "", "")
	latin := strings.Replace(strings.Replace(ok, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1), "Acme", "Acm\xe9", 1)
	for name, in := range map[string]string{"bom": "\xef\xbb\xbf" + ok, "latin1": latin} {
		keys, err := readString(in, Options{})
		if err != nil || len(keys) != 1 {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "latin1" && keys[0].Device.Manufacturer != "Acmé" {
			t.Errorf("latin1: manufacturer %q", keys[0].Device.Manufacturer)
		}
	}
}

func TestAlgorithmSpellings(t *testing.T) {
	for alg, kind := range map[string]seed.Kind{
		"urn:ietf:params:xml:ns:keyprov:pskc:hotp": seed.HOTP,
		"urn:ietf:params:xml:ns:keyprov:pskc#hotp": seed.HOTP,
		"http://www.ietf.org/keyprov/pskc#hotp":    seed.HOTP,
		"HOTP":                                     seed.HOTP,
		"urn:ietf:params:xml:ns:keyprov:pskc:totp": seed.TOTP,
		"URN:IETF:PARAMS:XML:NS:KEYPROV:PSKC#TOTP": seed.TOTP,
		"totp":                               seed.TOTP,
		"http://www.yubico.com/#yubikey-aes": seed.YubicoOTP,
		"urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA512-8:C-QN08": seed.KindUnknown,
		"urn:ietf:params:xml:ns:keyprov:pskc:pin":                         seed.KindUnknown,
	} {
		k := &Key{Algorithm: alg}
		if k.Kind() != kind {
			t.Errorf("%s: %v, want %v", alg, k.Kind(), kind)
		}
	}
}

func TestKeyToToken(t *testing.T) {
	tokenOf := func(alg, params, data string) (*seed.Token, error) {
		keys, err := readString(fmt.Sprintf(plainHOTP, alg, params, data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return keys[0].Token()
	}
	tok, err := tokenOf(AlgTOTP, `<Suite>HMAC-SHA256</Suite><ResponseFormat Length="8" Encoding="DECIMAL"/>`,
		`<Time><PlainValue>0</PlainValue></Time><TimeInterval><PlainValue>60</PlainValue></TimeInterval><TimeDrift><PlainValue>-3</PlainValue></TimeDrift>`)
	if err != nil || tok.Kind != seed.TOTP || tok.Hash != seed.SHA256 || tok.Digits != 8 || tok.Period != 60 ||
		tok.Serial != "42" || tok.Manufacturer != "Acme" || tok.Label(LabelTimeDrift) != "-3" || string(tok.Secret) != "12345678901234567890" {
		t.Fatalf("%v %+v", err, tok)
	}
	tok, err = tokenOf("http://www.ietf.org/keyprov/pskc#hotp", "", `<Counter><PlainValue>AAAAADHwRgM=</PlainValue></Counter>`)
	if err != nil || tok.Kind != seed.HOTP || tok.Counter != 837830147 || tok.Hash != seed.SHA1 {
		t.Fatalf("%v %+v", err, tok)
	}
	for _, c := range []struct{ alg, params, data, want string }{
		{AlgHOTP, `<ResponseFormat Length="6" Encoding="DECIMAL" CheckDigits="true"/>`, "", "ResponseFormat: CheckDigits"},
		{AlgHOTP, `<ResponseFormat Length="6" Encoding="HEXADECIMAL"/>`, "", "Encoding HEXADECIMAL: only DECIMAL"},
		{AlgHOTP, `<ResponseFormat Length="4" Encoding="DECIMAL"/>`, "", "Length 4"},
		{AlgHOTP, `<Suite>HMAC-MD5</Suite>`, "", `AlgorithmParameters/Suite: "HMAC-MD5"`},
		{AlgTOTP, "", `<Time><PlainValue>5</PlainValue></Time>`, "Data/Time: time origin 5"},
		{AlgTOTP, "", `<TimeInterval><PlainValue>0</PlainValue></TimeInterval>`, "Data/TimeInterval: 0 is not a time step"},
		{"urn:ietf:params:xml:ns:keyprov:pskc:pin", "", "", "not an HOTP, TOTP or Yubico OTP key"},
		{"", "", "", "Key: no Algorithm"},
		{AlgHOTP, "", `</Data><Policy><KeyUsage>CR</KeyUsage></Policy><Data>`, "Policy/KeyUsage: CR: the key is not for OTP"},
		{AlgHOTP, "", `</Data><Policy><Foo/></Policy><Data>`, "Policy: holds elements or attributes tokenctl does not know"},
		{AlgHOTP, "", `</Data><Policy><KeyUsage>OTP</KeyUsage><PINPolicy PINUsageMode="Prepend"/></Policy><Data>`, "PINUsageMode Prepend: the server must check a PIN"},
	} {
		_, err := tokenOf(c.alg, c.params, c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s %s: %v, want %q", c.alg, c.params, c.data, err, c.want)
		}
	}
}

func TestYubicoFixtureToken(t *testing.T) {
	dir := fixturesDir(t)
	keys, err := readFixture(t, dir+"/yubico/example2.pskcxml", Options{})
	if err != nil || len(keys) != 2 {
		t.Fatal(err)
	}
	tok, err := keys[1].Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.Kind != seed.YubicoOTP || tok.Serial != "283598" || tok.Label(LabelSlot) != "2" ||
		fmt.Sprintf("%x", tok.PrivateID) != "ca62baca62ba" || yubikey.Modhex(tok.PublicID) != "ekhgjhbctrgn" ||
		fmt.Sprintf("%x", tok.Secret) != "38892b82abf1807788458fc5a5165c80" || tok.Issuer != "ACME Inc." {
		t.Fatalf("%+v %x %x", tok, tok.PublicID, tok.PrivateID)
	}
}

// TestStreamingMemory reads a 40,000-key container that is never whole in
// memory (written on the fly through a pipe) and checks the heap stays
// far below the file's size.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 40000
	key := bytes.Repeat([]byte{9}, 16)
	pr, pw := io.Pipe()
	var written int64
	go func() {
		cw := &countWriter{w: pw}
		w, err := NewWriter(cw, WriterOptions{Key: key})
		if err == nil {
			for i := 0; i < n && err == nil; i++ {
				err = w.Write(&seed.Token{Serial: fmt.Sprintf("SN%08d", i), Kind: seed.HOTP, Secret: bytes.Repeat([]byte{byte(i)}, 20), Manufacturer: "Acme"})
			}
			if err == nil {
				err = w.Close()
			}
		}
		written = cw.n
		pw.CloseWithError(err)
	}()
	r, _ := NewReader(pr, Options{Key: key})
	var peak uint64
	var ms runtime.MemStats
	count := 0
	for {
		k, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Secret) != 20 || k.Secret[0] != byte(count) {
			t.Fatalf("key %d: wrong secret", count)
		}
		count++
		if count%5000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak {
				peak = ms.HeapAlloc
			}
		}
	}
	if count != n {
		t.Fatalf("%d keys, want %d", count, n)
	}
	t.Logf("%d keys, %d MB of XML, peak live heap %d MB", n, written>>20, peak>>20)
	if written < 30<<20 {
		t.Fatalf("only %d bytes written", written)
	}
	if peak > 16<<20 {
		t.Fatalf("peak live heap %d MB while streaming a %d MB file", peak>>20, written>>20)
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func TestKeyHidesSecretAndWipes(t *testing.T) {
	k := &Key{ID: "7", Algorithm: AlgHOTP, Secret: []byte("SUPERSECRETSEED12345")}
	for _, s := range []string{k.String(), fmt.Sprintf("%v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%+v", *k), fmt.Sprint([]Key{*k})} {
		if strings.Contains(s, "SUPERSECRET") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	k.Wipe()
	if !bytes.Equal(k.Secret, make([]byte, 20)) {
		t.Fatal("not wiped")
	}
	if k.IsPIN() || !(&Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:pin"}).IsPIN() {
		t.Fatal("IsPIN")
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for date, want := range map[string]bool{"": false, "2025-12-31T23:59:59Z": true, "2026-05-31T00:00:00Z": false, "garbage": false} {
		k := &Key{Policy: Policy{ExpiryDate: date}}
		if got, _ := k.Expired(now); got != want {
			t.Errorf("%q: %v", date, got)
		}
	}
}

func TestOptionsHideCredentials(t *testing.T) {
	o := Options{Key: []byte("KEYKEYKEYKEYKEY1"), Password: []byte("hunter2")}
	w := WriterOptions{Key: o.Key, Password: o.Password}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%#v %+v %v", o, &o, w), fmt.Sprintf("%#v", w)} {
		if strings.Contains(s, "KEYKEY") || strings.Contains(s, "hunter2") || strings.Contains(s, "75 69") {
			t.Fatalf("credential printed: %s", s)
		}
	}
}
