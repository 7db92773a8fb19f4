package pskc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// Algorithm URIs tokenctl writes.
const (
	nsPSKC   = "urn:ietf:params:xml:ns:keyprov:pskc"
	nsDS     = "http://www.w3.org/2000/09/xmldsig#"
	nsXenc   = "http://www.w3.org/2001/04/xmlenc#"
	nsXenc11 = "http://www.w3.org/2009/xmlenc11#"
	nsPKCS5  = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#"

	AlgAES128CBC  = nsXenc + "aes128-cbc"
	AlgAES192CBC  = nsXenc + "aes192-cbc"
	AlgAES256CBC  = nsXenc + "aes256-cbc"
	AlgPBKDF2     = nsPKCS5 + "pbkdf2"
	AlgHMACSHA1   = nsDS + "hmac-sha1"
	AlgHMACSHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"

	AlgHOTP       = "urn:ietf:params:xml:ns:keyprov:pskc:hotp"
	AlgTOTP       = "urn:ietf:params:xml:ns:keyprov:pskc:totp"
	AlgYubikeyAES = "http://www.yubico.com/#yubikey-aes"
)

// Limits that keep hostile files from costing unbounded work.
const (
	// MaxIterations bounds the PBKDF2 iteration count a file may ask for.
	MaxIterations = 10_000_000
	maxDerivedKey = 64
)

// Sentinel errors; the *Error a Reader returns wraps one of these where it
// applies, so callers can test with errors.Is.
var (
	// ErrNoCredential: the file is encrypted and no key or password was given.
	ErrNoCredential = errors.New("no key or password given")
	// ErrWrongCredential: decryption failed before any value decrypted
	// correctly, so the key or password is wrong (or the file was altered).
	ErrWrongCredential = errors.New("wrong key or password")
	// ErrMAC: a ValueMAC does not match its value.
	ErrMAC = errors.New("MAC does not match")
	// ErrDecrypt: a value does not decrypt (bad padding, key-wrap integrity
	// check failed, wrong length).
	ErrDecrypt = errors.New("decryption failed")
	// ErrUnsupported: an algorithm tokenctl does not implement.
	ErrUnsupported = errors.New("unsupported algorithm")
)

// fragment reduces an algorithm URI to its lower-case name after the last
// '#' (or the whole string), mapping the aliases old files use.
func fragment(uri string) string {
	s := strings.ToLower(strings.TrimSpace(uri))
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	if a, ok := cipherAliases[s]; ok {
		return a
	}
	return s
}

var cipherAliases = map[string]string{
	"3des-cbc":        "tripledes-cbc",
	"3des112-cbc":     "tripledes-cbc",
	"3des168-cbc":     "tripledes-cbc",
	"pbe-3des112-cbc": "tripledes-cbc",
	"pbe-3des168-cbc": "tripledes-cbc",
	"pbe-aes128-cbc":  "aes128-cbc",
	"pbe-aes192-cbc":  "aes192-cbc",
	"pbe-aes256-cbc":  "aes256-cbc",
	"kw-3des":         "kw-tripledes",
	"camellia128":     "camellia128-cbc",
	"camellia192":     "camellia192-cbc",
	"camellia256":     "camellia256-cbc",
	"hmac-sha-1":      "hmac-sha1",
	"hmac-sha-224":    "hmac-sha224",
	"hmac-sha-256":    "hmac-sha256",
	"hmac-sha-384":    "hmac-sha384",
	"hmac-sha-512":    "hmac-sha512",
	"none":            "",
}

// cipherSpec describes one encryption algorithm.
type cipherSpec struct {
	name    string // fragment, for messages
	cbc     bool   // CBC with PKCS#7 padding; otherwise key wrap
	des     bool   // 3DES; otherwise AES
	keyLens []int
}

func lookupCipher(uri string) (cipherSpec, error) {
	f := fragment(uri)
	switch f {
	case "aes128-cbc":
		return cipherSpec{f, true, false, []int{16}}, nil
	case "aes192-cbc":
		return cipherSpec{f, true, false, []int{24}}, nil
	case "aes256-cbc":
		return cipherSpec{f, true, false, []int{32}}, nil
	case "tripledes-cbc":
		return cipherSpec{f, true, true, []int{16, 24}}, nil
	case "kw-aes128":
		return cipherSpec{f, false, false, []int{16}}, nil
	case "kw-aes192":
		return cipherSpec{f, false, false, []int{24}}, nil
	case "kw-aes256":
		return cipherSpec{f, false, false, []int{32}}, nil
	case "kw-tripledes":
		return cipherSpec{f, false, true, []int{16, 24}}, nil
	}
	if strings.Contains(f, "camellia") {
		return cipherSpec{}, fmt.Errorf("%w: Camellia (%q) is not implemented", ErrUnsupported, uri)
	}
	return cipherSpec{}, fmt.Errorf("%w: encryption algorithm %q", ErrUnsupported, uri)
}

