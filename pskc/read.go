package pskc

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/tokenctl/tokenctl/seed"
)

// Options says how to decrypt a container. At most one of Key and Password
// is set; neither is fine for a plain container.
type Options struct {
	Key      []byte // pre-shared key
	Password []byte // for PBKDF2-derived keys
	File     string // names the input in errors
	// MaxSize overrides the package MaxSize (for tests); 0 means MaxSize.
	MaxSize int64
}

// Error is a problem in a PSKC file: "file:line: field: message". Fatal
// errors end the read (malformed XML, missing or wrong credentials); others
// concern one key and the Reader goes on with the next. Msg never holds a
// secret.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
	Fatal bool
	Err   error // sentinel or cause, for errors.Is; may be nil
}

func (e *Error) Error() string {
	s := e.File
	if s == "" {
		s = "pskc"
	}
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// KeyErrors is every problem of one key, in document order, when there is
// more than one; none is Fatal. It unwraps to its *Error elements
// (errors.As finds the first, errors.Is looks at all).
type KeyErrors []*Error

func (l KeyErrors) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the elements.
func (l KeyErrors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Container describes the KeyContainer element and its encryption, as
// far as it has been read.
type Container struct {
	Version string
	ID      string
	// Legacy is set for pre-RFC files (SecretContainer, Device, Data Name=).
	Legacy bool

	KeyNames            []string
	EncryptionAlgorithm string // EncryptionKey/EncryptionMethod Algorithm, old files only
	Derivation          *Derivation
	MACAlgorithm        string
}

// Derivation holds the PBKDF2 parameters of a password-based container.
type Derivation struct {
	Algorithm  string
	Salt       []byte
	Iterations int
	KeyLength  int
	PRF        string // "" means HMAC-SHA1
}

type encValue struct {
	alg    string
	cipher []byte
	line   int
}

// Reader reads the keys of one container in document order.
type Reader struct {
	d     *xml.Decoder
	opts  Options
	c     Container
	state int // 0 before the root, 1 inside it, 2 done
	fatal error
	queue []queued

	rootName string
	rootRaw  xml.Name
	encNode  *node // EncryptionKey / EncryptionMethod
	iv       []byte
	macKeyEV *encValue
	macNode  *node

	resolved     bool
	key, macKey  []byte
	anyDecrypted bool
	// values refused for a MAC mismatch before any value verified, and
	// the line of the first: if none verifies by the end, the credential
	// was wrong after all (see decryptValue).
	unverified     int
	unverifiedLine int
}

type queued struct {
	k   *Key
	err error
}

// NewReader starts reading a container from r. Nothing is read until the
// first call to Next.
func NewReader(r io.Reader, o Options) (*Reader, error) {
	if o.Key != nil && o.Password != nil {
		return nil, errors.New("pskc: give a key or a password, not both")
	}
	max := o.MaxSize
	if max <= 0 {
		max = MaxSize
	}
	return &Reader{d: newDecoder(r, max), opts: o}, nil
}

// Container returns what is known of the container so far: after the
// first Next, its version, id, and encryption settings that precede the
// first KeyPackage.
func (r *Reader) Container() *Container { return &r.c }

// ReadAll reads every key, stopping at the first error.
func ReadAll(rd io.Reader, o Options) ([]*Key, *Container, error) {
	r, err := NewReader(rd, o)
	if err != nil {
		return nil, nil, err
	}
	var keys []*Key
	for {
		k, err := r.Next()
		if err == io.EOF {
			return keys, r.Container(), nil
		}
		if err != nil {
			return keys, r.Container(), err
		}
		keys = append(keys, k)
	}
}

func (r *Reader) errAt(line int, field, msg string, fatal bool, cause error) *Error {
	return &Error{File: r.opts.File, Line: line, Field: field, Msg: msg, Fatal: fatal, Err: cause}
}

func (r *Reader) fail(line int, field, msg string, cause error) error {
	r.fatal = r.errAt(line, field, msg, true, cause)
	return r.fatal
}

// Next returns the next key. It returns io.EOF after the last one. An
// *Error that is not Fatal (or KeyErrors, for a key with several problems)
// concerns that key only; call Next again for the following ones. After a
// fatal error Next keeps returning it.
func (r *Reader) Next() (*Key, error) {
	for {
		if len(r.queue) > 0 {
			q := r.queue[0]
			r.queue[0] = queued{}
			r.queue = r.queue[1:]
			if q.err != nil {
				var e *Error
				if errors.As(q.err, &e) && e.Fatal {
					r.fatal = q.err
					r.queue = nil
				}
				return nil, q.err
			}
			return q.k, nil
		}
		if r.fatal != nil {
			return nil, r.fatal
		}
		switch r.state {
		case 0:
			if err := r.readRoot(); err != nil {
				return nil, err
			}
		case 1:
			if err := r.step(); err != nil {
				return nil, err
			}
		default:
			if r.unverified > 0 && !r.anyDecrypted {
				return nil, r.fail(r.unverifiedLine, "ValueMAC", fmt.Sprintf("no value's MAC matches (%d %s failed): wrong key or password, or the file was altered", r.unverified, plural(r.unverified, "value")), errors.Join(ErrWrongCredential, ErrMAC))
			}
			return nil, io.EOF
		}
	}
}

func (r *Reader) syntax(err error) error {
	line, msg, cause := syntaxError(r.d, err)
	return r.fail(line, "", msg, cause)
}

func (r *Reader) readRoot() error {
	for {
		t, err := token(r.d)
		if err == io.EOF {
			return r.fail(lineOf(r.d), "", "not a PSKC file: no XML element (empty file?)", nil)
		}
		if err != nil {
			return r.syntax(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return r.fail(lineOf(r.d), "", "not a PSKC file: text before the first XML element", nil)
			}
		case xml.StartElement:
			line := lineOf(r.d)
			r.rootName = t.Name.Local
			if t.Name.Local != "KeyContainer" && t.Name.Local != "SecretContainer" {
				return r.fail(line, "", fmt.Sprintf("not a PSKC file: the root element is <%s>, want <KeyContainer>", t.Name.Local), nil)
			}
			root := &node{name: t.Name.Local, attr: t.Attr}
			r.rootRaw = t.Name
			r.c.Version = root.get("Version")
			r.c.ID = root.get("Id")
			r.c.Legacy = t.Name.Local == "SecretContainer" || rootNamespace(t) != nsPSKC
			if t.Name.Local == "KeyContainer" && r.c.Version != "" && r.c.Version != "1.0" && r.c.Version != "1" {
				return r.fail(line, "KeyContainer", fmt.Sprintf("unsupported Version %q (want 1.0)", r.c.Version), nil)
			}
			r.state = 1
			return nil
		}
	}
}

// step reads one child of the container.
func (r *Reader) step() error {
	t, err := token(r.d)
	if err == io.EOF {
		return r.fail(lineOf(r.d), "", fmt.Sprintf("not well-formed XML: unexpected end of file, <%s> not closed", r.rootName), io.ErrUnexpectedEOF)
	}
	if err != nil {
		return r.syntax(err)
	}
	switch t := t.(type) {
	case xml.EndElement:
		if t.Name != r.rootRaw {
			return r.fail(lineOf(r.d), "", "not well-formed XML: element <"+rawName(r.rootRaw)+"> closed by </"+rawName(t.Name)+">", nil)
		}
		return r.readTrailer()
	case xml.StartElement:
		n, err := readTree(r.d, t)
		if err != nil {
			return r.syntax(err)
		}
		switch n.name {
		case "EncryptionKey", "EncryptionMethod":
			return r.parseEncryption(n)
		case "MACMethod", "DigestMethod":
			return r.parseMACMethod(n)
		case "MACAlgorithm":
			r.c.MACAlgorithm = strings.TrimSpace(n.text)
		case "KeyPackage", "Device":
			if n.name == "Device" {
				r.c.Legacy = true
			}
			r.parsePackage(n)
		}
		// Signature and unknown elements are ignored.
	}
	return nil
}

func (r *Reader) readTrailer() error {
	for {
		t, err := token(r.d)
		if err == io.EOF {
			r.state = 2
			return nil
		}
		if err != nil {
			return r.syntax(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return r.fail(lineOf(r.d), "", "not well-formed XML: text after the end of the container", nil)
			}
		case xml.StartElement:
			return r.fail(lineOf(r.d), "", "not well-formed XML: a second root element <"+t.Name.Local+">", nil)
		}
	}
}

// ---- header ----

func (r *Reader) parseEncryption(n *node) error {
	r.encNode = n
	if a := n.get("Algorithm"); a != "" {
		r.c.EncryptionAlgorithm = a
	}
	for _, k := range n.all("KeyName") {
		r.c.KeyNames = append(r.c.KeyNames, strings.TrimSpace(k.text))
	}
	if dk := n.find("DerivedKey"); dk != nil {
		for _, k := range dk.kids {
			if k.name == "MasterKeyName" || k.name == "CarriedKeyName" {
				r.c.KeyNames = append(r.c.KeyNames, strings.TrimSpace(k.text))
			}
		}
	}
	if s, ok := n.textOf("IV"); ok && s != "" {
		iv, err := decodeB64(s)
		if err != nil {
			return r.fail(n.find("IV").line, n.name+"/IV", "not base64", err)
		}
		r.iv = iv
	}
	if kd := n.find("DerivedKey/KeyDerivationMethod"); kd != nil {
		d := &Derivation{Algorithm: kd.get("Algorithm")}
		if p := kd.find("PBKDF2-params"); p != nil {
			if s, ok := p.textOf("Salt/Specified"); ok && s != "" {
				salt, err := decodeB64(s)
				if err != nil {
					return r.fail(p.line, "PBKDF2-params/Salt", "not base64", err)
				}
				d.Salt = salt
			}
			var err error
			if d.Iterations, err = intElem(p, "IterationCount"); err != nil {
				return r.fail(p.line, "PBKDF2-params/IterationCount", err.Error(), nil)
			}
			if d.KeyLength, err = intElem(p, "KeyLength"); err != nil {
				return r.fail(p.line, "PBKDF2-params/KeyLength", err.Error(), nil)
			}
			if prf := p.find("PRF"); prf != nil {
				d.PRF = prf.get("Algorithm")
				if d.PRF == "" {
					d.PRF = strings.TrimSpace(prf.text)
				}
			}
		}
		r.c.Derivation = d
	}
	// draft-hoyer: <EncryptionMethod algorithm="PBE-3DES112-CBC"> with
	// PBESalt and PBEIterationCount.
	if strings.HasPrefix(strings.ToLower(r.c.EncryptionAlgorithm), "pbe") && r.c.Derivation == nil {
		d := &Derivation{Algorithm: "pbkdf2", KeyLength: legacyPBEKeyLen(r.c.EncryptionAlgorithm)}
		if s, ok := n.textOf("PBESalt"); ok && s != "" {
			salt, err := decodeB64(s)
			if err != nil {
				return r.fail(n.line, "PBESalt", "not base64", err)
			}
			d.Salt = salt
		}
		var err error
		if d.Iterations, err = intElem(n, "PBEIterationCount"); err != nil {
			return r.fail(n.line, "PBEIterationCount", err.Error(), nil)
		}
		r.c.Derivation = d
	}
	return nil
}

func (r *Reader) parseMACMethod(n *node) error {
	r.macNode = n
	if a := n.get("Algorithm"); a != "" {
		r.c.MACAlgorithm = a
	}
	if mk := n.find("MACKey"); mk != nil {
		ev, err := parseEncryptedValue(mk)
		if err != nil {
			return r.fail(mk.line, "MACMethod/MACKey", err.Error(), nil)
		}
		r.macKeyEV = ev
	}
	return nil
}

func parseEncryptedValue(n *node) (*encValue, error) {
	ev := &encValue{line: n.line}
	if s, ok := n.textOf("CipherData/CipherValue"); ok && s != "" {
		b, err := decodeB64(s)
		if err != nil {
			return nil, fmt.Errorf("CipherValue is not base64")
		}
		ev.cipher = b
	}
	if m := n.find("EncryptionMethod"); m != nil {
		ev.alg = m.get("Algorithm")
		if s := m.find("EncryptionScheme"); s != nil && s.get("Algorithm") != "" {
			ev.alg = s.get("Algorithm")
		}
	}
	return ev, nil
}

// containerAlg is the container-wide algorithm of old files ("" for none).
// encrypted says whether the container protects its secrets: it has an
// EncryptionKey, or an old-style EncryptionMethod other than NONE.
func (r *Reader) encrypted() bool {
	if r.encNode != nil && r.encNode.name == "EncryptionKey" {
		return true
	}
	a := r.containerAlg()
	return a != "" && !strings.EqualFold(fragment(a), "NONE")
}

func (r *Reader) containerAlg() string {
	if fragment(r.c.EncryptionAlgorithm) == "" {
		return ""
	}
	return r.c.EncryptionAlgorithm
}

// ---- credentials ----

// encLine is the line a problem with the encryption key is reported on:
// the EncryptionKey element, or the line of the value that needs the key
// when the file has none.
func (r *Reader) encLine(value int) int {
	if r.encNode != nil {
		return r.encNode.line
	}
	return value
}

func (r *Reader) keyName() string {
	if len(r.c.KeyNames) > 0 && r.c.KeyNames[0] != "" {
		return fmt.Sprintf(" (named %q)", r.c.KeyNames[0])
	}
	return ""
}

// resolveKey finds the encryption key: given, or derived from the password,
// for the encrypted value on line. Its errors are fatal.
func (r *Reader) resolveKey(line int) error {
	if r.resolved {
		return r.fatal
	}
	r.resolved = true
	d := r.c.Derivation
	if r.encNode != nil && r.encNode.find("X509Data") != nil {
		return r.fail(r.encLine(line), "EncryptionKey", "the file is encrypted to an X.509 certificate (asymmetric encryption), which tokenctl does not decrypt", ErrUnsupported)
	}
	switch {
	case r.opts.Key == nil && r.opts.Password == nil:
		if d != nil {
			return r.fail(r.encLine(line), "EncryptionKey", "the file is password-encrypted (PBKDF2)"+r.keyName()+"; no password given", ErrNoCredential)
		}
		return r.fail(r.encLine(line), "EncryptionKey", "the file is encrypted with a pre-shared key"+r.keyName()+"; no key given", ErrNoCredential)
	case r.opts.Key != nil:
		r.key = r.opts.Key
	default:
		if d == nil {
			return r.fail(r.encLine(line), "EncryptionKey", "the file is encrypted with a pre-shared key"+r.keyName()+", not a password; give the key", ErrNoCredential)
		}
		if f := fragment(d.Algorithm); f != "pbkdf2" {
			return r.fail(r.encLine(line), "KeyDerivationMethod", fmt.Sprintf("unsupported key derivation %q (want PBKDF2)", d.Algorithm), ErrUnsupported)
		}
		var missing []string
		if len(d.Salt) == 0 {
			missing = append(missing, "Salt")
		}
		if d.Iterations <= 0 {
			missing = append(missing, "IterationCount")
		}
		if d.KeyLength <= 0 {
			missing = append(missing, "KeyLength")
		}
		if len(missing) > 0 {
			return r.fail(r.encLine(line), "EncryptionKey", "incomplete PBKDF2 parameters: no "+strings.Join(missing, ", no "), nil)
		}
		if d.Iterations > MaxIterations {
			return r.fail(r.encLine(line), "PBKDF2-params/IterationCount", fmt.Sprintf("%d iterations, more than the %d this reader allows", d.Iterations, MaxIterations), nil)
		}
		if d.KeyLength > maxDerivedKey {
			return r.fail(r.encLine(line), "PBKDF2-params/KeyLength", fmt.Sprintf("%d bytes, more than %d", d.KeyLength, maxDerivedKey), nil)
		}
		k, err := pbkdf2Key(r.opts.Password, d.Salt, d.Iterations, d.KeyLength, d.PRF)
		if err != nil {
			return r.fail(r.encLine(line), "PBKDF2-params", err.Error(), err)
		}
		r.key = k
	}
	return nil
}

// resolveMACKey decrypts the MACKey, or falls back to the encryption key
// as old files do. Errors are fatal.
func (r *Reader) resolveMACKey(line int) ([]byte, error) {
	if r.macKey != nil {
		return r.macKey, nil
	}
	if err := r.resolveKey(line); err != nil {
		return nil, err
	}
	ev := r.macKeyEV
	if ev == nil {
		r.macKey = r.key
		return r.macKey, nil
	}
	if len(ev.cipher) == 0 {
		return nil, r.fail(ev.line, "MACMethod/MACKey", "no CipherData/CipherValue", nil)
	}
	alg := ev.alg
	if alg == "" {
		alg = r.containerAlg()
	}
	if alg == "" {
		return nil, r.fail(ev.line, "MACMethod/MACKey", "no EncryptionMethod Algorithm", nil)
	}
	spec, err := lookupCipher(alg)
	if err != nil {
		return nil, r.fail(ev.line, "MACMethod/MACKey", err.Error(), err)
	}
	k, err := spec.decrypt(r.key, r.iv, ev.cipher)
	if err != nil {
		if errors.Is(err, ErrWrongCredential) {
			return nil, r.fail(ev.line, "MACMethod/MACKey", err.Error(), err)
		}
		return nil, r.fail(ev.line, "MACMethod/MACKey", "cannot decrypt the MAC key: wrong key or password ("+strings.TrimPrefix(err.Error(), ErrDecrypt.Error()+": ")+")", ErrWrongCredential)
	}
	r.macKey = k
	return k, nil
}

// ---- key packages ----

func (r *Reader) parsePackage(n *node) {
	dev := &Device{}
	if info := n.find("DeviceInfo", "DeviceId"); info != nil {
		dev.Manufacturer, _ = info.textOf("Manufacturer")
		dev.SerialNo, _ = info.textOf("SerialNo")
		dev.Model, _ = info.textOf("Model")
		dev.IssueNo, _ = info.textOf("IssueNo")
		dev.DeviceBinding, _ = info.textOf("DeviceBinding")
		dev.StartDate, _ = info.textOf("StartDate")
		dev.ExpiryDate, _ = info.textOf("ExpiryDate", "Expiry")
		dev.UserID, _ = info.textOf("UserId")
	}
	dev.CryptoModule, _ = n.textOf("CryptoModuleInfo/Id")
	for _, kn := range n.kids {
		if kn.name != "Key" && kn.name != "Secret" {
			continue
		}
		k, err := r.parseKey(kn, dev)
		r.queue = append(r.queue, queued{k, err})
		var e *Error
		if errors.As(err, &e) && e.Fatal {
			return
		}
	}
}

func (r *Reader) keyErr(n *node, field, msg string, cause error) *Error {
	return r.errAt(n.line, field, msg, false, cause)
}

// parseKey reads one Key element. Its problems are all reported, as one
// *Error or KeyErrors; a fatal one ends it at once.
func (r *Reader) parseKey(kn *node, dev *Device) (*Key, error) {
	k := &Key{Line: kn.line, Device: dev}
	var errs KeyErrors
	// bad records a problem and reports whether it is fatal.
	bad := func(err error) bool {
		var e *Error
		if !errors.As(err, &e) {
			e = r.keyErr(kn, "Key", err.Error(), err)
		}
		if e.Fatal {
			return true
		}
		errs = append(errs, e)
		return false
	}
	k.ID = kn.get("Id", "KeyId", "SecretId")
	k.Algorithm = kn.get("Algorithm", "KeyAlgorithm", "SecretAlgorithm")
	k.Issuer, _ = kn.textOf("Issuer")
	k.KeyProfileID, _ = kn.textOf("KeyProfileId")
	k.KeyReference, _ = kn.textOf("KeyReference")
	k.FriendlyName, _ = kn.textOf("FriendlyName")
	k.UserID, _ = kn.textOf("UserId")
	k.Suite, _ = kn.textOf("AlgorithmParameters/Suite")

	if cf := kn.find("AlgorithmParameters/ChallengeFormat", "Usage/ChallengeFormat"); cf != nil {
		f := &Format{Encoding: cf.get("Encoding", "Format")}
		var err error
		if f.Min, err = intAttr(cf, "Min"); err != nil {
			bad(r.keyErr(cf, "ChallengeFormat", err.Error(), nil))
		}
		if f.Max, err = intAttr(cf, "Max"); err != nil {
			bad(r.keyErr(cf, "ChallengeFormat", err.Error(), nil))
		}
		if f.CheckDigits, err = boolAttr(cf, "CheckDigits", "CheckDigit"); err != nil {
			bad(r.keyErr(cf, "ChallengeFormat", err.Error(), nil))
		}
		k.Challenge = f
	}
	if rf := kn.find("AlgorithmParameters/ResponseFormat", "Usage/ResponseFormat"); rf != nil {
		k.Response.Encoding = rf.get("Encoding", "Format")
		var err error
		if k.Response.Length, err = intAttr(rf, "Length"); err != nil {
			bad(r.keyErr(rf, "ResponseFormat", err.Error(), nil))
		}
		if k.Response.CheckDigits, err = boolAttr(rf, "CheckDigits", "CheckDigit"); err != nil {
			bad(r.keyErr(rf, "ResponseFormat", err.Error(), nil))
		}
	}
	if err := r.parsePolicy(kn, k); err != nil {
		bad(err)
	}

	// Data: RFC 6030 elements, then the drafts' <Data Name="…">. A key
	// with a problem is dropped: wipe what was decrypted of it.
	fail := func(err error) (*Key, error) {
		k.Wipe()
		return nil, err
	}
	if data := kn.find("Data"); data != nil {
		for _, f := range dataFields {
			if el := data.find(f.elem); el != nil {
				if err := r.parseData(k, f.field, el); err != nil && bad(err) {
					return fail(err)
				}
			}
		}
	}
	for _, data := range kn.all("Data") {
		name := strings.ToLower(data.get("Name"))
		if name == "" {
			continue
		}
		field := map[string]string{"secret": "Secret", "counter": "Counter", "time": "Time", "time_interval": "TimeInterval"}[name]
		if field == "" {
			continue
		}
		if err := r.parseData(k, field, data); err != nil && bad(err) {
			return fail(err)
		}
	}
	switch len(errs) {
	case 0:
		return k, nil
	case 1:
		return fail(errs[0])
	}
	return fail(errs)
}

var dataFields = []struct{ elem, field string }{
	{"Secret", "Secret"}, {"Counter", "Counter"}, {"Time", "Time"},
	{"TimeInterval", "TimeInterval"}, {"TimeDrift", "TimeDrift"},
}

func (r *Reader) parsePolicy(kn *node, k *Key) error {
	p := &k.Policy
	if u := kn.find("Usage"); u != nil {
		for _, a := range []string{"OTP", "CR", "Integrity", "Encrypt", "Unlock"} {
			b, err := boolAttr(u, a)
			if err != nil {
				return r.keyErr(u, "Usage", err.Error(), nil)
			}
			if b != nil && *b {
				p.KeyUsage = append(p.KeyUsage, a)
			}
		}
	}
	if s, ok := kn.textOf("StartDate"); ok {
		p.StartDate = s
	}
	if s, ok := kn.textOf("ExpiryDate"); ok {
		p.ExpiryDate = s
	}
	pe := kn.find("Policy")
	if pe == nil {
		return nil
	}
	if s, ok := pe.textOf("StartDate"); ok {
		p.StartDate = s
	}
	if s, ok := pe.textOf("ExpiryDate"); ok {
		p.ExpiryDate = s
	}
	if s, ok := pe.textOf("NumberOfTransactions"); ok && s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return r.keyErr(pe.find("NumberOfTransactions"), "Policy/NumberOfTransactions", fmt.Sprintf("%s is not an integer", quoteShort(s)), nil)
		}
		p.NumberOfTransactions = &v
	}
	for _, ku := range pe.all("KeyUsage") {
		p.KeyUsage = append(p.KeyUsage, strings.TrimSpace(ku.text))
	}
	if pp := pe.find("PINPolicy"); pp != nil {
		p.PINKeyID = pp.get("PINKeyId")
		p.PINUsageMode = pp.get("PINUsageMode")
		p.PINEncoding = pp.get("PINEncoding")
		var err error
		for _, f := range []struct {
			name string
			dst  *int
		}{{"MaxFailedAttempts", &p.PINMaxFailedAttempts}, {"MinLength", &p.PINMinLength}, {"MaxLength", &p.PINMaxLength}} {
			if *f.dst, err = intAttr(pp, f.name); err != nil {
				return r.keyErr(pp, "Policy/PINPolicy", err.Error(), nil)
			}
		}
		if len(pp.kids) > 0 {
			p.Unknown = true
		}
		for _, a := range pp.attr {
			switch a.Name.Local {
			case "PINKeyId", "PINUsageMode", "MaxFailedAttempts", "MinLength", "MaxLength", "PINEncoding":
			default:
				p.Unknown = true
			}
		}
	}
	for _, c := range pe.kids {
		switch c.name {
		case "StartDate", "ExpiryDate", "NumberOfTransactions", "KeyUsage", "PINPolicy":
		default:
			p.Unknown = true
		}
	}
	return nil
}

