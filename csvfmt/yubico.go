package csvfmt

// The YubiKey Personalization Tool's two log formats.
//
// "Yubico format" (what Okta's YubiKey seed upload takes), one line per
// programmed slot, no header, a trailing comma, lower-case hex:
//
//	serial,public ID modhex,private ID hex,AES key hex,access code hex,yyyy-MM-ddThh:mm:ss,
//	serial,token ID modhex,moving factor seed,HMAC key hex,access code hex,timestamp,   (OATH-HOTP)
//	serial,,0,HMAC key hex,access code hex,timestamp,                                     (challenge-response)
//
// "Traditional format": a LOGGING START line per session, then 18 columns:
//
//	event type,timestamp,slot,public ID,private ID,secret,current access code,new access code,
//	oath fixed modhex1,oath fixed modhex2,oath fixed modhex,hotp digits,moving factor seed,
//	strong pw1,strong pw2,send ref,chal button trig,hmac lt64
//
// Besides the seed.Token fields, the logs carry labels: YubicoLabelSlot,
// YubicoLabelAccessCode, YubicoLabelCurrentAccess, YubicoLabelTimestamp,
// YubicoLabelMode ("chalresp" for challenge-response credentials, which
// have no seed.Kind) and the traditional format's flags.

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// Labels the YubiKey logs read and write.
const (
	YubicoLabelSlot          = "slot"
	YubicoLabelAccessCode    = "access_code"         // new access code, 12 hex digits
	YubicoLabelCurrentAccess = "current_access_code" // traditional format only
	YubicoLabelTimestamp     = "timestamp"           // yyyy-MM-ddThh:mm:ss, local time
	YubicoLabelMode          = "yubikey_mode"        // "chalresp" for HMAC-SHA1 challenge-response
	YubicoModeChalResp       = "chalresp"
	// Traditional-format flags, "1" or "0".
	YubicoLabelFixedModhex1 = "oath_fixed_modhex1"
	YubicoLabelFixedModhex2 = "oath_fixed_modhex2"
	YubicoLabelFixedModhex  = "oath_fixed_modhex"
	YubicoLabelChalBtnTrig  = "chal_btn_trig"
	YubicoLabelHMACLT64     = "hmac_lt64"
)

// YubicoTimeLayout is the Personalization Tool's fixed timestamp.
const YubicoTimeLayout = "2006-01-02T15:04:05"

const yubicoModhex = "cbdefghijklnrtuv"

func yubicoModhexEncode(b []byte) string {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, yubicoModhex[c>>4], yubicoModhex[c&15])
	}
	return string(out)
}

func yubicoModhexDecode(s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	s = strings.ToLower(s)
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, lo := strings.IndexByte(yubicoModhex, s[i]), strings.IndexByte(yubicoModhex, s[i+1])
		if hi < 0 || lo < 0 {
			return nil, false
		}
		out[i/2] = byte(hi<<4 | lo)
	}
	return out, true
}

// yubicoIsChalResp says whether a token is a challenge-response credential.
func yubicoIsChalResp(t *seed.Token) bool { return t.Label(YubicoLabelMode) == YubicoModeChalResp }

func yubicoTimestamp(t *seed.Token) string {
	if ts := t.Label(YubicoLabelTimestamp); ts != "" {
		return ts
	}
	return time.Now().Format(YubicoTimeLayout)
}

func yubicoAccess(t *seed.Token, label string) (string, error) {
	a := strings.ToLower(t.Label(label))
	if a == "" {
		return "000000000000", nil
	}
	if b, err := hex.DecodeString(a); err != nil || len(b) != 6 {
		return "", fmt.Errorf("%s must be 12 hex digits", strings.ReplaceAll(label, "_", " "))
	}
	return a, nil
}

// yubicoCheck checks what both writers need.
func yubicoCheck(t *seed.Token) error {
	switch {
	case yubicoIsChalResp(t), t.Kind == seed.HOTP:
		if len(t.Secret) == 0 || len(t.Secret) > 20 {
			return fmt.Errorf("yubico log: HMAC key of %d bytes, want 1 to 20", len(t.Secret))
		}
		if t.Hash != seed.SHA1 {
			return fmt.Errorf("yubico log: a YubiKey slot holds HMAC-SHA1 only, not %s", t.Hash)
		}
		if t.Kind == seed.HOTP && t.Counter > 0xFFFF0 {
			return fmt.Errorf("yubico log: moving factor %d exceeds 1048560", t.Counter)
		}
	case t.Kind == seed.YubicoOTP:
		if len(t.Secret) != 16 || len(t.PrivateID) != 6 {
			return fmt.Errorf("yubico log: Yubico OTP needs a 16-byte AES key and a 6-byte private ID (have %d and %d)", len(t.Secret), len(t.PrivateID))
		}
	default:
		return fmt.Errorf("yubico log: a %s token is not a YubiKey slot credential (Yubico OTP, OATH-HOTP or challenge-response)", t.Kind)
	}
	if len(t.PublicID) > 16 {
		return fmt.Errorf("yubico log: public ID of %d bytes, at most 16", len(t.PublicID))
	}
	if strings.ContainsAny(t.Serial, ",\r\n\"") {
		return fmt.Errorf("yubico log: serial %q contains a separator", t.Serial)
	}
	return nil
}

