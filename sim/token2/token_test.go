package token2_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/token2"
)

func direct(tok *simt2.Token) apdu.Transmitter {
	return apdu.TransmitFunc(func(cmd []byte) ([]byte, error) { return tok.Transmit(cmd), nil })
}

var secret20 = []byte("12345678901234567890")

func TestBurnInProcess(t *testing.T) {
	host := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	tok := simt2.New(simt2.Options{Serial: "86596120007", Drift: 90 * time.Second, Now: func() time.Time { return host }})
	if st := tok.State(); !st.Clock.Equal(host.Add(90 * time.Second)) {
		t.Fatalf("drifted clock %v", st.Clock)
	}
	info, err := token2.NewSession(direct(tok)).Burn(secret20, token2.Params{Hash: seed.SHA256, Period: 60, Display: 60, Time: host})
	if err != nil {
		t.Fatal(err)
	}
	if info.Serial != "86596120007" || info.Model.Name != "OTPC-P1-i" || !info.Clock.Equal(host.Add(90*time.Second)) {
		t.Fatalf("info %+v", info)
	}
	st := tok.State()
	if !bytes.Equal(st.Seed, secret20) || st.Hash != seed.SHA256 || st.Period != 60 || st.Display != 60 || !st.Clock.Equal(host) {
		t.Fatalf("state %+v", st)
	}
	if !bytes.Equal(st.Log, []byte{0x41, 0x4B, 0xCE, 0xD4, 0xC5}) || st.APDUs != 5 {
		t.Fatalf("APDUs % X", st.Log)
	}
	code, ok := tok.DisplayCode()
	want, _ := seed.TOTPCode(secret20, host, seed.SHA256, 6, 60)
	if !ok || code != want {
		t.Fatalf("display %q, want %q", code, want)
	}
}

func TestRestrictedConfigErasesSeed(t *testing.T) {
	for _, c := range []struct {
		serial string
		keeps  bool
	}{{"86596120001", true}, {"86596220001", false}, {"86596320001", true}, {"86596100001", false}} {
		tok := simt2.New(simt2.Options{Serial: c.serial})
		if _, err := token2.NewSession(direct(tok)).Burn(secret20, token2.Params{Hash: seed.SHA1, Period: 30}); err != nil {
			t.Fatal(err)
		}
		_, err := token2.NewSession(direct(tok)).Sync(token2.Params{Hash: seed.SHA1, Period: 30}, nil)
		st := tok.State()
		if c.keeps {
			if err != nil || !bytes.Equal(st.Seed, secret20) {
				t.Errorf("%s: sync err %v, seed kept %v", c.serial, err, st.Seed != nil)
			}
			continue
		}
		if !errors.Is(err, token2.ErrRestricted) || !bytes.Equal(st.Seed, secret20) || st.ConfigWrites != 1 {
			t.Errorf("%s: sync err %v, config writes %d", c.serial, err, st.ConfigWrites)
		}
		// A config write with no seed after it empties the token.
		s := token2.NewSession(direct(tok))
		if _, err := s.Info(); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteConfig(token2.Config{Time: time.Now(), Hash: seed.SHA1, Period: 30}); err != nil {
			t.Fatal(err)
		}
		if tok.State().Seed != nil {
			t.Errorf("%s: restricted config write kept the seed", c.serial)
		}
		if _, ok := tok.DisplayCode(); ok {
			t.Errorf("%s: a token without seed shows a code", c.serial)
		}
		// A re-burn puts it back.
		if _, err := token2.NewSession(direct(tok)).Sync(token2.Params{Hash: seed.SHA1, Period: 30}, secret20); err != nil || !bytes.Equal(tok.State().Seed, secret20) {
			t.Errorf("%s: reburn: %v", c.serial, err)
		}
	}
}