// parseData reads one Secret/Counter/Time/TimeInterval/TimeDrift element
// (or an old <Data Name=…>) into k.
func (r *Reader) parseData(k *Key, field string, el *node) error {
	var plain *string
	if s, ok := el.textOf("PlainValue"); ok && s != "" {
		plain = &s
	}
	var ev *encValue
	if en := el.find("EncryptedValue"); en != nil {
		var err error
		if ev, err = parseEncryptedValue(en); err != nil {
			return r.keyErr(en, field+"/EncryptedValue", err.Error(), nil)
		}
		if len(ev.cipher) == 0 {
			return r.keyErr(en, field+"/EncryptedValue", "no CipherData/CipherValue", nil)
		}
	}
	var mac []byte
	if s, ok := el.textOf("ValueMAC", "ValueDigest"); ok && s != "" {
		b, err := decodeB64(s)
		if err != nil {
			return r.keyErr(el, field+"/ValueMAC", "not base64", nil)
		}
		mac = b
	}
	// Old files: <Value> is ciphertext when the container is encrypted and
	// the value carries a digest, plain text otherwise.
	if s, ok := el.textOf("Value"); ok && s != "" {
		if r.containerAlg() != "" && mac != nil {
			b, err := decodeB64(s)
			if err != nil {
				return r.keyErr(el, field+"/Value", "not base64", nil)
			}
			ev = &encValue{line: el.line, cipher: b}
		} else {
			plain = &s
		}
	}

	if plain != nil && field == "Secret" && r.encrypted() {
		// In an encrypted container a secret in the clear is one anybody
		// could have planted without the key.
		return r.keyErr(el, field+"/PlainValue", "a secret in the clear in an encrypted container: anybody who can write the file could have planted it; refused", ErrMAC)
	}
	var raw []byte
	switch {
	case plain != nil:
		if field != "Secret" {
			v, err := plainInt(*plain)
			if err != nil {
				return r.keyErr(el, field, err.Error(), nil)
			}
			return setInt(k, field, v, r.keyErr(el, field, "negative value", nil))
		}
		b, err := decodeB64(*plain)
		if err != nil {
			return r.keyErr(el, field+"/PlainValue", "not base64", nil)
		}
		raw = b
	case ev != nil:
		b, err := r.decryptValue(field, el, ev, mac)
		if err != nil {
			return err
		}
		raw = b
	default:
		return nil
	}
	if field == "Secret" {
		k.Secret = raw
		return nil
	}
	v, err := binaryInt(raw)
	if err != nil {
		return r.keyErr(el, field, err.Error(), nil)
	}
	return setInt(k, field, v, r.keyErr(el, field, "negative value", nil))
}

