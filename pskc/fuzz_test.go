package pskc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

var fuzzKey = bytes.Repeat([]byte{0x33}, 16)

// FuzzParse feeds arbitrary bytes to the reader (with a pre-shared key, so
// encrypted seeds decrypt; no password, so no PBKDF2 cost). It must never
// panic or loop; every error is an *Error; and every key that maps to a
// token survives a write and a re-read unchanged.
func FuzzParse(f *testing.F) {
	toks := sampleTokens()
	// Small seeds: the fuzzer minimizes every new input before going on,
	// which takes long on big ones.
	f.Add(writeContainer(f, WriterOptions{}, toks[3:]))
	f.Add(writeContainer(f, WriterOptions{Key: fuzzKey}, toks[:1]))
	f.Add([]byte(fmt.Sprintf(plainHOTP, AlgTOTP, `<Suite>HMAC-SHA256</Suite><ResponseFormat Length="8" Encoding="DECIMAL" CheckDigits="0"/>`,
		`<Counter><PlainValue>NzA5Nzkx</PlainValue></Counter><TimeInterval><PlainValue>AAYxSg==</PlainValue></TimeInterval>`)))
	f.Add([]byte(`<SecretContainer version="1.2"><EncryptionMethod algorithm="PBE-3DES112-CBC"><PBESalt>y6TzckeLRQw=</PBESalt><PBEIterationCount>9</PBEIterationCount></EncryptionMethod><DigestMethod algorithm="HMAC-SHA1"/><Device><DeviceId><SerialNo>1</SerialNo></DeviceId><Secret SecretAlgorithm="HOTP" SecretId="1"><Data Name="SECRET"><Value>F/CY93NYc/SvmxT3oB6PzG7p6zpG92/t</Value><ValueDigest>hN793ZE7GM6yCM6gz9OKNRzibhg=</ValueDigest></Data></Secret></Device></SecretContainer>`))
	f.Add([]byte(`<KeyContainer Version="1.0"><EncryptionKey><IV>AAECAwQFBgcICQoLDA0ODw==</IV></EncryptionKey><KeyPackage><Key Algorithm="hotp"><Data><Secret><EncryptedValue><EncryptionMethod Algorithm="kw-aes128"/><CipherData><CipherValue>AAECAwQFBgcICQoLDA0ODxAREhMUFRYX</CipherValue></CipherData></EncryptedValue></Secret></Data></Key></KeyPackage></KeyContainer>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tm := time.AfterFunc(3*time.Second, func() { panic(fmt.Sprintf("slow input %q", data)) })
		defer tm.Stop()
		r, err := NewReader(bytes.NewReader(data), Options{Key: fuzzKey, File: "fuzz", MaxSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if i > len(data) {
				t.Fatal("more keys than input bytes")
			}
			k, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error of type %T: %v", err, err)
				}
				if e.Fatal {
					if _, again := r.Next(); again != err {
						t.Fatalf("fatal error not sticky: %v then %v", err, again)
					}
					return
				}
				continue
			}
			tok, err := k.Token()
			if err != nil {
				continue
			}
			checkRewrite(t, tok)
		}
	})
}

// checkRewrite writes tok to an encrypted container and reads it back.
func checkRewrite(t *testing.T, tok *seed.Token) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, WriterOptions{Key: fuzzKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(tok); err != nil {
		return // e.g. text XML cannot carry, refused with an error
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	keys, _, err := ReadAll(&buf, Options{Key: fuzzKey})
	if err != nil || len(keys) != 1 {
		t.Fatalf("re-read: %d keys, %v\n%s", len(keys), err, buf.Bytes())
	}
	got, err := keys[0].Token()
	if err != nil {
		t.Fatalf("re-read token: %v", err)
	}
	if got.Serial != tok.Serial || got.Kind != tok.Kind || got.Hash != tok.Hash || got.EffectiveDigits() != tok.EffectiveDigits() ||
		got.Counter != tok.Counter || !bytes.Equal(got.Secret, tok.Secret) || got.Issuer != tok.Issuer ||
		got.Manufacturer != tok.Manufacturer || !bytes.Equal(got.PrivateID, tok.PrivateID) ||
		(tok.Kind == seed.TOTP && got.EffectivePeriod() != tok.EffectivePeriod()) {
		t.Fatalf("rewrite changed the token:\n %+v\n %+v", tok, got)
	}
}