func TestLockOut(t *testing.T) {
	tok := simt2.New(simt2.Options{})
	wrong := bytes.Repeat([]byte{0x42}, 16)
	for i := 1; i <= simt2.DefaultLockAfter; i++ {
		_, err := token2.NewSessionKey(direct(tok), wrong).Burn(secret20, token2.Params{Hash: seed.SHA1, Period: 30})
		if !errors.Is(err, token2.ErrAuthFailed) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if st := tok.State(); st.BadAuths != i || st.Locked != (i == simt2.DefaultLockAfter) {
			t.Fatalf("after %d bad: %+v", i, st)
		}
	}
	_, err := token2.NewSession(direct(tok)).Burn(secret20, token2.Params{Hash: seed.SHA1, Period: 30})
	if !errors.Is(err, token2.ErrAuthFailed) {
		t.Fatalf("locked token accepted the right key: %v", err)
	}
	if st := tok.State(); st.Seed != nil || st.Auths != simt2.DefaultLockAfter+1 {
		t.Fatalf("%+v", st)
	}
}

func TestGoodAuthResetsCounter(t *testing.T) {
	tok := simt2.New(simt2.Options{})
	wrong := bytes.Repeat([]byte{0x42}, 16)
	for i := 0; i < simt2.DefaultLockAfter-1; i++ {
		token2.NewSessionKey(direct(tok), wrong).Authenticate()
	}
	if err := token2.NewSession(direct(tok)).Authenticate(); err != nil {
		t.Fatal(err)
	}
	if st := tok.State(); st.BadAuths != 0 || st.Locked {
		t.Fatalf("%+v", st)
	}
}

// raw sends one APDU and returns the status word.
func raw(tok *simt2.Token, cmd []byte) apdu.StatusWord {
	_, sw, _ := apdu.Split(tok.Transmit(cmd))
	return sw
}

func authed(t *testing.T, tok *simt2.Token) {
	t.Helper()
	s := token2.NewSession(direct(tok))
	if err := s.Authenticate(); err != nil {
		t.Fatal(err)
	}
}

func TestWriteChecks(t *testing.T) {
	tok := simt2.New(simt2.Options{})
	key := token2.DeviceKey
	tlv, _ := token2.Config{Time: time.Now(), Hash: seed.SHA1, Period: 30}.TLV()
	good, _ := token2.SecureCommand(key, 0xD4, 0, 0, tlv)

	// Without authentication.
	if sw := raw(tok, good); sw != 0x6983 {
		t.Errorf("unauthenticated write: %s", sw)
	}
	authed(t, tok)
	// Wrong MAC.
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 1
	if sw := raw(tok, bad); sw != 0x6983 {
		t.Errorf("wrong MAC: %s", sw)
	}
	authed(t, tok) // a wrong MAC ends the authentication
	// Wrong Lc for a configuration.
	short, _ := token2.SecureCommand(key, 0xD4, 0, 0, tlv[:18])
	if sw := raw(tok, short); sw != 0x6700 {
		t.Errorf("short config: %s", sw)
	}
	// Bad TLV value (step 45 s).
	odd := append([]byte(nil), tlv...)
	odd[18] = 45
	c, _ := token2.SecureCommand(key, 0xD4, 0, 0, odd)
	if sw := raw(tok, c); sw != 0x6A80 {
		t.Errorf("bad TLV: %s", sw)
	}
	// Seed without 80 padding (zero-padded).
	plain := make([]byte, 32)
	copy(plain, secret20)
	enc, _ := token2.EncryptECB(key, plain)
	c, _ = token2.SecureCommand(key, 0xC5, 1, 0, enc)
	if sw := raw(tok, c); sw != 0x6A80 {
		t.Errorf("unpadded seed: %s", sw)
	}
	// Seed too short once unpadded (9 bytes).
	enc, _ = token2.EncryptECB(key, token2.Pad(make([]byte, 9)))
	c, _ = token2.SecureCommand(key, 0xC5, 1, 0, enc)
	if sw := raw(tok, c); sw != 0x6A80 {
		t.Errorf("9-byte seed: %s", sw)
	}
	// Unknown INS and CLA; a write sent with CLA 80 (no MAC).
	if sw := raw(tok, []byte{0x80, 0x99, 0, 0}); sw != 0x6D00 {
		t.Errorf("unknown INS: %s", sw)
	}
	if sw := raw(tok, []byte{0x00, 0x41, 0, 0, 2, 2, 0x11}); sw != 0x6E00 {
		t.Errorf("unknown CLA: %s", sw)
	}
	if sw := raw(tok, append([]byte{0x80, 0xD4, 0, 0, 19}, tlv...)); sw != 0x6983 {
		t.Errorf("write without MAC: %s", sw)
	}
	// The write without MAC ended the authentication; the 6D 00, 6E 00,
	// 67 00 and 6A 80 answers did not.
	if sw := raw(tok, good); sw != 0x6983 {
		t.Errorf("good config after a write without MAC: %s", sw)
	}
	authed(t, tok)
	if sw := raw(tok, c); sw != 0x6A80 {
		t.Errorf("9-byte seed again: %s", sw)
	}
	// Still authenticated: the good commands go through.
	if sw := raw(tok, good); sw != 0x9000 {
		t.Errorf("good config: %s", sw)
	}
	enc, _ = token2.EncryptSeed(key, secret20)
	c, _ = token2.SecureCommand(key, 0xC5, 1, 0, enc)
	if sw := raw(tok, c); sw != 0x9000 || !bytes.Equal(tok.State().Seed, secret20) {
		t.Errorf("good seed: %s", sw)
	}
	// A reset ends the authentication.
	tok.Reset()
	if sw := raw(tok, c); sw != 0x6983 {
		t.Errorf("write after reset: %s", sw)
	}
}

