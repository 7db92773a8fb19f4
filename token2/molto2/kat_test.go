package molto2

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
)

// vectors holds the Molto2 known-answer values of the Token2 reference
// vectors (testdata/vectors.json).
type vectors struct {
	Molto2 struct {
		Auth struct {
			APDU      string `json:"apdu"`
			Challenge string `json:"challenge"`
		} `json:"auth"`
		CustomerKeyASCII string `json:"customer_key_ascii"`
		MACExample       struct {
			MAC     string `json:"mac"`
			Message string `json:"message_ascii"`
		} `json:"mac_example"`
		SM4Key   string `json:"sm4_key"`
		TimeSync struct {
			APDU    string `json:"apdu"`
			Profile string `json:"profile"`
			UTC     string `json:"utc"`
		} `json:"time_sync"`
		WriteConfig struct {
			APDU    string `json:"apdu"`
			Profile string `json:"profile"`
			TLV     string `json:"tlv"`
		} `json:"write_config"`
		WriteSeed []struct {
			APDU    string `json:"apdu"`
			Note    string `json:"note"`
			Profile string `json:"profile"`
			Seed    string `json:"seed"`
		} `json:"write_seed"`
		WriteTitle struct {
			APDU    string `json:"apdu"`
			Profile string `json:"profile"`
			Title   string `json:"title"`
		} `json:"write_title"`
	} `json:"molto2"`
}

