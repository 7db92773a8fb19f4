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
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/yubikey"
)

// Labels the YubiKey logs read and write (yubikey's, which builds the
// tokens these logs record).
const (
	YubicoLabelSlot          = yubikey.LabelSlot
	YubicoLabelAccessCode    = yubikey.LabelAccessCode    // new access code, 12 hex digits
	YubicoLabelCurrentAccess = yubikey.LabelCurrentAccess // traditional format only
	YubicoLabelTimestamp     = yubikey.LabelTimestamp     // yyyy-MM-ddThh:mm:ss, local time
	YubicoLabelMode          = yubikey.LabelMode          // "chalresp" for HMAC-SHA1 challenge-response
	YubicoModeChalResp       = yubikey.ModeChalRespLabel
	// Traditional-format flags, "1" or "0".
	YubicoLabelFixedModhex1 = yubikey.LabelFixedModhex1
	YubicoLabelFixedModhex2 = yubikey.LabelFixedModhex2
	YubicoLabelFixedModhex  = yubikey.LabelFixedModhex
	YubicoLabelChalBtnTrig  = yubikey.LabelChalBtnTrig
	YubicoLabelHMACLT64     = yubikey.LabelHMACLT64
)

// YubicoTimeLayout is the Personalization Tool's fixed timestamp.
const YubicoTimeLayout = yubikey.TimeLayout

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
		if t.Kind == seed.HOTP && t.Counter > yubikey.MaxHOTPCounter {
			return fmt.Errorf("yubico log: moving factor %d exceeds %d", t.Counter, yubikey.MaxHOTPCounter)
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
		b = append(b, yubikey.Modhex(t.PublicID)...)
		b = append(b, ',')
		b = strconv.AppendUint(b, t.Counter, 10)
		b = append(b, ',')
	default:
		b = append(b, yubikey.Modhex(t.PublicID)...)
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

// yubicoLines reads physical lines, numbered from 1, without CR/LF. The
// line handed to parse lies in the scanner's buffer and is wiped after it:
// no copy of a secret column is left behind as a string.
type yubicoLines struct {
	s    *bufio.Scanner
	file string
	line int
	done bool
}

// maxLogLine bounds one line of a YubiKey log.
const maxLogLine = 1 << 20

func newYubicoLines(r io.Reader, file string) *yubicoLines {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), maxLogLine)
	return &yubicoLines{s: s, file: file}
}

// read parses the next line that is neither blank nor passed over by skip.
func (l *yubicoLines) read(skip func(line []byte) bool, parse func(line []byte) (*seed.Token, error)) (*seed.Token, int, error) {
	if l.done {
		return nil, 0, io.EOF
	}
	for l.s.Scan() {
		l.line++
		raw := l.s.Bytes()
		b := bytes.TrimRight(raw, "\r")
		if l.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if len(bytes.TrimSpace(b)) == 0 || skip != nil && skip(b) {
			continue
		}
		t, err := parse(b)
		seed.Zero(raw)
		return t, l.line, err
	}
	l.done = true
	if err := l.s.Err(); errors.Is(err, bufio.ErrTooLong) {
		// The scanner cannot go past it: the rest of the file is unread.
		return nil, l.line + 1, &FileError{yubicoErr(l.file, l.line+1, "line", "longer than %d bytes: the file cannot be read past it", maxLogLine)}
	} else if err != nil {
		return nil, l.line, fmt.Errorf("reading %s: %w", l.file, err)
	}
	return nil, 0, io.EOF
}

// yubicoColumns splits a line at commas and trims each column.
func yubicoColumns(line []byte) [][]byte {
	c := bytes.Split(line, []byte(","))
	for i := range c {
		c[i] = bytes.TrimSpace(c[i])
	}
	return c
}

// yubicoHex decodes a hex column into fresh bytes.
func yubicoHex(b []byte) ([]byte, error) {
	out := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(out, b); err != nil {
		seed.Zero(out)
		return nil, err
	}
	return out, nil
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
	return &yubicoReader{l: newYubicoLines(r, file), file: file}
}

type yubicoReader struct {
	l    *yubicoLines
	file string
}