func setInt(k *Key, field string, v int64, negErr error) error {
	switch field {
	case "Counter":
		if v < 0 {
			return negErr
		}
		k.Counter = &v
	case "Time":
		k.Time = &v
	case "TimeInterval":
		if v < 0 {
			return negErr
		}
		k.TimeInterval = &v
	case "TimeDrift":
		k.TimeDrift = &v
	}
	return nil
}

// decryptValue decrypts and authenticates one encrypted value. A failure
// before any value has decrypted and verified may mean that the credential
// is wrong, which is fatal; but a value that decrypts cleanly (valid
// padding, key-wrap integrity) under the MAC key that decrypted, and only
// fails its MAC, had its MAC altered: that is the value's own error (a
// wrong key passes both checks once in 65536 tries, once in 256 for files
// without a MACKey), and the read goes on. If no value verifies by the
// end, Next reports a wrong credential after all. Failures after a value
// verified concern the one value (it was altered).
func (r *Reader) decryptValue(field string, el *node, ev *encValue, mac []byte) ([]byte, error) {
	if err := r.resolveKey(el.line); err != nil {
		return nil, err
	}
	alg := ev.alg
	if alg == "" {
		alg = r.containerAlg()
	}
	if alg == "" {
		return nil, r.keyErr(el, field+"/EncryptedValue", "no EncryptionMethod Algorithm", nil)
	}
	spec, err := lookupCipher(alg)
	if err != nil {
		return nil, r.keyErr(el, field+"/EncryptedValue", err.Error(), err)
	}
	var h func() hash.Hash
	var macKey []byte
	if mac != nil {
		if r.c.MACAlgorithm == "" {
			return nil, r.keyErr(el, field+"/ValueMAC", "the value has a MAC but the container has no MACMethod", nil)
		}
		if h, err = macHash(r.c.MACAlgorithm); err != nil {
			return nil, r.keyErr(el, field+"/ValueMAC", "MACMethod: "+err.Error(), err)
		}
		if macKey, err = r.resolveMACKey(el.line); err != nil {
			return nil, err
		}
	} else if spec.cbc && r.macNode != nil {
		return nil, r.keyErr(el, field+"/ValueMAC", "missing: the container declares a MACMethod, and a CBC-encrypted value must carry its MAC (RFC 6030 section 6.1.1)", ErrMAC)
	} else if spec.cbc {
		// No MACMethod at all: whoever can write the file can strip the
		// MACs and swap ciphertext blocks unnoticed (a downgrade); the
		// whole file is refused, not one key.
		return nil, r.fail(el.line, field+"/ValueMAC", "missing: the value is CBC-encrypted but the container has no MACMethod, so nothing authenticates it (RFC 6030 section 6.1.1 requires a MAC); refused", ErrMAC)
	}
	// MAC over IV ‖ ciphertext (RFC 6030) is checked before decrypting.
	macOK := mac != nil && hmac.Equal(mac, hmacSum(h, macKey, ev.cipher))
	plain, derr := spec.decrypt(r.key, r.iv, ev.cipher)
	if derr == nil && mac != nil && !macOK {
		// Drafts: MAC over the plaintext.
		macOK = hmac.Equal(mac, hmacSum(h, macKey, plain))
	}
	var bad error
	switch {
	case mac != nil && !macOK:
		bad = ErrMAC
	case derr != nil:
		bad = derr
	}
	if bad == nil {
		r.anyDecrypted = true
		return plain, nil
	}
	seed.Zero(plain) // decrypted with an altered MAC or a wrong key: not to be kept
	what := "MAC does not match"
	if bad != ErrMAC {
		what = strings.TrimPrefix(bad.Error(), ErrDecrypt.Error()+": ")
		if errors.Is(bad, ErrWrongCredential) {
			return nil, r.fail(el.line, field, bad.Error(), bad)
		}
	}
	if !r.anyDecrypted {
		if bad != ErrMAC || derr != nil {
			return nil, r.fail(el.line, field, "cannot decrypt: wrong key or password, or the file was altered ("+what+")", errors.Join(ErrWrongCredential, bad))
		}
		if r.unverified == 0 {
			r.unverifiedLine = el.line
		}
		r.unverified++
	}
	return nil, r.keyErr(el, field, "cannot decrypt: "+what+": the value was altered", bad)
}

