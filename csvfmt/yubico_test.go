package csvfmt

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/seed"
)

func yubicoTokens() []*seed.Token {
	otp := &seed.Token{Serial: "12345678", Kind: seed.YubicoOTP, PublicID: []byte{0xFF, 0, 0, 0xBC, 0x61, 0x4E},
		PrivateID: []byte{1, 2, 3, 4, 5, 6}, Secret: []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}
	otp.SetLabel(YubicoLabelTimestamp, "2026-11-24T05:06:07")
	hotp := &seed.Token{Serial: "12345678", Kind: seed.HOTP, Counter: 32, Digits: 8, PublicID: []byte{0xE1, 0x63, 0x12, 0x34, 0x56, 0x78},
		Secret: []byte("12345678901234567890")}
	hotp.SetLabel(YubicoLabelTimestamp, "2026-11-24T05:06:08")
	hotp.SetLabel(YubicoLabelAccessCode, "010203040506")
	hotp.SetLabel(YubicoLabelSlot, "2")
	chal := &seed.Token{Serial: "12345678", Secret: bytes.Repeat([]byte{0xAB}, 20)}
	chal.SetLabel(YubicoLabelMode, YubicoModeChalResp)
	chal.SetLabel(YubicoLabelTimestamp, "2026-11-24T05:06:09")
	return []*seed.Token{otp, hotp, chal}
}

// TestYubicoLogGolden: the Personalization Tool's Yubico format, byte for
// byte (trailing comma, lower-case hex, 000000000000 for no access code).
func TestYubicoLogGolden(t *testing.T) {
	var buf bytes.Buffer
	w := NewYubicoLogWriter(&buf)
	for _, tok := range yubicoTokens() {
		if err := w.Write(tok); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	want := "12345678,vvccccnrhbfu,010203040506,000102030405060708090a0b0c0d0e0f,000000000000,2026-11-24T05:06:07,\n" +
		"12345678,ubhebdefghij,32,3132333435363738393031323334353637383930,010203040506,2026-11-24T05:06:08,\n" +
		"12345678,,0,abababababababababababababababababababab,000000000000,2026-11-24T05:06:09,\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	// Read back.
	r := NewYubicoLogReader(strings.NewReader(want), "okta.csv")
	var got []*seed.Token
	for {
		tok, line, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		got = append(got, tok)
	}
	if len(got) != 3 || got[0].Kind != seed.YubicoOTP || !bytes.Equal(got[0].PrivateID, []byte{1, 2, 3, 4, 5, 6}) ||
		got[1].Kind != seed.HOTP || got[1].Counter != 32 || got[1].Label(YubicoLabelAccessCode) != "010203040506" ||
		!bytes.Equal(got[1].Secret, []byte("12345678901234567890")) || got[2].Kind != seed.HOTP {
		t.Fatalf("read back %v", got)
	}
}

func TestTraditionalLogRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewTraditionalLogWriter(&buf)
	toks := yubicoTokens()
	for _, tok := range toks {
		if err := w.Write(tok); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "LOGGING START,2026-11-24T05:06:07" {
		t.Fatalf("log:\n%s", buf.String())
	}
	want := "OATH-HOTP,2026-11-24T05:06:08,2,ubhebdefghij,,3132333435363738393031323334353637383930,000000000000,010203040506,0,0,0,8,32,0,0,0,0,0"
	if lines[2] != want {
		t.Fatalf("HOTP line\n got %s\nwant %s", lines[2], want)
	}
	r := NewTraditionalLogReader(strings.NewReader(buf.String()), "log.csv")
	for i := 0; ; i++ {
		tok, line, err := r.Read()
		if err == io.EOF {
			if i != 3 {
				t.Fatalf("%d tokens", i)
			}
			break
		}
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		if !bytes.Equal(tok.Secret, toks[i].Secret) || tok.Kind != toks[i].Kind || tok.Label(YubicoLabelMode) != toks[i].Label(YubicoLabelMode) {
			t.Errorf("token %d differs", i)
		}
	}
}

func TestYubicoLogErrors(t *testing.T) {
	in := "1,vv,010203040506,0001,000000000000,x,\n" +
		"2,vvccccnrhbfu,0102030405,000102030405060708090a0b0c0d0e0f,000000000000,x,\n" +
		"onlythree,a,b\n"
	r := NewYubicoLogReader(strings.NewReader(in), "f.csv")
	for want := 1; want <= 3; want++ {
		_, line, err := r.Read()
		var fe *seed.FieldError
		if err == nil || !errors.As(err, &fe) || line != want || !strings.HasPrefix(err.Error(), "f.csv:") {
			t.Errorf("line %d: %v", line, err)
		}
		if strings.Contains(err.Error(), "0001") {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
	w := NewYubicoLogWriter(io.Discard)
	if err := w.Write(&seed.Token{Serial: "1", Kind: seed.TOTP, Secret: make([]byte, 20)}); err == nil {
		t.Error("TOTP token written to a YubiKey log")
	}
}

func FuzzYubicoLog(f *testing.F) {
	f.Add("12345678,vvccccnrhbfu,010203040506,000102030405060708090a0b0c0d0e0f,000000000000,2026-11-24T05:06:07,\n")
	f.Add("LOGGING START,x\nOATH-HOTP,t,2,vv,,3132333435363738393031323334353637383930,000000000000,010203040506,0,0,0,8,32,0,0,0,0,0\n")
	f.Add("1,vv,010203040506,0001,000000000000,x,\n" + strings.Repeat("7", maxLogLine+1) + "\n2,vv,\n")
	// As fuzzReader: never panics, always ends, reports only FieldErrors.
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range []seed.Reader{NewYubicoLogReader(strings.NewReader(s), "f"), NewTraditionalLogReader(strings.NewReader(s), "f")} {
			for i := 0; ; i++ {
				if i > len(s)+2 {
					t.Fatal("reader does not end")
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
			}
		}
	})
}