func (y *yubicoReader) Read() (*seed.Token, int, error) { return y.l.read(nil, y.parse) }

func (y *yubicoReader) parse(txt []byte) (*seed.Token, error) {
	line := y.l.line
	c := yubicoColumns(txt)
	if len(c) == 7 && len(c[6]) == 0 {
		c = c[:6]
	}
	if len(c) != 6 {
		return nil, yubicoErr(y.file, line, "columns", "%d columns, want 6 and a trailing comma: serial,public ID,private ID or moving factor,key,access code,timestamp,", len(c))
	}
	var probs Problems
	add := func(field, format string, a ...any) {
		probs = append(probs, yubicoErr(y.file, line, field, format, a...))
	}
	t := &seed.Token{Serial: string(c[0]), Manufacturer: "Yubico"}
	if t.Serial != "" {
		if _, err := strconv.ParseUint(t.Serial, 10, 32); err != nil {
			add("serial", "%q is not a YubiKey serial number", clip(t.Serial))
		}
	}
	if len(c[1]) != 0 {
		if b, err := yubikey.ParseModhex(string(c[1])); err == nil && len(b) <= 16 {
			t.PublicID = b
		} else {
			add("public ID", "%q is not modhex of at most 16 bytes", clip(c[1]))
		}
	}
	key, err := yubicoHex(c[3])
	if err != nil {
		add("key", "not hex")
	}
	t.Secret = key
	switch len(key) {
	case 16:
		t.Kind = seed.YubicoOTP
		if p, err := yubicoHex(c[2]); err != nil || len(p) != 6 {
			add("private ID", "want 12 hex digits")
		} else {
			t.PrivateID = p
		}
	case 20:
		t.Kind = seed.HOTP
		n, err := strconv.ParseUint(string(c[2]), 10, 32)
		if err != nil || n > yubikey.MaxHOTPCounter || n%16 != 0 {
			add("moving factor seed", "%q: want a multiple of 16 from 0 to %d", clip(c[2]), yubikey.MaxHOTPCounter)
		}
		t.Counter = n
	default:
		if err == nil {
			add("key", "%d bytes, want 16 (AES) or 20 (HMAC)", len(key))
		}
	}
	if len(c[4]) != 0 {
		if a, err := yubicoHex(c[4]); err != nil || len(a) != 6 {
			add("access code", "want 12 hex digits")
		} else if !isZeroBytes(a) {
			t.SetLabel(YubicoLabelAccessCode, hex.EncodeToString(a))
		}
	}
	if len(c[5]) != 0 {
		t.SetLabel(YubicoLabelTimestamp, string(c[5]))
	}
	if len(probs) > 0 {
		return t, probs
	}
	return t, nil
}

// isZeroBytes says whether b is all zero (an access code of 000000000000
// is no access code).
func isZeroBytes(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Traditional format.

// traditionalStart begins the line that opens each logging session.
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
	event, withPvt, digits, seedCtr := TraditionalYubicoOTP, true, "0", "0"
	switch {
	case yubicoIsChalResp(t):
		event, withPvt = TraditionalChalResp, false
	case t.Kind == seed.HOTP:
		event, withPvt = TraditionalHOTP, false
		digits = strconv.Itoa(t.EffectiveDigits())
		seedCtr = strconv.FormatUint(t.Counter, 10)
	}
	// The private ID and the secret are hex-encoded straight into b, which
	// is wiped once written.
	b = append(b, event+","+ts+","+slot+","+yubikey.Modhex(t.PublicID)+","...)
	if withPvt {
		b = hex.AppendEncode(b, t.PrivateID)
	}
	b = append(b, ',')
	b = hex.AppendEncode(b, t.Secret)
	rest := []string{curAcc, newAcc,
		yubicoBool(t, YubicoLabelFixedModhex1), yubicoBool(t, YubicoLabelFixedModhex2), yubicoBool(t, YubicoLabelFixedModhex),
		digits, seedCtr, "0", "0", "0", yubicoBool(t, YubicoLabelChalBtnTrig), yubicoBool(t, YubicoLabelHMACLT64)}
	b = append(b, ","+strings.Join(rest, ",")+"\n"...)
	_, err = y.w.Write(b)
	seed.Zero(b)
	return err
}