func loadVectors(t *testing.T) *vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Molto2.WriteSeed) != 2 || v.Molto2.SM4Key == "" {
		t.Fatal("vector file changed shape")
	}
	return &v
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func num(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSM4KeyKAT(t *testing.T) {
	v := loadVectors(t).Molto2
	if !bytes.Equal([]byte(v.CustomerKeyASCII), DefaultCustomerKey) {
		t.Fatalf("default customer key %q, vectors say %q", DefaultCustomerKey, v.CustomerKeyASCII)
	}
	if got := SM4Key(DefaultCustomerKey); !bytes.Equal(got, unhex(t, v.SM4Key)) {
		t.Fatalf("SM4 key %X, want %s", got, v.SM4Key)
	}
}

func TestMACExampleKAT(t *testing.T) {
	v := loadVectors(t).Molto2
	got, err := token2.CBCMAC(unhex(t, v.SM4Key), []byte(v.MACExample.Message))
	if err != nil || !bytes.Equal(got, unhex(t, v.MACExample.MAC)) {
		t.Fatalf("MAC %X (%v), want %s", got, err, v.MACExample.MAC)
	}
}

// recorder answers every APDU with canned responses and records them.
type recorder struct {
	sent    [][]byte
	answers func(cmd []byte) []byte
}

func (r *recorder) Transmit(cmd []byte) ([]byte, error) {
	r.sent = append(r.sent, append([]byte(nil), cmd...))
	if r.answers != nil {
		return r.answers(cmd), nil
	}
	return []byte{0x90, 0x00}, nil
}

func TestAuthKAT(t *testing.T) {
	v := loadVectors(t).Molto2
	r := &recorder{answers: func(cmd []byte) []byte {
		if cmd[1] == InsGetChallenge {
			return append(unhex(t, v.Auth.Challenge), 0x90, 0x00)
		}
		return []byte{0x90, 0x00}
	}}
	s, err := NewSession(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Authenticate(); err != nil {
		t.Fatal(err)
	}
	if len(r.sent) != 2 || !bytes.Equal(r.sent[0], []byte{0x80, 0x4B, 0x08, 0x00, 0x00}) || !bytes.Equal(r.sent[1], unhex(t, v.Auth.APDU)) {
		t.Fatalf("sent % X", r.sent)
	}
}

func TestWriteConfigKAT(t *testing.T) {
	v := loadVectors(t).Molto2.WriteConfig
	c := Config{Display: 60, Time: time.Unix(1700000000, 0), Hash: seed.SHA1, Digits: 6, Period: 30}
	tlv, err := c.TLV()
	if err != nil || !bytes.Equal(tlv, unhex(t, v.TLV)) {
		t.Fatalf("TLV %X (%v), want %s", tlv, err, v.TLV)
	}
	back, err := ParseConfigTLV(tlv)
	if err != nil || back != (Config{Display: 60, Time: c.Time.UTC(), Hash: seed.SHA1, Digits: 6, Period: 30}) {
		t.Fatalf("parsed %+v (%v)", back, err)
	}
	key := SM4Key(DefaultCustomerKey)
	cmd, err := token2.SecureCommand(key, InsWriteConfig, 0x01, byte(num(t, v.Profile)), tlv)
	if err != nil || !bytes.Equal(cmd, unhex(t, v.APDU)) {
		t.Fatalf("APDU %X, want %s", cmd, v.APDU)
	}
}

// The session's burn sends exactly the vector's configuration APDU.
func TestBurnSendsVectorConfig(t *testing.T) {
	v := loadVectors(t).Molto2
	r := &recorder{answers: func(cmd []byte) []byte {
		switch {
		case cmd[1] == InsGetChallenge:
			return append(unhex(t, v.Auth.Challenge), 0x90, 0x00)
		case cmd[1] == InsInfo && len(cmd) == 6:
			pub := make([]byte, PublicLen)
			copy(pub, []byte{0x95, 0x1F, 0x70, 0x1D})
			pub[29], pub[30], pub[31] = 1, 0x1E, 6
			return append(pub, 0x90, 0x00)
		}
		return []byte{0x90, 0x00}
	}}
	s, _ := NewSession(r, Options{Profiles: ProfilesV2})
	_, err := s.Burn(Burn{Profile: 2, Secret: unhex(t, v.WriteSeed[1].Seed),
		Config: Config{Display: 60, Time: time.Unix(1700000000, 0), Hash: seed.SHA1, Digits: 6, Period: 30}})
	// The fake never shows the profile in use: the read-back check fails.
	var we *WriteError
	if !errors.As(err, &we) || we.Stage != "read back" {
		t.Fatalf("burn: %v", err)
	}
	if len(r.sent) < 5 || !bytes.Equal(r.sent[0], PublicCommand(2)) || !bytes.Equal(r.sent[1], cmdChallenge) ||
		!bytes.Equal(r.sent[2], unhex(t, v.Auth.APDU)) || !bytes.Equal(r.sent[3], unhex(t, v.WriteConfig.APDU)) {
		t.Fatalf("sent % X", r.sent)
	}
	if r.sent[4][1] != InsWriteSeed || r.sent[4][3] != 2 {
		t.Fatalf("fifth APDU % X", r.sent[4])
	}
}

func TestTimeSyncKAT(t *testing.T) {
	v := loadVectors(t).Molto2
	r := &recorder{answers: func(cmd []byte) []byte {
		if cmd[1] == InsGetChallenge {
			return append(unhex(t, v.Auth.Challenge), 0x90, 0x00)
		}
		return []byte{0x90, 0x00}
	}}
	s, _ := NewSession(r, Options{Profiles: ProfilesV1})
	if err := s.Sync(int(num(t, v.TimeSync.Profile)), time.Unix(num(t, v.TimeSync.UTC), 0)); err != nil {
		t.Fatal(err)
	}
	if len(r.sent) != 3 || !bytes.Equal(r.sent[2], unhex(t, v.TimeSync.APDU)) {
		t.Fatalf("sent % X, want %s last", r.sent, v.TimeSync.APDU)
	}
	got, err := ParseSyncTLV(r.sent[2][5:13])
	if err != nil || got.Unix() != num(t, v.TimeSync.UTC) {
		t.Fatalf("%v %v", got, err)
	}
}

func TestWriteSeedKAT(t *testing.T) {
	v := loadVectors(t).Molto2
	key := unhex(t, v.SM4Key)
	for _, c := range v.WriteSeed {
		s := unhex(t, c.Seed)
		body, err := SeedBody(key, s, false)
		if err != nil {
			t.Fatal(err)
		}
		cmd, _ := token2.SecureCommand(key, InsWriteSeed, 0x01, byte(num(t, c.Profile)), body)
		if !bytes.Equal(cmd, unhex(t, c.APDU)) {
			t.Errorf("seed %s: %X, want %s", c.Seed, cmd, c.APDU)
		}
		if plain, err := token2.DecryptSeed(key, body); err != nil || !bytes.Equal(plain, s) {
			t.Errorf("seed %s does not decrypt back", c.Seed)
		}
	}
	// The all-zero vector is the 80-padded form; the clear form of the same
	// 20 zero bytes is zero-padded without 80: two zero blocks, so twice
	// the vector's first ciphertext block (SM4(16×00)), and a different
	// APDU.
	zero := v.WriteSeed[0]
	if !IsClearSeed(unhex(t, zero.Seed)) {
		t.Fatal("first seed vector is not the all-zero value")
	}
	clear, err := SeedBody(key, unhex(t, zero.Seed), true)
	if err != nil {
		t.Fatal(err)
	}
	first := unhex(t, zero.APDU)[5:21]
	if !bytes.Equal(clear, append(append([]byte(nil), first...), first...)) {
		t.Fatalf("clear form %X", clear)
	}
	if p, _ := token2.DecryptECB(key, clear); !bytes.Equal(p, make([]byte, 32)) {
		t.Fatalf("clear form decrypts to %X", p)
	}
	// Aligned clear values get no extra block; 80-padded aligned seeds do.
	if c, _ := SeedBody(key, make([]byte, 16), true); len(c) != 16 {
		t.Fatalf("16-byte clear value: %d bytes", len(c))
	}
	if c, _ := SeedBody(key, bytes.Repeat([]byte{7}, 16), false); len(c) != 32 {
		t.Fatalf("16-byte seed: %d bytes", len(c))
	}
	// A burn refuses the all-zero value, and the clear form refuses a
	// real seed.
	if err := CheckSeed(unhex(t, zero.Seed)); !errors.Is(err, ErrClearSeed) {
		t.Fatalf("all-zero seed: %v", err)
	}
	if _, err := SeedBody(key, unhex(t, v.WriteSeed[1].Seed), true); err == nil {
		t.Fatal("clear form of a real seed accepted")
	}
}

func TestWriteTitleKAT(t *testing.T) {
	v := loadVectors(t).Molto2
	key := unhex(t, v.SM4Key)
	body, err := TitleBody(key, v.WriteTitle.Title)
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := token2.SecureCommand(key, InsWriteTitle, 0x00, byte(num(t, v.WriteTitle.Profile)), body)
	if !bytes.Equal(cmd, unhex(t, v.WriteTitle.APDU)) {
		t.Fatalf("%X, want %s", cmd, v.WriteTitle.APDU)
	}
}

func TestAttemptsLeft(t *testing.T) {
	for sw, want := range map[uint16]int{0x6305: 5, 0x6300: 0, 0x63C7: 7, 0x63C0: 0, 0x630A: 10} {
		n, ok := AttemptsLeft(apduSW(sw))
		if !ok || n != want {
			t.Errorf("%04X: %d %v, want %d", sw, n, ok, want)
		}
	}
	if _, ok := AttemptsLeft(apduSW(0x6983)); ok {
		t.Error("69 83 read as a count")
	}
}

// A button wait whose transport fails, or whose device answers another
// word while waiting, ends with that error at once (no more polls).
func TestButtonWaitFailures(t *testing.T) {
	n := 0
	r := &recorder{answers: func(cmd []byte) []byte {
		n++
		if n == 1 {
			return []byte{0x90, 0x60}
		}
		return []byte{0x6A, 0x80}
	}}
	s, _ := NewSession(r, Options{PollInterval: time.Millisecond})
	err := s.FactoryReset(context.Background(), ResetOptions{EraseAll: true})
	if err == nil || !strings.Contains(err.Error(), "6A 80") || len(r.sent) != 2 {
		t.Fatalf("%v after %d APDUs", err, len(r.sent))
	}
	calls := 0
	fail := apdu.TransmitFunc(func(cmd []byte) ([]byte, error) {
		calls++
		if calls == 1 {
			return []byte{0x90, 0x60}, nil
		}
		return nil, errors.New("reader gone")
	})
	s, _ = NewSession(fail, Options{PollInterval: time.Millisecond})
	err = s.FactoryReset(context.Background(), ResetOptions{EraseAll: true})
	if err == nil || !strings.Contains(err.Error(), "reader gone") || calls != 2 {
		t.Fatalf("%v after %d calls", err, calls)
	}
	// A key change that fails while waiting may or may not have happened.
	n = 0
	r = &recorder{answers: func(cmd []byte) []byte {
		switch {
		case cmd[1] == InsGetChallenge:
			return []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00}
		case cmd[1] == InsSetKey:
			n++
			if n == 1 {
				return []byte{0x90, 0x60}
			}
			return []byte{0x69, 0x83}
		}
		return []byte{0x90, 0x00}
	}}
	s, _ = NewSession(r, Options{PollInterval: time.Millisecond})
	err = s.ChangeCustomerKey(context.Background(), []byte("k2"), nil)
	var ke *KeyChangeError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), "69 83") || !strings.Contains(err.Error(), "may or may not") {
		t.Fatalf("%v", err)
	}
	// Refused at once (not waiting): the key did not change, plain error.
	r = &recorder{answers: func(cmd []byte) []byte {
		switch cmd[1] {
		case InsGetChallenge:
			return []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00}
		case InsSetKey:
			return []byte{0x6A, 0x80}
		}
		return []byte{0x90, 0x00}
	}}
	s, _ = NewSession(r, Options{})
	err = s.ChangeCustomerKey(context.Background(), []byte("k2"), nil)
	if errors.As(err, &ke) || !strings.Contains(err.Error(), "6A 80") {
		t.Fatalf("%v", err)
	}
}