// legacyPBEKeyLen is the derived key length an old "PBE-…" EncryptionMethod
// implies.
func legacyPBEKeyLen(uri string) int {
	switch strings.ToLower(strings.TrimSpace(uri)) {
	case "pbe-3des112-cbc":
		return 16
	case "pbe-3des168-cbc":
		return 24
	}
	if c, err := lookupCipher(uri); err == nil {
		return c.keyLens[0]
	}
	return 0
}

func (c cipherSpec) checkKey(key []byte) error {
	for _, n := range c.keyLens {
		if len(key) == n {
			return nil
		}
	}
	want := fmt.Sprint(c.keyLens[0])
	if len(c.keyLens) > 1 {
		want = fmt.Sprintf("%d or %d", c.keyLens[0], c.keyLens[1])
	}
	return fmt.Errorf("%w: the key is %d bytes, %s needs %s", ErrWrongCredential, len(key), c.name, want)
}

func (c cipherSpec) block(key []byte) (cipher.Block, error) {
	if err := c.checkKey(key); err != nil {
		return nil, err
	}
	if c.des {
		return newTripleDES(key)
	}
	return aes.NewCipher(key)
}

// newTripleDES accepts two-key (16-byte, K1 K2 K1) and three-key 3DES.
func newTripleDES(key []byte) (cipher.Block, error) {
	k := make([]byte, 24)
	copy(k, key)
	if len(key) == 16 {
		copy(k[16:], key[:8])
	}
	return des.NewTripleDESCipher(k)
}

// decrypt decrypts one CipherValue. iv, when set, is the file-global IV
// and the CipherValue holds the ciphertext alone; otherwise a CBC
// CipherValue starts with its IV.
func (c cipherSpec) decrypt(key, iv, data []byte) ([]byte, error) {
	b, err := c.block(key)
	if err != nil {
		return nil, err
	}
	if !c.cbc {
		if c.des {
			return unwrap3DES(b, data)
		}
		return unwrapAES(b, data)
	}
	bs := b.BlockSize()
	if iv == nil {
		if len(data) < 2*bs {
			return nil, fmt.Errorf("%w: CipherValue is %d bytes, too short for an IV and one block", ErrDecrypt, len(data))
		}
		iv, data = data[:bs], data[bs:]
	} else if len(iv) != bs {
		return nil, fmt.Errorf("%w: the IV is %d bytes, %s needs %d", ErrDecrypt, len(iv), c.name, bs)
	}
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, fmt.Errorf("%w: ciphertext is %d bytes, not a whole number of %d-byte blocks", ErrDecrypt, len(data), bs)
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, data)
	n := int(out[len(out)-1])
	if n == 0 || n > bs || n > len(out) || subtle.ConstantTimeCompare(out[len(out)-n:], bytes.Repeat([]byte{byte(n)}, n)) != 1 {
		seed.Zero(out)
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	return out[:len(out)-n], nil
}

// encryptCBC returns iv ‖ CBC(key, iv, PKCS#7(plain)).
func (c cipherSpec) encryptCBC(key, iv, plain []byte) ([]byte, error) {
	b, err := c.block(key)
	if err != nil {
		return nil, err
	}
	bs := b.BlockSize()
	if len(iv) != bs {
		return nil, fmt.Errorf("IV is %d bytes, want %d", len(iv), bs)
	}
	n := bs - len(plain)%bs
	buf := make([]byte, bs+len(plain)+n)
	copy(buf, iv)
	copy(buf[bs:], plain)
	for i := bs + len(plain); i < len(buf); i++ {
		buf[i] = byte(n)
	}
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(buf[bs:], buf[bs:])
	return buf, nil
}

// RFC 3394 AES key wrap.

var kwIV = []byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

// wrapAES wraps plain (a multiple of 8 bytes, at least 16) under b.
func wrapAES(b cipher.Block, plain []byte) ([]byte, error) {
	if len(plain) < 16 || len(plain)%8 != 0 {
		return nil, fmt.Errorf("key wrap needs a multiple of 8 bytes, at least 16; have %d", len(plain))
	}
	n := len(plain) / 8
	out := make([]byte, 8+len(plain))
	copy(out, kwIV)
	copy(out[8:], plain)
	var buf [16]byte
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			copy(buf[:8], out[:8])
			copy(buf[8:], out[8*i:8*i+8])
			b.Encrypt(buf[:], buf[:])
			t := uint64(n*j + i)
			for k := 0; k < 8; k++ {
				buf[7-k] ^= byte(t >> (8 * k))
			}
			copy(out[:8], buf[:8])
			copy(out[8*i:], buf[8:])
		}
	}
	return out, nil
}

