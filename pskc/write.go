package pskc

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tokenctl/tokenctl/seed"
)

// DefaultIterations is the PBKDF2 iteration count a Writer uses for
// password containers (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).
const DefaultIterations = 600_000

// MinIterations is the fewest PBKDF2 iterations a Writer accepts.
const MinIterations = 100_000

// WriterOptions chooses the container's protection. With neither Key nor
// Password the container is plain (secrets in base64).
type WriterOptions struct {
	// Key is a pre-shared key: 16, 24 or 32 bytes select AES-128, -192 or
	// -256-CBC.
	Key []byte
	// KeyName is written as ds:KeyName so the receiver knows which key to
	// use; default "Pre-shared-key".
	KeyName string

	// Password derives an AES-128 key with PBKDF2-HMAC-SHA256 and a random
	// 16-byte salt.
	Password []byte
	// Iterations for PBKDF2; 0 means DefaultIterations. Fewer than
	// MinIterations is refused.
	Iterations int
	// MasterKeyName names the password in the file (optional).
	MasterKeyName string

	// ID is the KeyContainer Id attribute (optional; the schema makes it an
	// xs:ID: a letter or underscore first, no spaces or colons).
	ID string

	// Rand supplies IVs, the MAC key and the salt; nil means crypto/rand.
	Rand io.Reader
}

// Writer writes a container one key at a time. It implements seed.Writer.
type Writer struct {
	w      *bufio.Writer
	o      WriterOptions
	rand   io.Reader
	spec   cipherSpec
	alg    string
	encKey []byte
	macKey []byte
	macH   func() hash.Hash
	header bool
	closed bool
	err    error
}

// NewWriter prepares a container on w. Nothing is written before the first
// key (or Close, for an empty container).
func NewWriter(w io.Writer, o WriterOptions) (*Writer, error) {
	wr := &Writer{w: bufio.NewWriterSize(w, 64<<10), o: o, rand: o.Rand}
	if wr.rand == nil {
		wr.rand = rand.Reader
	}
	switch {
	case o.Key != nil && o.Password != nil:
		return nil, errors.New("pskc: give a key or a password, not both")
	case o.Key != nil:
		switch len(o.Key) {
		case 16:
			wr.alg = AlgAES128CBC
		case 24:
			wr.alg = AlgAES192CBC
		case 32:
			wr.alg = AlgAES256CBC
		default:
			return nil, fmt.Errorf("pskc: the key is %d bytes; want 16, 24 or 32 (AES-128, -192 or -256)", len(o.Key))
		}
		wr.encKey = append([]byte(nil), o.Key...)
	case o.Password != nil:
		if len(o.Password) == 0 {
			return nil, errors.New("pskc: empty password")
		}
		if o.Iterations == 0 {
			wr.o.Iterations = DefaultIterations
		} else if o.Iterations < MinIterations {
			return nil, fmt.Errorf("pskc: %d PBKDF2 iterations is too few (at least %d)", o.Iterations, MinIterations)
		}
		wr.alg = AlgAES128CBC
	}
	if wr.alg != "" {
		wr.spec, _ = lookupCipher(wr.alg)
		wr.macH = sha256.New
	}
	return wr, nil
}

// random fills n bytes from the writer's source.
func (w *Writer) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(w.rand, b); err != nil {
		return nil, fmt.Errorf("pskc: random source: %w", err)
	}
	return b, nil
}