func TestParsePublicStrict(t *testing.T) {
	good := make([]byte, PublicLen)
	copy(good, []byte{0x95, 0x1F, 0x70, 0x1D})
	copy(good[5:], "hello")
	good[29], good[30], good[31], good[32] = 2, 0x3C, 10, 1
	p, err := ParsePublic(7, good)
	if err != nil || p.Title != "hello" || p.Hash != seed.SHA256 || p.Period != 60 || p.Digits != 10 || !p.InUse {
		t.Fatalf("%+v %v", p, err)
	}
	for name, mut := range map[string]func(b []byte) []byte{
		"short":          func(b []byte) []byte { return b[:32] },
		"long":           func(b []byte) []byte { return append(b, 0) },
		"outer tag":      func(b []byte) []byte { b[0] = 0x96; return b },
		"inner length":   func(b []byte) []byte { b[3] = 0x1C; return b },
		"in-use 02":      func(b []byte) []byte { b[32] = 2; return b },
		"title not UTF8": func(b []byte) []byte { b[5] = 0xFF; return b },
	} {
		b := mut(append([]byte(nil), good...))
		if _, err := ParsePublic(7, b); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func FuzzParsePublic(f *testing.F) {
	good := make([]byte, PublicLen)
	copy(good, []byte{0x95, 0x1F, 0x70, 0x1D})
	f.Add(good)
	f.Add([]byte{0x95})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePublic(1, b)
		if err == nil && (len(b) != PublicLen || len(p.Title) > 16) {
			t.Fatalf("accepted %X", b)
		}
	})
}