// unwrapAES reverses wrapAES and checks the integrity value.
func unwrapAES(b cipher.Block, data []byte) ([]byte, error) {
	if len(data) < 24 || len(data)%8 != 0 {
		return nil, fmt.Errorf("%w: wrapped key is %d bytes, not a multiple of 8 of at least 24", ErrDecrypt, len(data))
	}
	n := len(data)/8 - 1
	out := make([]byte, len(data))
	copy(out, data)
	var buf [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			copy(buf[:8], out[:8])
			t := uint64(n*j + i)
			for k := 0; k < 8; k++ {
				buf[7-k] ^= byte(t >> (8 * k))
			}
			copy(buf[8:], out[8*i:8*i+8])
			b.Decrypt(buf[:], buf[:])
			copy(out[:8], buf[:8])
			copy(out[8*i:], buf[8:])
		}
	}
	if subtle.ConstantTimeCompare(out[:8], kwIV) != 1 {
		seed.Zero(out)
		return nil, fmt.Errorf("%w: key-wrap integrity check failed", ErrDecrypt)
	}
	return out[8:], nil
}

// RFC 3217 Triple-DES key wrap.

var kw3DESIV = []byte{0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05}

func cmsICV(b []byte) []byte {
	h := sha1.Sum(b)
	return h[:8]
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}

// wrap3DES wraps plain (a multiple of 8 bytes) with a random iv (8 bytes).
func wrap3DES(b cipher.Block, plain, iv []byte) ([]byte, error) {
	if len(plain) == 0 || len(plain)%8 != 0 || len(iv) != 8 {
		return nil, fmt.Errorf("3DES key wrap needs a multiple of 8 bytes; have %d", len(plain))
	}
	tmp := make([]byte, 8, 8+len(plain)+8)
	copy(tmp, iv)
	tmp = append(tmp, plain...)
	tmp = append(tmp, cmsICV(plain)...)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(tmp[8:], tmp[8:])
	reverse(tmp)
	cipher.NewCBCEncrypter(b, kw3DESIV).CryptBlocks(tmp, tmp)
	return tmp, nil
}

func unwrap3DES(b cipher.Block, data []byte) ([]byte, error) {
	if len(data) < 24 || len(data)%8 != 0 {
		return nil, fmt.Errorf("%w: wrapped key is %d bytes, not a multiple of 8 of at least 24", ErrDecrypt, len(data))
	}
	tmp := make([]byte, len(data))
	cipher.NewCBCDecrypter(b, kw3DESIV).CryptBlocks(tmp, data)
	reverse(tmp)
	iv, rest := tmp[:8], tmp[8:]
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(rest, rest)
	plain, icv := rest[:len(rest)-8], rest[len(rest)-8:]
	if subtle.ConstantTimeCompare(icv, cmsICV(plain)) != 1 {
		seed.Zero(tmp)
		return nil, fmt.Errorf("%w: key-wrap integrity check failed", ErrDecrypt)
	}
	return plain, nil
}

// macHash maps a MAC algorithm URI (or old name like "HMAC-SHA1") to a hash.
func macHash(uri string) (func() hash.Hash, error) {
	switch fragment(uri) {
	case "hmac-sha1":
		return sha1.New, nil
	case "hmac-sha224":
		return sha256.New224, nil
	case "hmac-sha256":
		return sha256.New, nil
	case "hmac-sha384":
		return sha512.New384, nil
	case "hmac-sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("%w: MAC algorithm %q", ErrUnsupported, uri)
}

func hmacSum(h func() hash.Hash, key, data []byte) []byte {
	m := hmac.New(h, key)
	m.Write(data)
	return m.Sum(nil)
}

// pbkdf2Key derives a key; prf is the PRF algorithm URI ("" = HMAC-SHA1).
func pbkdf2Key(password, salt []byte, iter, keyLen int, prf string) ([]byte, error) {
	h := sha1.New
	if strings.TrimSpace(prf) != "" {
		var err error
		if h, err = macHash(prf); err != nil {
			return nil, fmt.Errorf("PBKDF2 PRF: %w", err)
		}
	}
	return pbkdf2.Key(h, string(password), salt, iter, keyLen)
}