// ---- values ----

// decodeB64 decodes base64 with white space anywhere and with or without
// padding.
func decodeB64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if len(s)%4 != 0 {
		return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	return base64.StdEncoding.DecodeString(s)
}

// plainInt reads a PlainValue integer: decimal, or base64 of ASCII
// digits, or base64 of a big-endian number.
func plainInt(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	b, err := decodeB64(s)
	if err != nil || len(b) == 0 {
		return 0, fmt.Errorf("%s is not an integer (decimal, or base64 of digits or of a big-endian number)", quoteShort(s))
	}
	return binaryInt(b)
}

// binaryInt reads decrypted or base64-decoded integer bytes: ASCII digits,
// else big-endian.
func binaryInt(b []byte) (int64, error) {
	digits := len(b) > 0
	for _, c := range b {
		if c < '0' || c > '9' {
			digits = false
			break
		}
	}
	if digits {
		v, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("integer out of range")
		}
		return v, nil
	}
	if len(b) > 8 {
		return 0, fmt.Errorf("integer of %d bytes out of range", len(b))
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	if v > 1<<63-1 {
		return 0, fmt.Errorf("integer out of range")
	}
	return int64(v), nil
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

func quoteShort(s string) string {
	if len(s) > 24 {
		s = s[:24] + "…"
	}
	return strconv.Quote(s)
}

func intAttr(n *node, name string) (int, error) {
	s := strings.TrimSpace(n.get(name))
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %s is not an integer", name, quoteShort(s))
	}
	return v, nil
}

func intElem(n *node, name string) (int, error) {
	s, ok := n.textOf(name)
	if !ok || s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s is not a non-negative integer", quoteShort(s))
	}
	return v, nil
}

// boolAttr reads the first present attribute of names as an xs:boolean.
func boolAttr(n *node, names ...string) (*bool, error) {
	for _, name := range names {
		if !n.has(name) {
			continue
		}
		s := strings.TrimSpace(n.get(name))
		if s == "" {
			continue
		}
		var v bool
		switch strings.ToLower(s) {
		case "true", "1":
			v = true
		case "false", "0":
		default:
			return nil, fmt.Errorf("%s: %s is not a boolean (true, false, 1 or 0)", name, quoteShort(s))
		}
		return &v, nil
	}
	return nil, nil
}

// rootNamespace resolves the root element's namespace from its own
// declarations (tokens are read raw, untranslated).
func rootNamespace(t xml.StartElement) string {
	for _, a := range t.Attr {
		if t.Name.Space == "" && a.Name.Space == "" && a.Name.Local == "xmlns" ||
			t.Name.Space != "" && a.Name.Space == "xmlns" && a.Name.Local == t.Name.Space {
			return a.Value
		}
	}
	return ""
}
