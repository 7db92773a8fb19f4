package csvfmt

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

// fuzzReader checks that a reader never panics, always ends, reports only
// FieldErrors, and that a token read without problems writes and reads
// back the same (when the format can be written).
func fuzzReader(f *testing.F, name string, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		format := lookup(t, name)
		o := Options{Kind: seed.TOTP}
		r := format.Open(strings.NewReader(in), "f", o)
		var clean []*seed.Token
		for i := 0; ; i++ {
			if i > len(in)+2 {
				t.Fatalf("reader does not end")
			}
			tok, _, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var fe *seed.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("not a FieldError: %v", err)
				}
				continue
			}
			if tok == nil {
				t.Fatal("nil token without error")
			}
			clean = append(clean, tok)
		}
		if format.Create == nil || len(clean) == 0 {
			return
		}
		var buf bytes.Buffer
		w := format.Create(&buf, o)
		var written []*seed.Token
		for _, tok := range clean {
			if w.Write(tok) == nil {
				written = append(written, tok)
			}
		}
		w.Close()
		back := format.Open(bytes.NewReader(buf.Bytes()), "back", o)
		for i, want := range written {
			got, _, err := back.Read()
			if err != nil {
				t.Fatalf("token %d does not read back: %v\n%q", i, err, buf.String())
			}
			if !reflect.DeepEqual(normalize(got), normalize(want)) {
				t.Fatalf("token %d changed:\n%+v\n%+v", i, got, want)
			}
		}
	})
}

// normalize clears what a writer legitimately fills in (defaults).
func normalize(t *seed.Token) seed.Token {
	c := *t
	c.Digits = c.EffectiveDigits()
	c.Period = c.EffectivePeriod()
	if c.Kind == seed.HOTP {
		c.Period = 30
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	return c
}

const sampleSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func FuzzEntraReader(f *testing.F) {
	fuzzReader(f, "entra",
		"upn,serial number,secret key,time interval,manufacturer,model\n,1001,"+sampleSecret+",30,Token2,C202\n",
		"\xef\xbb\xbfUPN;Serial Number;Secret Key;TimeInterval;Manufacturer;Model\r\n\"o''n\";1;"+sampleSecret+";60;\"a\"\"b\";m\r\n",
		"upn,serial number\n,1\n")
}

func FuzzDuoReader(f *testing.F) {
	fuzzReader(f, "duo-totp", "1001,3132333435363738393031323334353637383930,60\n", "1,31,\n\n2;3132;30")
}

func FuzzDuoHOTPReader(f *testing.F) {
	fuzzReader(f, "duo-hotp", "1001,3132333435363738393031323334353637383930,17\n")
}

func FuzzDuoYubiKeyReader(f *testing.F) {
	fuzzReader(f, "duo-yubikey", "cccccccccccb,0123456789ab,0123456789abcdef0123456789abcdef\n")
}

func FuzzPrivacyIDEAReader(f *testing.F) {
	fuzzReader(f, "privacyidea", "# version: 2\nalice, ldap, corp, PI1, 3132333435363738393031323334353637383930, TOTP, 6, 60\n",
		"PI2, 3132333435363738393031323334353637383930, hotp, 8, 17\n# c\n")
}

func FuzzLinOTPReader(f *testing.F) {
	fuzzReader(f, "linotp", "L1, 3132333435363738393031323334353637383930, totp, 8, 60, sha256\n#, x\n")
}

func FuzzHexReader(f *testing.F) {
	fuzzReader(f, "hex", "1001,3132333435363738393031323334353637383930,x,y\n")
}

func FuzzSerialSecretReader(f *testing.F) {
	fuzzReader(f, "serial-secret", "a,ABCDEF2345ABCDEF\nb,"+sampleSecret+"\n")
}

func FuzzOTPAuthReader(f *testing.F) {
	fuzzReader(f, "otpauth", "otpauth://totp/ACME%20Co:john?secret="+sampleSecret+"&issuer=ACME%20Co&period=60\n",
		"otpauth://hotp/x?secret="+sampleSecret+"&counter=3&algorithm=SHA256&digits=8\n# c\n")
}

func FuzzToken2PSReader(f *testing.F) {
	fuzzReader(f, "token2-ps", "86596120001 3132333435363738393031323334353637383930\n86596120002 313\n")
}

func TestDecodeBase32MatchesSeed(t *testing.T) {
	for _, s := range []string{"", "A", "AB", "ABC", "ABCD", "ABCDE", "ABCDEFG", "ABCDEFGH", "AB======", "ab", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJR", "MZXW6YQ", "MZXW6YR", "MZXW6", "MZXW7", "ZZ", "Z2", "0ABC", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"} {
		checkBase32(t, s)
	}
}

func FuzzDecodeBase32(f *testing.F) {
	f.Add("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
	f.Add("MZXW6YR")
	f.Fuzz(checkBase32)
}

func checkBase32(t *testing.T, s string) {
	a, aerr := decodeBase32Into(nil, []byte(s))
	b, berr := seed.DecodeBase32(s)
	if (aerr == nil) != (berr == nil) || !bytes.Equal(a, b) || (aerr != nil && aerr.Error() != berr.Error()) {
		t.Fatalf("%q: fast %x %v, seed %x %v", s, a, aerr, b, berr)
	}
}

func FuzzDecodeHex(f *testing.F) {
	f.Add("3132333435363738393031323334353637383930")
	f.Add("31:32 33")
	f.Add("abcdeF")
	f.Fuzz(func(t *testing.T, s string) {
		a, aerr := decodeHexInto(make([]byte, 0, 8), []byte(s))
		b, berr := seed.DecodeHex(s)
		if (aerr == nil) != (berr == nil) || !bytes.Equal(a, b) || (aerr != nil && aerr.Error() != berr.Error()) {
			t.Fatalf("%q: fast %x %v, seed %x %v", s, a, aerr, b, berr)
		}
	})
}