// NewYubicoLogWriter writes the Personalization Tool's "Yubico format".
func NewYubicoLogWriter(w io.Writer) seed.Writer { return &yubicoWriter{w: bufio.NewWriter(w)} }

type yubicoWriter struct{ w *bufio.Writer }

func (y *yubicoWriter) Write(t *seed.Token) error {
	if err := yubicoCheck(t); err != nil {
		return err
	}
	acc, err := yubicoAccess(t, YubicoLabelAccessCode)
	if err != nil {
		return err
	}
	var b []byte
	b = append(b, t.Serial...)
	b = append(b, ',')
	switch {
	case yubicoIsChalResp(t):
		b = append(b, ",0,"...)
	case t.Kind == seed.HOTP:
		b = append(b, yubicoModhexEncode(t.PublicID)...)
		b = append(b, ',')
		b = strconv.AppendUint(b, t.Counter, 10)
		b = append(b, ',')
	default:
		b = append(b, yubicoModhexEncode(t.PublicID)...)
		b = append(b, ',')
		b = hex.AppendEncode(b, t.PrivateID)
		b = append(b, ',')
	}
	b = hex.AppendEncode(b, t.Secret)
	b = append(b, ',')
	b = append(b, acc...)
	b = append(b, ',')
	b = append(b, yubicoTimestamp(t)...)
	b = append(b, ",\n"...)
	_, err = y.w.Write(b)
	seed.Zero(b)
	return err
}

func (y *yubicoWriter) Close() error { return y.w.Flush() }

// yubicoLines reads physical lines, numbered from 1, without CR/LF.
type yubicoLines struct {
	s    *bufio.Scanner
	line int
}

func newYubicoLines(r io.Reader) *yubicoLines {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	return &yubicoLines{s: s}
}

func (l *yubicoLines) next() (string, bool, error) {
	if !l.s.Scan() {
		return "", false, l.s.Err()
	}
	l.line++
	txt := strings.TrimRight(l.s.Text(), "\r")
	if l.line == 1 {
		txt = strings.TrimPrefix(txt, "\ufeff")
	}
	return txt, true, nil
}

