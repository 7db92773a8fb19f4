package pskc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// RFC 3394 section 4 test vectors.
var rfc3394 = []struct{ kek, data, wrapped string }{
	{"000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF", "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
	{"000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF", "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"},
	{"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
	{"000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF0001020304050607", "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2"},
	{"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF0001020304050607", "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"},
	{"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F", "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
}

func TestAESKeyWrapRFC3394(t *testing.T) {
	for _, v := range rfc3394 {
		b, err := aes.NewCipher(unhex(t, v.kek))
		if err != nil {
			t.Fatal(err)
		}
		got, err := wrapAES(b, unhex(t, v.data))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, unhex(t, v.wrapped)) {
			t.Errorf("wrap(%s) = %X, want %s", v.kek, got, v.wrapped)
		}
		plain, err := unwrapAES(b, unhex(t, v.wrapped))
		if err != nil || !bytes.Equal(plain, unhex(t, v.data)) {
			t.Errorf("unwrap(%s) = %X, %v", v.kek, plain, err)
		}
		bad := unhex(t, v.wrapped)
		bad[len(bad)-1] ^= 1
		if _, err := unwrapAES(b, bad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("tampered unwrap: err = %v, want ErrDecrypt", err)
		}
	}
	b, _ := aes.NewCipher(make([]byte, 16))
	for _, n := range []int{0, 8, 17} {
		if _, err := wrapAES(b, make([]byte, n)); err == nil {
			t.Errorf("wrap of %d bytes accepted", n)
		}
		if _, err := unwrapAES(b, make([]byte, n)); err == nil {
			t.Errorf("unwrap of %d bytes accepted", n)
		}
	}
}

// The kw-tripledes fixture states key, plaintext and ciphertext (RFC 3217
// has no published vector): unwrap it, then wrap again with the IV that
// unwrapping reveals and get the same bytes.
func TestTripleDESKeyWrapKnownAnswer(t *testing.T) {
	dir := fixturesDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "encryption", "kw-tripledes.pskcxml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<xenc:CipherValue>([^<]+)<`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no CipherValue")
	}
	wrapped, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	key := unhex(t, "255e0d1c07b646dfb3134cc843ba8aa71f025b7c0838251f")
	want := unhex(t, "2923bf85e06dd6ae529149f1f1bae9eab3a7da3d860d3e98")
	blk, err := newTripleDES(key)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := unwrap3DES(blk, wrapped)
	if err != nil || !bytes.Equal(plain, want) {
		t.Fatalf("unwrap = %x, %v; want %x", plain, err, want)
	}
	// Recover the random IV the wrapper chose: first stage decryption.
	tmp := make([]byte, len(wrapped))
	copy(tmp, wrapped)
	dec := make([]byte, len(tmp))
	cbcDecrypt(t, blk, kw3DESIV, tmp, dec)
	reverse(dec)
	again, err := wrap3DES(blk, want, dec[:8])
	if err != nil || !bytes.Equal(again, wrapped) {
		t.Fatalf("wrap = %x, %v; want %x", again, err, wrapped)
	}
	wrapped[3] ^= 0x40
	if _, err := unwrap3DES(blk, wrapped); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered: err = %v", err)
	}
}

func TestCBCRoundTripAndPadding(t *testing.T) {
	for _, alg := range []string{"aes128-cbc", "aes192-cbc", "aes256-cbc", "tripledes-cbc"} {
		spec, err := lookupCipher(nsXenc + alg)
		if err != nil {
			t.Fatal(err)
		}
		key := bytes.Repeat([]byte{7}, spec.keyLens[len(spec.keyLens)-1])
		bs := 16
		if spec.des {
			bs = 8
		}
		iv := bytes.Repeat([]byte{9}, bs)
		for n := 0; n <= 33; n++ {
			plain := bytes.Repeat([]byte{byte(n)}, n)
			ct, err := spec.encryptCBC(key, iv, plain)
			if err != nil {
				t.Fatal(err)
			}
			got, err := spec.decrypt(key, nil, ct)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%s: %d bytes: got %x, %v", alg, n, got, err)
			}
			// The same ciphertext with a file-global IV.
			got, err = spec.decrypt(key, iv, ct[bs:])
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%s global IV: %d bytes: got %x, %v", alg, n, got, err)
			}
		}
		wrong := bytes.Repeat([]byte{8}, len(key))
		fails := 0
		for i := 0; i < 20; i++ {
			ct, _ := spec.encryptCBC(key, iv, []byte{byte(i), 1, 2, 3, 4})
			if _, err := spec.decrypt(wrong, nil, ct); err != nil {
				fails++
			}
		}
		if fails < 15 {
			t.Errorf("%s: a wrong key decrypted %d of 20 values without a padding error", alg, 20-fails)
		}
		if _, err := spec.decrypt(key[:len(key)-1], nil, make([]byte, 32)); !errors.Is(err, ErrWrongCredential) {
			t.Errorf("%s: short key: %v", alg, err)
		}
	}
}

func TestTwoKeyTripleDES(t *testing.T) {
	k16 := unhex(t, "0123456789abcdeffedcba9876543210")
	k24 := append(append([]byte{}, k16...), k16[:8]...)
	a, _ := newTripleDES(k16)
	b, _ := newTripleDES(k24)
	x, y := make([]byte, 8), make([]byte, 8)
	a.Encrypt(x, []byte("abcdefgh"))
	b.Encrypt(y, []byte("abcdefgh"))
	if !bytes.Equal(x, y) {
		t.Fatal("two-key 3DES is not K1 K2 K1")
	}
}

// RFC 6030 figure 7: password "qwerty" → key 651e63cd57008476af1ff6422cd02e41.
func TestPBKDF2RFC6030(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("Ej7/PEpyEpw=")
	k, err := pbkdf2Key([]byte("qwerty"), salt, 1000, 16, "")
	if err != nil || hex.EncodeToString(k) != "651e63cd57008476af1ff6422cd02e41" {
		t.Fatalf("got %x, %v", k, err)
	}
	if _, err := pbkdf2Key([]byte("x"), salt, 1, 16, nsDS+"hmac-md5"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("md5 PRF: %v", err)
	}
}

func TestMACAlgorithms(t *testing.T) {
	for uri, n := range map[string]int{
		nsDS + "hmac-sha1": 20, "http://www.w3.org/2001/04/xmldsig-more#hmac-sha224": 28,
		AlgHMACSHA256: 32, "http://www.w3.org/2001/04/xmldsig-more#hmac-sha384": 48,
		"http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": 64, "HMAC-SHA1": 20, "hmac-sha-256": 32,
	} {
		h, err := macHash(uri)
		if err != nil || len(hmacSum(h, []byte("k"), []byte("v"))) != n {
			t.Errorf("%s: %v", uri, err)
		}
	}
	// RFC 4231 test case 2 (HMAC-SHA-256), to pin the wiring.
	h, _ := macHash(AlgHMACSHA256)
	got := hex.EncodeToString(hmacSum(h, []byte("Jefe"), []byte("what do ya want for nothing?")))
	if got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Fatalf("HMAC-SHA256 = %s", got)
	}
}

func cbcDecrypt(t testing.TB, b cipher.Block, iv, src, dst []byte) {
	t.Helper()
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(dst, src)
}