func FuzzConfigTLV(f *testing.F) {
	tlv, _ := Config{Time: time.Unix(1700000000, 0), Hash: seed.SHA1, Digits: 6, Period: 30}.TLV()
	f.Add(tlv)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfigTLV(b)
		if err != nil {
			return
		}
		again, err := c.TLV()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%X parsed as %+v, encodes to %X (%v)", b, c, again, err)
		}
	})
}

func apduSW(v uint16) apdu.StatusWord { return apdu.StatusWord(v) }

func TestParseFirmware(t *testing.T) {
	for v, want := range map[string][2]int{"2.1": {2, 1}, "10.0": {10, 0}, "2.10": {2, 10}} {
		a, b, err := ParseFirmware(v)
		if err != nil || [2]int{a, b} != want {
			t.Errorf("%s: %d.%d %v", v, a, b, err)
		}
	}
	for _, v := range []string{"", "2", "two", "2.1.3", "2.1x", "-1.2", "2.-1"} {
		if _, _, err := ParseFirmware(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}

func TestKeyText(t *testing.T) {
	if b, err := KeyText.Decode("TOKEN2MOLTO1-KEY"); err != nil || string(b) != string(DefaultCustomerKey) {
		t.Fatalf("%q %v", b, err)
	}
	if _, err := KeyText.Decode(""); err == nil {
		t.Fatal("empty customer key accepted")
	}
}