func yubicoErr(file string, line int, field, format string, a ...any) *seed.FieldError {
	return &seed.FieldError{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
}

// NewYubicoLogReader reads the "Yubico format". A line whose key is 16
// bytes is a Yubico OTP credential; 20 bytes (or a moving factor in the
// third column) is OATH-HOTP. A challenge-response line (",0,") cannot be
// told from an HOTP line without token identifier at counter 0 and reads
// as HOTP.
func NewYubicoLogReader(r io.Reader, file string) seed.Reader {
	return &yubicoReader{l: newYubicoLines(r), file: file}
}

type yubicoReader struct {
	l    *yubicoLines
	file string
}

func (y *yubicoReader) Read() (*seed.Token, int, error) {
	for {
		txt, ok, err := y.l.next()
		if err != nil {
			return nil, y.l.line, fmt.Errorf("reading %s: %w", y.file, err)
		}
		if !ok {
			return nil, 0, io.EOF
		}
		if strings.TrimSpace(txt) == "" {
			continue
		}
		t, err := y.parse(txt)
		return t, y.l.line, err
	}
}

func (y *yubicoReader) parse(txt string) (*seed.Token, error) {
	line := y.l.line
	c := strings.Split(txt, ",")
	if len(c) == 7 && c[6] == "" {
		c = c[:6]
	}
	if len(c) != 6 {
		return nil, yubicoErr(y.file, line, "columns", "%d columns, want 6 and a trailing comma: serial,public ID,private ID or moving factor,key,access code,timestamp,", len(c))
	}
	for i := range c {
		c[i] = strings.TrimSpace(c[i])
	}
	var probs Problems
	add := func(field, format string, a ...any) {
		probs = append(probs, yubicoErr(y.file, line, field, format, a...))
	}
	t := &seed.Token{Serial: c[0], Manufacturer: "Yubico"}
	if c[0] != "" {
		if _, err := strconv.ParseUint(c[0], 10, 32); err != nil {
			add("serial", "%q is not a YubiKey serial number", c[0])
		}
	}
	if c[1] != "" {
		if b, ok := yubicoModhexDecode(c[1]); ok && len(b) <= 16 {
			t.PublicID = b
		} else {
			add("public ID", "%q is not modhex of at most 16 bytes", c[1])
		}
	}
	key, err := hex.DecodeString(c[3])
	if err != nil {
		add("key", "not hex")
	}
	t.Secret = key
	switch len(key) {
	case 16:
		t.Kind = seed.YubicoOTP
		if p, err := hex.DecodeString(c[2]); err != nil || len(p) != 6 {
			add("private ID", "want 12 hex digits")
		} else {
			t.PrivateID = p
		}
	case 20:
		t.Kind = seed.HOTP
		n, err := strconv.ParseUint(c[2], 10, 32)
		if err != nil || n > 0xFFFF0 || n%16 != 0 {
			add("moving factor seed", "%q: want a multiple of 16 from 0 to 1048560", c[2])
		}
		t.Counter = n
	default:
		if err == nil {
			add("key", "%d bytes, want 16 (AES) or 20 (HMAC)", len(key))
		}
	}
	if c[4] != "" {
		if a, err := hex.DecodeString(c[4]); err != nil || len(a) != 6 {
			add("access code", "want 12 hex digits")
		} else if c[4] != "000000000000" {
			t.SetLabel(YubicoLabelAccessCode, strings.ToLower(c[4]))
		}
	}
	if c[5] != "" {
		t.SetLabel(YubicoLabelTimestamp, c[5])
	}
	if len(probs) > 0 {
		return t, probs
	}
	return t, nil
}

// Traditional format.

// TraditionalHeader starts each logging session.
const traditionalStart = "LOGGING START,"

// Event types of the traditional format.
const (
	TraditionalYubicoOTP = "Yubico OTP"
	TraditionalHOTP      = "OATH-HOTP"
	TraditionalChalResp  = "Challenge-Response: HMAC-SHA1"
)

// NewTraditionalLogWriter writes the Personalization Tool's "Traditional
// format": a LOGGING START line, then one line per token.
func NewTraditionalLogWriter(w io.Writer) seed.Writer {
	return &traditionalWriter{w: bufio.NewWriter(w)}
}

type traditionalWriter struct {
	w       *bufio.Writer
	started bool
}

func yubicoBool(t *seed.Token, label string) string {
	if t.Label(label) == "1" {
		return "1"
	}
	return "0"
}

func (y *traditionalWriter) Write(t *seed.Token) error {
	if err := yubicoCheck(t); err != nil {
		return err
	}
	newAcc, err := yubicoAccess(t, YubicoLabelAccessCode)
	if err != nil {
		return err
	}
	curAcc, err := yubicoAccess(t, YubicoLabelCurrentAccess)
	if err != nil {
		return err
	}
	ts := yubicoTimestamp(t)
	slot := t.Label(YubicoLabelSlot)
	if slot != "1" && slot != "2" {
		slot = "1"
	}
	var b []byte
	if !y.started {
		b = append(b, traditionalStart+ts+"\n"...)
		y.started = true
	}
	event, pvt, digits, seedCtr := TraditionalYubicoOTP, hex.EncodeToString(t.PrivateID), "0", "0"
	switch {
	case yubicoIsChalResp(t):
		event, pvt = TraditionalChalResp, ""
	case t.Kind == seed.HOTP:
		event, pvt = TraditionalHOTP, ""
		digits = strconv.Itoa(t.EffectiveDigits())
		seedCtr = strconv.FormatUint(t.Counter, 10)
	}
	cols := []string{event, ts, slot, yubicoModhexEncode(t.PublicID), pvt, hex.EncodeToString(t.Secret), curAcc, newAcc,
		yubicoBool(t, YubicoLabelFixedModhex1), yubicoBool(t, YubicoLabelFixedModhex2), yubicoBool(t, YubicoLabelFixedModhex),
		digits, seedCtr, "0", "0", "0", yubicoBool(t, YubicoLabelChalBtnTrig), yubicoBool(t, YubicoLabelHMACLT64)}
	b = append(b, strings.Join(cols, ",")...)
	b = append(b, '\n')
	seed.Zero([]byte(cols[5]))
	_, err = y.w.Write(b)
	seed.Zero(b)
	return err
}

func (y *traditionalWriter) Close() error { return y.w.Flush() }

// NewTraditionalLogReader reads the "Traditional format". LOGGING START
// lines are skipped; static-password events are reported as errors (they
// carry no OTP secret) and reading goes on.
func NewTraditionalLogReader(r io.Reader, file string) seed.Reader {
	return &traditionalReader{l: newYubicoLines(r), file: file}
}

type traditionalReader struct {
	l    *yubicoLines
	file string
}

func (y *traditionalReader) Read() (*seed.Token, int, error) {
	for {
		txt, ok, err := y.l.next()
		if err != nil {
			return nil, y.l.line, fmt.Errorf("reading %s: %w", y.file, err)
		}
		if !ok {
			return nil, 0, io.EOF
		}
		if strings.TrimSpace(txt) == "" || strings.HasPrefix(txt, traditionalStart) {
			continue
		}
		t, err := y.parse(txt)
		return t, y.l.line, err
	}
}

func (y *traditionalReader) parse(txt string) (*seed.Token, error) {
	line := y.l.line
	c := strings.Split(txt, ",")
	if len(c) != 18 {
		return nil, yubicoErr(y.file, line, "columns", "%d columns, want 18", len(c))
	}
	for i := range c {
		c[i] = strings.TrimSpace(c[i])
	}
	var probs Problems
	add := func(field, format string, a ...any) {
		probs = append(probs, yubicoErr(y.file, line, field, format, a...))
	}
	t := &seed.Token{Manufacturer: "Yubico"}
	event := c[0]
	switch {
	case event == TraditionalYubicoOTP:
		t.Kind = seed.YubicoOTP
	case event == TraditionalHOTP:
		t.Kind = seed.HOTP
	case strings.HasPrefix(event, "Challenge-Response"):
		// The tool logs HMAC-SHA1 credentials as "Challenge-Response: Yubico OTP" too.
		t.SetLabel(YubicoLabelMode, YubicoModeChalResp)
	default:
		return nil, yubicoErr(y.file, line, "event type", "%q carries no OTP credential", event)
	}
	t.SetLabel(YubicoLabelTimestamp, c[1])
	if c[2] != "1" && c[2] != "2" {
		add("slot", "%q: want 1 or 2", c[2])
	} else {
		t.SetLabel(YubicoLabelSlot, c[2])
	}
	if c[3] != "" {
		if b, ok := yubicoModhexDecode(c[3]); ok && len(b) <= 16 {
			t.PublicID = b
		} else if b, err := hex.DecodeString(c[3]); err == nil && len(b) <= 16 {
			t.PublicID = b
		} else {
			add("public ID", "not modhex or hex of at most 16 bytes")
		}
	}
	key, err := hex.DecodeString(c[5])
	if err != nil {
		add("secret", "not hex")
	}
	t.Secret = key
	want := 20
	if t.Kind == seed.YubicoOTP {
		want = 16
		if p, err := hex.DecodeString(c[4]); err != nil || len(p) != 6 {
			add("private ID", "want 12 hex digits")
		} else {
			t.PrivateID = p
		}
	}
	if err == nil && (len(key) == 0 || len(key) > want || (want == 16 && len(key) != 16)) {
		add("secret", "%d bytes, want %d", len(key), want)
	}
	for i, l := range []string{YubicoLabelCurrentAccess, YubicoLabelAccessCode} {
		v := c[6+i]
		if v == "" || v == "000000000000" {
			continue
		}
		if a, err := hex.DecodeString(v); err != nil || len(a) != 6 {
			add(strings.ReplaceAll(l, "_", " "), "want 12 hex digits")
		} else {
			t.SetLabel(l, strings.ToLower(v))
		}
	}
	for i, l := range []string{YubicoLabelFixedModhex1, YubicoLabelFixedModhex2, YubicoLabelFixedModhex} {
		if c[8+i] == "1" {
			t.SetLabel(l, "1")
		}
	}
	if t.Kind == seed.HOTP {
		switch c[11] {
		case "6", "8":
			t.Digits = int(c[11][0] - '0')
		default:
			add("hotp digits", "%q: want 6 or 8", c[11])
		}
		n, err := strconv.ParseUint(c[12], 10, 32)
		if err != nil || n > 0xFFFF0 {
			add("moving factor seed", "%q: want 0 to 1048560", c[12])
		}
		t.Counter = n
	}
	if c[16] == "1" {
		t.SetLabel(YubicoLabelChalBtnTrig, "1")
	}
	if c[17] == "1" {
		t.SetLabel(YubicoLabelHMACLT64, "1")
	}
	if len(probs) > 0 {
		return t, probs
	}
	return t, nil
}
