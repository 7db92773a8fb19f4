package token2

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// Display is how long the token's display stays on: 15, 30, 60 or 120 s.
type Display int

// displayCodes maps seconds to the TLV value.
var displayCodes = map[Display]byte{15: 0, 30: 1, 60: 2, 120: 3}

// ParseDisplay accepts 15, 30, 60, 120 (seconds).
func ParseDisplay(seconds int) (Display, error) {
	if _, ok := displayCodes[Display(seconds)]; !ok {
		return 0, fmt.Errorf("display timeout %d s: want 15, 30, 60 or 120", seconds)
	}
	return Display(seconds), nil
}

// Config is what one configuration write sets: display timeout, clock and
// TOTP parameters. The token has 6 digits fixed and no HOTP.
type Config struct {
	Display Display   // seconds; 0 means 30
	Time    time.Time // the clock to set
	Hash    seed.Hash // SHA1 or SHA256
	Period  int       // 30 or 60 seconds
}

// ConfigLen is the length of the configuration TLV.
const ConfigLen = 19

// TLV encodes c as the 19-byte configuration of reference §1.
func (c Config) TLV() ([]byte, error) {
	d := c.Display
	if d == 0 {
		d = 30
	}
	dc, ok := displayCodes[d]
	if !ok {
		return nil, fmt.Errorf("display timeout %d s: want 15, 30, 60 or 120", int(d))
	}
	var h byte
	switch c.Hash {
	case seed.SHA1:
		h = 1
	case seed.SHA256:
		h = 2
	default:
		return nil, fmt.Errorf("hash %s: Token2 tokens do HMAC-SHA1 or HMAC-SHA256", c.Hash)
	}
	var step byte
	switch c.Period {
	case 30:
		step = 0x1E
	case 60:
		step = 0x3C
	default:
		return nil, fmt.Errorf("period %d s: Token2 tokens step 30 or 60 s", c.Period)
	}
	u := c.Time.Unix()
	if u < 0 || u > 0xFFFFFFFF {
		return nil, fmt.Errorf("time %s does not fit the token's clock", c.Time.UTC().Format(time.RFC3339))
	}
	b := []byte{0x81, 0x11, 0x1F, 0x01, dc, 0x0F, 0x04, 0, 0, 0, 0, 0x86, 0x06, 0x0A, 0x01, h, 0x0D, 0x01, step}
	binary.BigEndian.PutUint32(b[7:11], uint32(u))
	return b, nil
}

// ParseConfigTLV decodes a configuration TLV (what the token does). It is
// strict: exactly the layout TLV produces, with known values.
func ParseConfigTLV(b []byte) (Config, error) {
	var c Config
	if len(b) != ConfigLen {
		return c, fmt.Errorf("configuration of %d bytes, want %d", len(b), ConfigLen)
	}
	want := []struct {
		off int
		v   []byte
	}{{0, []byte{0x81, 0x11, 0x1F, 0x01}}, {5, []byte{0x0F, 0x04}}, {11, []byte{0x86, 0x06, 0x0A, 0x01}}, {16, []byte{0x0D, 0x01}}}
	for _, w := range want {
		for i, v := range w.v {
			if b[w.off+i] != v {
				return c, fmt.Errorf("configuration byte %d is %02X, want %02X", w.off+i, b[w.off+i], v)
			}
		}
	}
	found := false
	for d, code := range displayCodes {
		if code == b[4] {
			c.Display, found = d, true
		}
	}
	if !found {
		return c, fmt.Errorf("display code %02X unknown", b[4])
	}
	c.Time = time.Unix(int64(binary.BigEndian.Uint32(b[7:11])), 0).UTC()
	switch b[15] {
	case 1:
		c.Hash = seed.SHA1
	case 2:
		c.Hash = seed.SHA256
	default:
		return c, fmt.Errorf("HMAC code %02X unknown", b[15])
	}
	switch b[18] {
	case 0x1E:
		c.Period = 30
	case 0x3C:
		c.Period = 60
	default:
		return c, fmt.Errorf("time step %02X unknown", b[18])
	}
	return c, nil
}

// Info is what get info reports.
type Info struct {
	Serial string
	Model  Model
	Known  bool      // Model was found in the model map
	Clock  time.Time // the device's clock when it answered
}

// ParseInfo decodes the data of a get-info response: 3 opaque bytes, a
// length N, N ASCII digits of serial, 2 opaque bytes, 4 bytes of Unix
// time big-endian. The model is looked up; an unknown one leaves Known false.
func ParseInfo(data []byte) (*Info, error) {
	if len(data) < 4 {
		return nil, errors.New("get info: response too short")
	}
	n := int(data[3])
	if n == 0 || len(data) < 4+n+2+4 {
		return nil, fmt.Errorf("get info: response of %d bytes too short for a %d-digit serial", len(data), n)
	}
	serial := data[4 : 4+n]
	for _, c := range serial {
		if c < '0' || c > '9' {
			return nil, errors.New("get info: serial number is not all digits")
		}
	}
	t := binary.BigEndian.Uint32(data[4+n+2 : 4+n+6])
	info := &Info{Serial: string(serial), Clock: time.Unix(int64(t), 0).UTC()}
	if m, err := Lookup(info.Serial); err == nil {
		info.Model, info.Known = m, true
	}
	return info, nil
}

// Settings are a configuration write's parameters as text (flags, a
// form): empty Hash or Period are left zero for the caller to fill.
type Settings struct {
	Hash, Period, Display, Time string
}

// SettingsError names the setting at fault. Its message names the
// setting as the command-line option of the same name (--hash "md5": want
// sha1 or sha256), so that a command can show it as it is.
type SettingsError struct {
	Setting, Value, Want string
}

func (e *SettingsError) Error() string { return fmt.Sprintf("--%s %q: %s", e.Setting, e.Value, e.Want) }

// UsageError: the request, not the data, is at fault (tokenctl exits 2).
func (e *SettingsError) UsageError() bool { return true }

// Params parses the settings, each checked against what the token can do.
func (s Settings) Params() (Params, error) {
	var p Params
	if s.Hash != "" {
		h, err := seed.ParseHash(s.Hash)
		if err != nil || (h != seed.SHA1 && h != seed.SHA256) {
			return p, &SettingsError{"hash", s.Hash, "want sha1 or sha256"}
		}
		p.Hash = h
	}
	if s.Period != "" {
		n, err := strconv.Atoi(s.Period)
		if err != nil || (n != 30 && n != 60) {
			return p, &SettingsError{"period", s.Period, "want 30 or 60"}
		}
		p.Period = n
	}
	if s.Display != "" {
		n, err := strconv.Atoi(s.Display)
		if err == nil {
			p.Display, err = ParseDisplay(n)
		}
		if err != nil {
			return p, &SettingsError{"display", s.Display, "want 15, 30, 60 or 120"}
		}
	}
	if s.Time != "" {
		t, err := seed.ParseTime(s.Time)
		if err == nil && t.Unix() > 0xFFFFFFFF {
			err = errors.New("out of the token's clock range")
		}
		if err != nil {
			return p, &SettingsError{"time", s.Time, "want RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds within the token's clock range"}
		}
		p.Time = t
	}
	return p, nil
}