func (w *Writer) writeHeader() error {
	w.header = true
	var salt []byte
	if w.o.Password != nil {
		var err error
		if salt, err = w.random(16); err != nil {
			return err
		}
		if w.encKey, err = pbkdf2Key(w.o.Password, salt, w.o.Iterations, 16, AlgHMACSHA256); err != nil {
			return err
		}
	}
	b := w.w
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<pskc:KeyContainer xmlns:pskc="` + nsPSKC + `" xmlns:ds="` + nsDS + `" xmlns:xenc="` + nsXenc + `"`)
	if w.o.Password != nil {
		b.WriteString(` xmlns:xenc11="` + nsXenc11 + `" xmlns:pkcs5="` + nsPKCS5 + `"`)
	}
	b.WriteString(` Version="1.0"`)
	if w.o.ID != "" {
		attr(b, "Id", w.o.ID)
	}
	b.WriteString(">\n")
	if w.alg == "" {
		return nil
	}
	b.WriteString(" <pskc:EncryptionKey>\n")
	if w.o.Password != nil {
		fmt.Fprintf(b, `  <xenc11:DerivedKey>
   <xenc11:KeyDerivationMethod Algorithm="%s">
    <pkcs5:PBKDF2-params>
     <Salt>
      <Specified>%s</Specified>
     </Salt>
     <IterationCount>%d</IterationCount>
     <KeyLength>16</KeyLength>
     <PRF Algorithm="%s"/>
    </pkcs5:PBKDF2-params>
   </xenc11:KeyDerivationMethod>
`, AlgPBKDF2, base64.StdEncoding.EncodeToString(salt), w.o.Iterations, AlgHMACSHA256)
		if w.o.MasterKeyName != "" {
			elem(b, "   ", "xenc11:MasterKeyName", w.o.MasterKeyName)
		}
		b.WriteString("  </xenc11:DerivedKey>\n")
	} else {
		name := w.o.KeyName
		if name == "" {
			name = "Pre-shared-key"
		}
		elem(b, "  ", "ds:KeyName", name)
	}
	b.WriteString(" </pskc:EncryptionKey>\n")

	var err error
	if w.macKey, err = w.random(32); err != nil {
		return err
	}
	ct, err := w.encrypt(w.macKey)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, ` <pskc:MACMethod Algorithm="%s">
  <pskc:MACKey>
   <xenc:EncryptionMethod Algorithm="%s"/>
   <xenc:CipherData>
    <xenc:CipherValue>%s</xenc:CipherValue>
   </xenc:CipherData>
  </pskc:MACKey>
 </pskc:MACMethod>
`, AlgHMACSHA256, w.alg, base64.StdEncoding.EncodeToString(ct))
	return nil
}

func (w *Writer) encrypt(plain []byte) ([]byte, error) {
	iv, err := w.random(16)
	if err != nil {
		return nil, err
	}
	return w.spec.encryptCBC(w.encKey, iv, plain)
}

// Write adds one token (seed.Writer).
func (w *Writer) Write(t *seed.Token) error {
	k, err := FromToken(t)
	if err != nil {
		return fmt.Errorf("pskc: %s: %w", t.Serial, err)
	}
	return w.WriteKey(k)
}

// WriteKey adds one key, in its own KeyPackage.
func (w *Writer) WriteKey(k *Key) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("pskc: write after Close")
	}
	if err := w.writeKey(k); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *Writer) writeKey(k *Key) error {
	if err := checkText(k); err != nil {
		return err
	}
	if !w.header {
		if err := w.writeHeader(); err != nil {
			return err
		}
	}
	b := w.w
	b.WriteString(" <pskc:KeyPackage>\n")
	if d := k.Device; d != nil && *d != (Device{}) {
		b.WriteString("  <pskc:DeviceInfo>\n")
		for _, f := range [][2]string{
			{"Manufacturer", d.Manufacturer}, {"SerialNo", d.SerialNo}, {"Model", d.Model},
			{"IssueNo", d.IssueNo}, {"DeviceBinding", d.DeviceBinding}, {"StartDate", d.StartDate},
			{"ExpiryDate", d.ExpiryDate}, {"UserId", d.UserID},
		} {
			if f[1] != "" {
				elem(b, "   ", "pskc:"+f[0], f[1])
			}
		}
		b.WriteString("  </pskc:DeviceInfo>\n")
		if d.CryptoModule != "" {
			b.WriteString("  <pskc:CryptoModuleInfo>\n")
			elem(b, "   ", "pskc:Id", d.CryptoModule)
			b.WriteString("  </pskc:CryptoModuleInfo>\n")
		}
	}
	b.WriteString("  <pskc:Key")
	attr(b, "Id", k.ID)
	attr(b, "Algorithm", k.Algorithm)
	b.WriteString(">\n")
	if k.Issuer != "" {
		elem(b, "   ", "pskc:Issuer", k.Issuer)
	}
	if k.Suite != "" || k.Response.Encoding != "" {
		b.WriteString("   <pskc:AlgorithmParameters>\n")
		if k.Suite != "" {
			elem(b, "    ", "pskc:Suite", k.Suite)
		}
		if k.Response.Encoding != "" {
			b.WriteString("    <pskc:ResponseFormat")
			attr(b, "Encoding", k.Response.Encoding)
			attr(b, "Length", strconv.Itoa(k.Response.Length))
			if k.Response.CheckDigits != nil {
				attr(b, "CheckDigits", strconv.FormatBool(*k.Response.CheckDigits))
			}
			b.WriteString("/>\n")
		}
		b.WriteString("   </pskc:AlgorithmParameters>\n")
	}
	if k.FriendlyName != "" {
		elem(b, "   ", "pskc:FriendlyName", k.FriendlyName)
	}
	b.WriteString("   <pskc:Data>\n")
	b.WriteString("    <pskc:Secret>\n")
	if w.alg == "" {
		// Base64 into a buffer that is wiped, not a string that stays.
		enc := base64.StdEncoding.AppendEncode(nil, k.Secret)
		b.WriteString("     <pskc:PlainValue>")
		b.Write(enc)
		b.WriteString("</pskc:PlainValue>\n")
		seed.Zero(enc)
	} else {
		ct, err := w.encrypt(k.Secret)
		if err != nil {
			return err
		}
		fmt.Fprintf(b, `     <pskc:EncryptedValue>
      <xenc:EncryptionMethod Algorithm="%s"/>
      <xenc:CipherData>
       <xenc:CipherValue>%s</xenc:CipherValue>
      </xenc:CipherData>
     </pskc:EncryptedValue>
`, w.alg, base64.StdEncoding.EncodeToString(ct))
		elem(b, "     ", "pskc:ValueMAC", base64.StdEncoding.EncodeToString(hmacSum(w.macH, w.macKey, ct)))
	}
	b.WriteString("    </pskc:Secret>\n")
	for _, f := range []struct {
		name string
		v    *int64
	}{{"Counter", k.Counter}, {"Time", k.Time}, {"TimeInterval", k.TimeInterval}, {"TimeDrift", k.TimeDrift}} {
		if f.v != nil {
			fmt.Fprintf(b, "    <pskc:%s>\n     <pskc:PlainValue>%d</pskc:PlainValue>\n    </pskc:%s>\n", f.name, *f.v, f.name)
		}
	}
	b.WriteString("   </pskc:Data>\n")
	if k.UserID != "" {
		elem(b, "   ", "pskc:UserId", k.UserID)
	}
	b.WriteString("  </pskc:Key>\n </pskc:KeyPackage>\n")
	return nil
}

// Close writes the end of the container and flushes. It does not close
// the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	if !w.header {
		if err := w.writeHeader(); err != nil {
			return err
		}
	}
	w.closed = true
	// Both keys are the Writer's own: a copy of WriterOptions.Key, or
	// derived from the password.
	seed.Zero(w.macKey)
	seed.Zero(w.encKey)
	w.w.WriteString("</pskc:KeyContainer>\n")
	return w.w.Flush()
}

func elem(b *bufio.Writer, indent, name, text string) {
	b.WriteString(indent + "<" + name + ">")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</" + name + ">\n")
}

func attr(b *bufio.Writer, name, v string) {
	b.WriteString(" " + name + `="`)
	xml.EscapeText(b, []byte(v))
	b.WriteString(`"`)
}

