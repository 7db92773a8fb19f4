package molto2_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	simm2 "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/token2"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

func direct(d *simm2.Device) apdu.Transmitter {
	return apdu.TransmitFunc(func(cmd []byte) ([]byte, error) { return d.Transmit(cmd), nil })
}

// counting wraps a transmitter and counts the APDUs sent.
type counting struct {
	t apdu.Transmitter
	n int
}

func (c *counting) Transmit(cmd []byte) ([]byte, error) {
	c.n++
	if c.t == nil {
		return nil, errors.New("no device")
	}
	return c.t.Transmit(cmd)
}

func session(t *testing.T, tr apdu.Transmitter, o molto2.Options) *molto2.Session {
	t.Helper()
	s, err := molto2.NewSession(tr, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func secretN(i int) []byte { return []byte(fmt.Sprintf("secret-of-profile-%03d", i)) }

func burnOf(i int) molto2.Burn {
	return molto2.Burn{
		Profile: i, Secret: secretN(i), Title: fmt.Sprintf("acct%03d", i),
		Config: molto2.Config{Hash: seed.SHA1, Digits: 6, Period: 30},
	}
}

func TestBurnInProcess(t *testing.T) {
	host := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	d := simm2.New(simm2.Options{Now: func() time.Time { return host }})
	s := session(t, direct(d), molto2.Options{})
	b := molto2.Burn{Profile: 42, Secret: secretN(42), Title: "Grüße-Bank", Replace: false,
		Config: molto2.Config{Display: 120, Time: host.Add(-time.Hour), Hash: seed.SHA256, Digits: 8, Period: 60}}
	pub, err := s.Burn(b)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.InUse || pub.Title != "Grüße-Bank" || pub.Digits != 8 || pub.Period != 60 || pub.Hash != seed.SHA256 || pub.Profile != 42 {
		t.Fatalf("read back %+v", pub)
	}
	st := d.State()
	p := st.Profiles[42]
	if !bytes.Equal(p.Seed, b.Secret) || p.Title != "Grüße-Bank" || p.Hash != seed.SHA256 || p.Digits != 8 || p.Period != 60 ||
		p.Display != 120 || !p.Clock.Equal(host.Add(-time.Hour)) {
		t.Fatalf("profile %+v", p)
	}
	// Profile count probe (profile 99 read), public, challenge, auth, config,
	// seed, title, read back.
	if st.APDUs != 8 || st.Auths != 1 {
		t.Fatalf("%d APDUs, %d auths", st.APDUs, st.Auths)
	}
	code, ok := d.Code(42)
	want, _ := seed.TOTPCode(b.Secret, host.Add(-time.Hour), seed.SHA256, 8, 60)
	if !ok || code != want {
		t.Fatalf("display %q, want %q", code, want)
	}
	for i, q := range st.Profiles {
		if i != 42 && (q.InUse() || q.Title != "") {
			t.Fatalf("profile %d touched: %+v", i, q)
		}
	}
}

func TestInUseRefusedUnlessReplace(t *testing.T) {
	d := simm2.New(simm2.Options{})
	if _, err := session(t, direct(d), molto2.Options{}).Burn(burnOf(7)); err != nil {
		t.Fatal(err)
	}
	before := d.State()
	again := burnOf(7)
	again.Secret = []byte("another-secret-of-20")
	_, err := session(t, direct(d), molto2.Options{Profiles: 100}).Burn(again)
	var ie *molto2.InUseError
	if !errors.Is(err, molto2.ErrInUse) || !errors.As(err, &ie) || ie.Profile != 7 || ie.Title != "acct007" {
		t.Fatalf("second burn: %v", err)
	}
	after := d.State()
	if after.APDUs != before.APDUs+1 || !bytes.Equal(after.Profiles[7].Seed, secretN(7)) {
		t.Fatalf("the refused burn sent %d APDUs", after.APDUs-before.APDUs)
	}
	// The device refuses too, when asked directly (69 85).
	s := session(t, direct(d), molto2.Options{Profiles: 100})
	if err := s.Authenticate(); err != nil {
		t.Fatal(err)
	}
	// Replace deletes first (after authenticating), then writes.
	again.Replace = true
	pub, err := s.Burn(again)
	if err != nil || !pub.InUse {
		t.Fatal(err)
	}
	st := d.State()
	if !bytes.Equal(st.Profiles[7].Seed, again.Secret) || st.Deletes != 1 {
		t.Fatalf("replace: %+v, %d deletes", st.Profiles[7], st.Deletes)
	}
	// Replace on an empty profile deletes nothing.
	b := burnOf(8)
	b.Replace = true
	if _, err := s.Burn(b); err != nil || d.State().Deletes != 1 {
		t.Fatalf("replace of an empty profile: %v, %d deletes", err, d.State().Deletes)
	}
}

func TestDeviceRefusesSeedInUse(t *testing.T) {
	d := simm2.New(simm2.Options{})
	if _, err := session(t, direct(d), molto2.Options{}).Burn(burnOf(3)); err != nil {
		t.Fatal(err)
	}
	// A host that skips the in-use check gets 69 85 from the device.
	s := session(t, direct(d), molto2.Options{})
	if err := s.Authenticate(); err != nil {
		t.Fatal(err)
	}
	key := d.State().SM4Key
	enc, _ := molto2.SeedBody(key, []byte("overwrite-attempt-20"), false)
	cmd := secure(t, key, molto2.InsWriteSeed, 1, 3, enc)
	if _, sw, _ := apdu.Split(d.Transmit(cmd)); sw != 0x6985 {
		t.Fatalf("seed over a profile in use: %s", sw)
	}
	if !bytes.Equal(d.State().Profiles[3].Seed, secretN(3)) {
		t.Fatal("seed overwritten")
	}
	// The clear value empties it.
	clr, _ := molto2.SeedBody(key, make([]byte, 20), true)
	if _, sw, _ := apdu.Split(d.Transmit(secure(t, key, molto2.InsWriteSeed, 1, 3, clr))); sw != 0x9000 || d.State().Profiles[3].InUse() {
		t.Fatalf("clear value: %s", sw)
	}
}

func TestWrongKeyOneAttempt(t *testing.T) {
	for _, iso := range []bool{false, true} {
		d := simm2.New(simm2.Options{ISOCounter: iso})
		c := &counting{t: direct(d)}
		s := session(t, c, molto2.Options{CustomerKey: []byte("not-the-key")})
		_, err := s.Burn(burnOf(0))
		var ae *molto2.AuthError
		if !errors.Is(err, molto2.ErrAuthFailed) || !errors.As(err, &ae) || ae.AttemptsLeft != simm2.DefaultAttempts-1 {
			t.Fatalf("iso %v: %v", iso, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%d attempts left", simm2.DefaultAttempts-1)) || !strings.Contains(err.Error(), "63 ") {
			t.Fatalf("message %q", err)
		}
		if strings.Contains(err.Error(), "not-the-key") || strings.Contains(err.Error(), string(secretN(0))) {
			t.Fatalf("secret in the error: %q", err)
		}
		st := d.State()
		if st.AttemptsLeft != simm2.DefaultAttempts-1 || st.BadAuths != 1 || st.SeedWrites+st.ConfigWrites+st.TitleWrites != 0 {
			t.Fatalf("iso %v: %+v", iso, st)
		}
		// The same session never tries again.
		n := c.n
		for _, f := range []func() error{
			s.Authenticate,
			func() error { _, err := s.Burn(burnOf(1)); return err },
			func() error { return s.SetTitle(1, "x") },
			func() error { return s.Delete(1) },
		} {
			if err := f(); !errors.Is(err, molto2.ErrAuthFailed) {
				t.Fatalf("after a refusal: %v", err)
			}
		}
		if st := d.State(); st.Auths != 1 || st.AttemptsLeft != simm2.DefaultAttempts-1 {
			t.Fatalf("retried: %d auths (%d APDUs after the refusal)", st.Auths, c.n-n)
		}
	}
}

func TestLockAtZeroAndReset(t *testing.T) {
	d := simm2.New(simm2.Options{Attempts: 3})
	for i := 2; i >= 0; i-- {
		err := session(t, direct(d), molto2.Options{CustomerKey: []byte("wrong")}).Authenticate()
		var ae *molto2.AuthError
		if !errors.As(err, &ae) || ae.AttemptsLeft != i {
			t.Fatalf("want %d left: %v", i, err)
		}
		if i == 0 && !strings.Contains(err.Error(), "locked") {
			t.Fatalf("lock not said: %v", err)
		}
	}
	err := session(t, direct(d), molto2.Options{}).Authenticate()
	var ae *molto2.AuthError
	if !errors.As(err, &ae) || ae.AttemptsLeft != 0 || !d.State().Locked {
		t.Fatalf("locked device took the right key: %v", err)
	}
	// A factory reset (button pressed) unlocks it with the default key.
	s := session(t, direct(d), molto2.Options{PollInterval: time.Millisecond})
	go func() { <-d.Waiting(); d.Press() }()
	if err := s.FactoryReset(context.Background(), molto2.ResetOptions{EraseAll: true}); err != nil {
		t.Fatal(err)
	}
	if st := d.State(); st.Locked || st.AttemptsLeft != 3 {
		t.Fatalf("%+v", st)
	}
	if err := s.Authenticate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidationBeforeAnyAPDU(t *testing.T) {
	ok := burnOf(5)
	cases := map[string]func(b *molto2.Burn){
		"profile -1":     func(b *molto2.Burn) { b.Profile = -1 },
		"profile 100":    func(b *molto2.Burn) { b.Profile = 100 },
		"9-byte seed":    func(b *molto2.Burn) { b.Secret = make([]byte, 9); b.Secret[0] = 1 },
		"64-byte seed":   func(b *molto2.Burn) { b.Secret = bytes.Repeat([]byte{1}, 64) },
		"all-zero seed":  func(b *molto2.Burn) { b.Secret = make([]byte, 20) },
		"13-byte title":  func(b *molto2.Burn) { b.Title = "abcdefghijklm" },
		"long UTF-8":     func(b *molto2.Burn) { b.Title = "ééééééé" },
		"NUL in title":   func(b *molto2.Burn) { b.Title = "a\x00b" },
		"bad UTF-8":      func(b *molto2.Burn) { b.Title = "a\xffb" },
		"newline":        func(b *molto2.Burn) { b.Title = "a\nb" },
		"7 digits":       func(b *molto2.Burn) { b.Config.Digits = 7 },
		"0 digits":       func(b *molto2.Burn) { b.Config.Digits = 0 },
		"period 45":      func(b *molto2.Burn) { b.Config.Period = 45 },
		"SHA-512":        func(b *molto2.Burn) { b.Config.Hash = seed.SHA512 },
		"display 45":     func(b *molto2.Burn) { b.Config.Display = 45 },
		"time 1969":      func(b *molto2.Burn) { b.Config.Time = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) },
		"time past 2106": func(b *molto2.Burn) { b.Config.Time = time.Date(2107, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, mutate := range cases {
		b := ok
		mutate(&b)
		c := &counting{}
		_, err := session(t, c, molto2.Options{}).Burn(b)
		if err == nil || c.n != 0 {
			t.Errorf("%s: %v after %d APDUs", name, err, c.n)
		}
		if err != nil && len(b.Secret) > 0 && !molto2.IsClearSeed(b.Secret) && strings.Contains(err.Error(), string(b.Secret)) {
			t.Errorf("%s: secret in %q", name, err)
		}
	}
	// The model's count, when given, bounds the profile before any APDU.
	c := &counting{}
	b := ok
	b.Profile = 60
	if _, err := session(t, c, molto2.Options{Profiles: 50}).Burn(b); !errors.Is(err, molto2.ErrProfile) || c.n != 0 {
		t.Fatalf("profile 60 of 50: %v after %d APDUs", err, c.n)
	}
	for _, f := range []func(s *molto2.Session) error{
		func(s *molto2.Session) error { return s.SetTitle(1, "thirteen byte") },
		func(s *molto2.Session) error { return s.SetTitle(100, "x") },
		func(s *molto2.Session) error { return s.SetTitle(1, "") },
		func(s *molto2.Session) error { return s.Sync(-1, time.Time{}) },
		func(s *molto2.Session) error { return s.Sync(1, time.Unix(-5, 0)) },
		func(s *molto2.Session) error { return s.Delete(255) },
		func(s *molto2.Session) error { _, err := s.Public(100); return err },
		func(s *molto2.Session) error { return s.ChangeCustomerKey(context.Background(), nil, nil) },
		func(s *molto2.Session) error { return s.FactoryReset(context.Background(), molto2.ResetOptions{}) },
	} {
		c := &counting{}
		if err := f(session(t, c, molto2.Options{})); err == nil || c.n != 0 {
			t.Errorf("%v after %d APDUs", err, c.n)
		}
	}
	if err := session(t, &counting{}, molto2.Options{}).FactoryReset(context.Background(), molto2.ResetOptions{}); !errors.Is(err, molto2.ErrResetNotConfirmed) {
		t.Fatal(err)
	}
	for _, o := range []molto2.Options{{CustomerKey: []byte{}}, {Profiles: 60}, {Firmware: "two"}, {PollInterval: -1}} {
		if _, err := molto2.NewSession(&counting{}, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func TestProfileCountProbe(t *testing.T) {
	v1 := simm2.New(simm2.Options{Profiles: 50})
	s := session(t, direct(v1), molto2.Options{})
	if n, err := s.ProfileCount(); err != nil || n != 50 {
		t.Fatalf("%d %v", n, err)
	}
	b := burnOf(60)
	if _, err := s.Burn(b); !errors.Is(err, molto2.ErrProfile) {
		t.Fatal(err)
	}
	if st := v1.State(); st.Auths != 0 || st.APDUs != 2 {
		t.Fatalf("%+v", st)
	}
	list, err := s.List()
	if err != nil || len(list) != 50 {
		t.Fatalf("%d %v", len(list), err)
	}
	v2 := simm2.New(simm2.Options{})
	if n, err := session(t, direct(v2), molto2.Options{}).ProfileCount(); err != nil || n != 100 || v2.State().APDUs != 1 {
		t.Fatalf("%d %v", n, err)
	}
}

func TestDeleteKeepsTitle(t *testing.T) {
	d := simm2.New(simm2.Options{})
	s := session(t, direct(d), molto2.Options{})
	if _, err := s.Burn(burnOf(9)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(9); err != nil {
		t.Fatal(err)
	}
	pub, err := s.Public(9)
	if err != nil || pub.InUse || pub.Title != "acct009" {
		t.Fatalf("%+v %v", pub, err)
	}
	err = s.Delete(9)
	var se *apdu.StatusError
	if !errors.Is(err, molto2.ErrEmpty) || !errors.As(err, &se) || se.SW != 0x6A83 || !strings.Contains(err.Error(), "6A 83") {
		t.Fatalf("delete of an empty profile: %v", err)
	}
	if err := s.SetTitle(9, "renamed"); err != nil {
		t.Fatal(err)
	}
	if d.State().Profiles[9].Title != "renamed" {
		t.Fatal("title not set")
	}
}

func TestSyncOneAndAll(t *testing.T) {
	host := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	d := simm2.New(simm2.Options{Profiles: 50, Now: func() time.Time { return host }})
	s := session(t, direct(d), molto2.Options{})
	if err := s.Sync(4, host.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st := d.State(); !st.Profiles[4].Clock.Equal(host.Add(time.Minute)) || !st.Profiles[5].Clock.Equal(host) {
		t.Fatalf("%v %v", st.Profiles[4].Clock, st.Profiles[5].Clock)
	}
	n, err := s.SyncAll(context.Background(), host.Add(2*time.Minute))
	if err != nil || n != 50 {
		t.Fatalf("%d %v", n, err)
	}
	st := d.State()
	for i, p := range st.Profiles {
		if !p.Clock.Equal(host.Add(2 * time.Minute)) {
			t.Fatalf("profile %d clock %v", i, p.Clock)
		}
	}
	if st.ConfigWrites != 51 || st.Auths != 1 {
		t.Fatalf("%d config writes, %d auths", st.ConfigWrites, st.Auths)
	}
}

func TestScreenLock(t *testing.T) {
	// Known old firmware: refused before any APDU.
	c := &counting{}
	err := session(t, c, molto2.Options{Firmware: "2.0"}).ScreenLock(true)
	if !errors.Is(err, molto2.ErrNoScreenLock) || c.n != 0 || !strings.Contains(err.Error(), "2.1") {
		t.Fatalf("%v after %d APDUs", err, c.n)
	}
	// Unknown firmware: the device's refusal is named.
	old := simm2.New(simm2.Options{Firmware: "2.0"})
	err = session(t, direct(old), molto2.Options{}).ScreenLock(true)
	var se *apdu.StatusError
	if !errors.Is(err, molto2.ErrNoScreenLock) || !errors.As(err, &se) || se.SW != 0x6D00 {
		t.Fatalf("old device: %v", err)
	}
	d := simm2.New(simm2.Options{})
	s := session(t, direct(d), molto2.Options{Firmware: "2.1"})
	if err := s.ScreenLock(true); err != nil || !d.State().ScreenLocked {
		t.Fatalf("lock: %v", err)
	}
	if err := s.ScreenLock(false); err != nil || d.State().ScreenLocked {
		t.Fatalf("unlock: %v", err)
	}
}

func TestChangeCustomerKey(t *testing.T) {
	d := simm2.New(simm2.Options{})
	s := session(t, direct(d), molto2.Options{PollInterval: time.Millisecond})
	if _, err := s.Burn(burnOf(1)); err != nil {
		t.Fatal(err)
	}
	// Nobody presses: the wait ends with ctx, the key is unchanged.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	prompts := 0
	err := s.ChangeCustomerKey(ctx, []byte("new customer key"), func() { prompts++ })
	cancel()
	var ke *molto2.KeyChangeError
	if !errors.Is(err, molto2.ErrNotConfirmed) || !errors.As(err, &ke) || prompts != 1 {
		t.Fatalf("%v, %d prompts", err, prompts)
	}
	if strings.Contains(err.Error(), "new customer key") {
		t.Fatalf("key in the error: %v", err)
	}
	if !bytes.Equal(d.State().SM4Key, molto2.SM4Key(molto2.DefaultCustomerKey)) {
		t.Fatal("key changed without a press")
	}
	// Pressed: done, the session goes on with the new key.
	s = session(t, direct(d), molto2.Options{PollInterval: time.Millisecond})
	go func() { <-d.Waiting(); time.Sleep(20 * time.Millisecond); d.Press() }()
	prompts = 0
	if err := s.ChangeCustomerKey(context.Background(), []byte("new customer key"), func() { prompts++ }); err != nil || prompts != 1 {
		t.Fatalf("%v, %d prompts", err, prompts)
	}
	if !bytes.Equal(d.State().SM4Key, molto2.SM4Key([]byte("new customer key"))) {
		t.Fatal("key not changed")
	}
	if err := s.SetTitle(1, "after"); err != nil {
		t.Fatal(err)
	}
	var ae *molto2.AuthError
	if err := session(t, direct(d), molto2.Options{}).Authenticate(); !errors.As(err, &ae) {
		t.Fatalf("old key still accepted: %v", err)
	}
}

func TestFactoryReset(t *testing.T) {
	d := simm2.New(simm2.Options{CustomerKey: []byte("site key")})
	s := session(t, direct(d), molto2.Options{CustomerKey: []byte("site key"), PollInterval: time.Millisecond})
	if _, err := s.Burn(burnOf(2)); err != nil {
		t.Fatal(err)
	}
	go func() { <-d.Waiting(); d.Press() }()
	asked := false
	if err := s.FactoryReset(context.Background(), molto2.ResetOptions{EraseAll: true, Prompt: func() { asked = true }}); err != nil || !asked {
		t.Fatalf("%v asked %v", err, asked)
	}
	st := d.State()
	if st.Profiles[2].InUse() || st.Profiles[2].Title != "" || !bytes.Equal(st.SM4Key, molto2.SM4Key(molto2.DefaultCustomerKey)) {
		t.Fatalf("%+v", st.Profiles[2])
	}
	// The session follows the default key.
	if _, err := s.Burn(burnOf(2)); err != nil {
		t.Fatal(err)
	}
}

func secure(t *testing.T, key []byte, ins, p1, p2 byte, body []byte) []byte {
	t.Helper()
	c, err := token2.SecureCommand(key, ins, p1, p2, body)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A wrong customer key deletes nothing: replace and delete authenticate
// before the (keyless) delete command.
func TestWrongKeyDeletesNothing(t *testing.T) {
	d := simm2.New(simm2.Options{})
	if _, err := session(t, direct(d), molto2.Options{}).Burn(burnOf(11)); err != nil {
		t.Fatal(err)
	}
	b := burnOf(11)
	b.Replace = true
	if _, err := session(t, direct(d), molto2.Options{CustomerKey: []byte("wrong")}).Burn(b); !errors.Is(err, molto2.ErrAuthFailed) {
		t.Fatal(err)
	}
	if err := session(t, direct(d), molto2.Options{CustomerKey: []byte("wrong")}).Delete(11); !errors.Is(err, molto2.ErrAuthFailed) {
		t.Fatal(err)
	}
	if st := d.State(); st.Deletes != 0 || !bytes.Equal(st.Profiles[11].Seed, secretN(11)) || st.AttemptsLeft != simm2.DefaultAttempts-2 {
		t.Fatalf("%d deletes, %d attempts left", st.Deletes, st.AttemptsLeft)
	}
}

// A burn that fails half-way says what the profile may now hold: a seed
// write the device refused left none; one whose answer was lost may have
// been written.
func TestWriteErrorSaysWhatIsLeft(t *testing.T) {
	for _, lost := range []bool{false, true} {
		d := simm2.New(simm2.Options{})
		tr := apdu.TransmitFunc(func(cmd []byte) ([]byte, error) {
			r := d.Transmit(cmd)
			if cmd[1] == molto2.InsWriteSeed {
				if lost {
					return nil, errors.New("reader gone")
				}
				return []byte{0x6A, 0x80}, nil
			}
			return r, nil
		})
		_, err := session(t, tr, molto2.Options{}).Burn(burnOf(4))
		var we *molto2.WriteError
		if !errors.As(err, &we) || we.Stage != "write seed" {
			t.Fatalf("%v", err)
		}
		want := "holds no seed"
		if lost {
			want = "may or may not have been written"
		}
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), string(secretN(4))) {
			t.Fatalf("lost %v: %v", lost, err)
		}
	}
}