// vectorFile is the package token2's copy of the known-answer vectors
// (/work/shared/vectors/token2.json).
const vectorFile = "../../token2/testdata/token2.json"

type vectors struct {
	SingleProfile struct {
		WriteConfig []struct {
			APDU    string `json:"apdu"`
			Display int    `json:"display"`
			HMAC    int    `json:"hmac"`
			Step    int    `json:"step"`
			TLV     string `json:"tlv"`
			UTC     int64  `json:"utc"`
		} `json:"write_config"`
		WriteSeed []struct {
			APDU string `json:"apdu"`
			Seed string `json:"seed"`
		} `json:"write_seed"`
	} `json:"single_profile"`
}

func loadVectors(t *testing.T) *vectors {
	t.Helper()
	b, err := os.ReadFile(vectorFile)
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.SingleProfile.WriteConfig) == 0 || len(v.SingleProfile.WriteSeed) == 0 {
		t.Fatalf("%s: no single-profile write vectors", vectorFile)
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

// Every known-answer write APDU is accepted by the emulator as the vector
// says: seeds decrypt to their seed, configurations set their values.
func TestVectorsAccepted(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.SingleProfile.WriteSeed {
		tok := simt2.New(simt2.Options{})
		authed(t, tok)
		if sw := raw(tok, unhex(t, c.APDU)); sw != 0x9000 {
			t.Errorf("seed %s: vector APDU answered %s", c.Seed, sw)
			continue
		}
		if got := tok.State().Seed; !bytes.Equal(got, unhex(t, c.Seed)) {
			t.Errorf("seed %s: the emulator holds %X", c.Seed, got)
		}
	}
	displays := map[int]int{0: 15, 1: 30, 2: 60, 3: 120}
	hashes := map[int]seed.Hash{1: seed.SHA1, 2: seed.SHA256}
	for _, c := range v.SingleProfile.WriteConfig {
		host := time.Unix(c.UTC, 0).Add(-time.Hour) // the clock moves to the written second
		tok := simt2.New(simt2.Options{Now: func() time.Time { return host }})
		authed(t, tok)
		if sw := raw(tok, unhex(t, c.APDU)); sw != 0x9000 {
			t.Errorf("config %s: vector APDU answered %s", c.TLV, sw)
			continue
		}
		st := tok.State()
		if !bytes.Equal(st.ConfigTLV, unhex(t, c.TLV)) || st.Hash != hashes[c.HMAC] || st.Period != c.Step ||
			st.Display != displays[c.Display] || st.Clock.Unix() != c.UTC {
			t.Errorf("config %s: state %+v", c.TLV, st)
		}
	}
}

func TestUnknownModelNeverWritten(t *testing.T) {
	tok := simt2.New(simt2.Options{Serial: "86592030001"})
	_, err := token2.NewSession(direct(tok)).Burn(secret20, token2.Params{Hash: seed.SHA1, Period: 30})
	if !errors.Is(err, token2.ErrUnknownModel) {
		t.Fatal(err)
	}
	if st := tok.State(); st.APDUs != 1 || st.Model != "" {
		t.Fatalf("%+v", st)
	}
}

func TestSerialCounting(t *testing.T) {
	s, err := simt2.Serial("86596120009", 3)
	if err != nil || s != "86596120012" {
		t.Fatal(s, err)
	}
	if _, err := simt2.Serial("x1", 1); err == nil {
		t.Fatal("non-numeric serial accepted")
	}
}

func TestDriftPerDay(t *testing.T) {
	host := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := host
	tok := simt2.New(simt2.Options{Drift: 10 * time.Second, DriftPerDay: 48 * time.Second, Now: func() time.Time { return now }})
	now = host.Add(12 * time.Hour)
	if got := tok.Clock().Sub(now); got != 34*time.Second {
		t.Fatalf("after 12 h the clock is %v ahead, want 34s", got)
	}
	// Setting the clock restarts the drift from zero.
	if _, err := token2.NewSession(direct(tok)).Sync(token2.Params{Hash: seed.SHA1, Period: 30, Time: now}, nil); err != nil {
		t.Fatal(err)
	}
	if got := tok.Clock().Sub(now); got != 0 {
		t.Fatalf("just after a sync the clock is %v off", got)
	}
	now = now.Add(6 * time.Hour)
	if got := tok.Clock().Sub(now); got != 12*time.Second {
		t.Fatalf("6 h after a sync the clock is %v ahead, want 12s", got)
	}
}

// sendAuth sends an authenticate APDU with a cryptogram for challenge
// (nil: sixteen zero bytes, for an authenticate with no challenge).
func sendAuth(tok *simt2.Token, challenge []byte) apdu.StatusWord {
	r := make([]byte, 16)
	if challenge != nil {
		r, _ = token2.AuthResponse(token2.DeviceKey, challenge)
	}
	return raw(tok, append([]byte{0x80, 0xCE, 0x00, 0x00, 0x10}, r...))
}

func goodConfig(t *testing.T) []byte {
	t.Helper()
	tlv, err := token2.Config{Time: time.Now(), Hash: seed.SHA1, Period: 30}.TLV()
	if err != nil {
		t.Fatal(err)
	}
	c, err := token2.SecureCommand(token2.DeviceKey, 0xD4, 0, 0, tlv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An authenticate with no challenge before it fails (69 83), counts toward
// lock-out, and ends the authentication that came before it.
func TestAuthenticateWithoutChallenge(t *testing.T) {
	tok := simt2.New(simt2.Options{})
	authed(t, tok)
	if sw := sendAuth(tok, nil); sw != 0x6983 {
		t.Fatalf("authenticate without challenge: %s", sw)
	}
	if st := tok.State(); st.BadAuths != 1 {
		t.Fatalf("%d failures counted, want 1", st.BadAuths)
	}
	if sw := raw(tok, goodConfig(t)); sw != 0x6983 {
		t.Fatalf("write after a failed authenticate: %s (the earlier authentication is still in force)", sw)
	}
	if st := tok.State(); st.ConfigWrites != 0 {
		t.Fatalf("%d configuration writes", st.ConfigWrites)
	}
	// A challenge answered right is needed again, even with a correct
	// cryptogram for the old challenge: it served its one attempt.
	s := token2.NewSession(direct(tok))
	if err := s.Authenticate(); err != nil {
		t.Fatal(err)
	}
	if sw := raw(tok, goodConfig(t)); sw != 0x9000 {
		t.Fatalf("write after a new authentication: %s", sw)
	}
	// Authenticates without challenge lock the token like wrong ones.
	for i := 0; i < simt2.DefaultLockAfter; i++ {
		sendAuth(tok, nil)
	}
	if st := tok.State(); !st.Locked {
		t.Fatalf("%d authenticates without challenge did not lock the token: %+v", simt2.DefaultLockAfter, st)
	}
	if err := token2.NewSession(direct(tok)).Authenticate(); !errors.Is(err, token2.ErrAuthFailed) {
		t.Fatalf("locked token accepted an authentication: %v", err)
	}
}

// A wrong MAC fails (69 83), ends the authentication and counts toward
// lock-out.
func TestBadMACCountsTowardLockOut(t *testing.T) {
	tok := simt2.New(simt2.Options{})
	authed(t, tok)
	bad := goodConfig(t)
	bad[len(bad)-1] ^= 1
	if sw := raw(tok, bad); sw != 0x6983 {
		t.Fatalf("wrong MAC: %s", sw)
	}
	if st := tok.State(); st.BadAuths != 1 {
		t.Fatalf("a wrong MAC counted %d failures, want 1", st.BadAuths)
	}
	if sw := raw(tok, goodConfig(t)); sw != 0x6983 {
		t.Fatalf("good write after a wrong MAC: %s (still authenticated)", sw)
	}
	authed(t, tok)
	for i := 0; i < simt2.DefaultLockAfter; i++ {
		raw(tok, bad)
	}
	st := tok.State()
	if !st.Locked || st.ConfigWrites != 0 {
		t.Fatalf("after %d wrong MACs in a row: %+v", simt2.DefaultLockAfter, st)
	}
	if err := token2.NewSession(direct(tok)).Authenticate(); !errors.Is(err, token2.ErrAuthFailed) {
		t.Fatalf("locked token accepted an authentication: %v", err)
	}
}

// A token whose serial is not a programmable model refuses both writes,
// authenticated and with a right MAC, and keeps its state.
func TestUnknownModelRefusesWrites(t *testing.T) {
	host := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tok := simt2.New(simt2.Options{Serial: "86592030001", Drift: 40 * time.Second, Now: func() time.Time { return host }})
	// token2.Session refuses the model: authenticate by hand.
	ch, sw, _ := apdu.Split(tok.Transmit([]byte{0x80, 0x4B, 0x08, 0x00, 0x01, 0x00}))
	if sw != 0x9000 || len(ch) != 8 {
		t.Fatalf("get challenge: %s", sw)
	}
	if sw := sendAuth(tok, ch); sw != 0x9000 {
		t.Fatalf("authenticate: %s", sw)
	}
	tlv, _ := token2.Config{Time: host, Hash: seed.SHA256, Period: 60, Display: 120}.TLV()
	cfg, _ := token2.SecureCommand(token2.DeviceKey, 0xD4, 0, 0, tlv)
	if sw := raw(tok, cfg); sw != 0x6D00 {
		t.Errorf("configuration write: %s, want 6D 00", sw)
	}
	enc, _ := token2.EncryptSeed(token2.DeviceKey, secret20)
	c, _ := token2.SecureCommand(token2.DeviceKey, 0xC5, 1, 0, enc)
	if sw := raw(tok, c); sw != 0x6D00 {
		t.Errorf("seed write: %s, want 6D 00", sw)
	}
	st := tok.State()
	if st.ConfigWrites != 0 || st.SeedWrites != 0 || st.Seed != nil || st.ConfigTLV != nil ||
		st.Hash != seed.SHA1 || st.Period != 30 || st.Display != 30 || !st.Clock.Equal(host.Add(40*time.Second)) {
		t.Fatalf("a write changed the unknown token: %+v", st)
	}
}