// checkText refuses text XML 1.0 cannot hold (EscapeText would silently
// replace it).
func checkText(k *Key) error {
	fields := [][2]string{{"Id", k.ID}, {"Algorithm", k.Algorithm}, {"Issuer", k.Issuer},
		{"Suite", k.Suite}, {"FriendlyName", k.FriendlyName}, {"UserId", k.UserID}}
	if d := k.Device; d != nil {
		fields = append(fields, [][2]string{{"Manufacturer", d.Manufacturer}, {"SerialNo", d.SerialNo},
			{"Model", d.Model}, {"IssueNo", d.IssueNo}, {"DeviceBinding", d.DeviceBinding},
			{"StartDate", d.StartDate}, {"ExpiryDate", d.ExpiryDate}, {"UserId", d.UserID},
			{"CryptoModuleInfo/Id", d.CryptoModule}}...)
	}
	for _, f := range fields {
		if !utf8.ValidString(f[1]) || strings.IndexFunc(f[1], func(r rune) bool {
			return !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF)
		}) >= 0 {
			return fmt.Errorf("pskc: key %q: %s holds characters XML cannot carry", k.ID, f[0])
		}
	}
	if len(k.Secret) == 0 {
		return fmt.Errorf("pskc: key %q: no secret", k.ID)
	}
	return nil
}