func (y *traditionalWriter) Close() error { return y.w.Flush() }

// NewTraditionalLogReader reads the "Traditional format". LOGGING START
// lines are skipped; static-password events are reported as errors (they
// carry no OTP secret) and reading goes on.
func NewTraditionalLogReader(r io.Reader, file string) seed.Reader {
	return &traditionalReader{l: newYubicoLines(r, file), file: file}
}

type traditionalReader struct {
	l    *yubicoLines
	file string
}

func (y *traditionalReader) Read() (*seed.Token, int, error) {
	return y.l.read(func(line []byte) bool { return bytes.HasPrefix(line, []byte(traditionalStart)) }, y.parse)
}

func (y *traditionalReader) parse(txt []byte) (*seed.Token, error) {
	line := y.l.line
	c := yubicoColumns(txt)
	if len(c) != 18 {
		return nil, yubicoErr(y.file, line, "columns", "%d columns, want 18", len(c))
	}
	var probs Problems
	add := func(field, format string, a ...any) {
		probs = append(probs, yubicoErr(y.file, line, field, format, a...))
	}
	t := &seed.Token{Manufacturer: "Yubico"}
	event := string(c[0])
	switch {
	case event == TraditionalYubicoOTP:
		t.Kind = seed.YubicoOTP
	case event == TraditionalHOTP:
		t.Kind = seed.HOTP
	case strings.HasPrefix(event, "Challenge-Response"):
		// The tool logs HMAC-SHA1 credentials as "Challenge-Response: Yubico OTP" too.
		t.SetLabel(YubicoLabelMode, YubicoModeChalResp)
	default:
		return nil, yubicoErr(y.file, line, "event type", "%q carries no OTP credential", clip(event))
	}
	t.SetLabel(YubicoLabelTimestamp, string(c[1]))
	if slot := string(c[2]); slot != "1" && slot != "2" {
		add("slot", "%q: want 1 or 2", clip(slot))
	} else {
		t.SetLabel(YubicoLabelSlot, slot)
	}
	if len(c[3]) != 0 {
		if b, err := yubikey.ParseModhex(string(c[3])); err == nil && len(b) <= 16 {
			t.PublicID = b
		} else if b, err := yubicoHex(c[3]); err == nil && len(b) <= 16 {
			t.PublicID = b
		} else {
			add("public ID", "not modhex or hex of at most 16 bytes")
		}
	}
	key, err := yubicoHex(c[5])
	if err != nil {
		add("secret", "not hex")
	}
	t.Secret = key
	want := 20
	if t.Kind == seed.YubicoOTP {
		want = 16
		if p, err := yubicoHex(c[4]); err != nil || len(p) != 6 {
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
		if len(v) == 0 {
			continue
		}
		if a, err := yubicoHex(v); err != nil || len(a) != 6 {
			add(strings.ReplaceAll(l, "_", " "), "want 12 hex digits")
		} else if !isZeroBytes(a) {
			t.SetLabel(l, hex.EncodeToString(a))
		}
	}
	for i, l := range []string{YubicoLabelFixedModhex1, YubicoLabelFixedModhex2, YubicoLabelFixedModhex} {
		if string(c[8+i]) == "1" {
			t.SetLabel(l, "1")
		}
	}
	if t.Kind == seed.HOTP {
		switch d := string(c[11]); d {
		case "6", "8":
			t.Digits = int(d[0] - '0')
		default:
			add("hotp digits", "%q: want 6 or 8", clip(d))
		}
		n, err := strconv.ParseUint(string(c[12]), 10, 32)
		if err != nil || n > yubikey.MaxHOTPCounter {
			add("moving factor seed", "%q: want 0 to %d", clip(c[12]), yubikey.MaxHOTPCounter)
		}
		t.Counter = n
	}
	if string(c[16]) == "1" {
		t.SetLabel(YubicoLabelChalBtnTrig, "1")
	}
	if string(c[17]) == "1" {
		t.SetLabel(YubicoLabelHMACLT64, "1")
	}
	if len(probs) > 0 {
		return t, probs
	}
	return t, nil
}
