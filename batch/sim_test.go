package batch

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	simt2 "github.com/tokenctl/tokenctl/sim/token2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	simyk "github.com/tokenctl/tokenctl/sim/yubikey"
)

// promptFunc answers a question with a function (the test's operator).
type promptFunc func(q string) string

func (f promptFunc) Ask(ctx context.Context, q string) (string, error) { return f(q), ctx.Err() }

var serialInQuestion = regexp.MustCompile(`(?:token|YubiKey) (\d+)`)

func questionSerial(t *testing.T, q string) string {
	m := serialInQuestion.FindStringSubmatch(q)
	if m == nil {
		t.Errorf("no serial in question %q", q)
		return ""
	}
	return m[1]
}

// pcscContext opens a PC/SC context for the test.
func pcscContext(t *testing.T) *nfc.Context {
	t.Helper()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Release() })
	return pc
}

// exportDuo writes the ledger's programmed tokens as a Duo file and reads
// it back, checking each serial appears once.
func exportDuo(t *testing.T, l *ledger.Ledger, path string, kind seed.Kind, format string) map[string]*seed.Token {
	t.Helper()
	rd, _, err := l.Reader(bg, ledger.Filter{States: []ledger.State{ledger.Programmed, ledger.Verified}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convert.WriteStream(path, format, rd, "ledger record", &convert.Options{}); err != nil {
		t.Fatal(err)
	}
	toks, err := convert.ReadAll(path, format, &convert.Options{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*seed.Token{}
	for _, tk := range toks {
		if m[tk.Serial] != nil {
			t.Fatalf("%s holds serial %s twice", path, tk.Serial)
		}
		m[tk.Serial] = tk
	}
	return m
}

// TestToken2BatchThroughPCSCD programs 20 emulated Token2 tokens presented
// one after another on the vpcd reader, through the real pcscd, with the
// operator typing the code each token displays; then exports a Duo file
// whose seeds must equal what each emulated token holds.
func TestToken2BatchThroughPCSCD(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(bg, 90*time.Second)
	defer cancel()
	const n = 20
	stream := &simt2.Stream{Port: vpcd.Port0, FirstSerial: "86596120001", Count: n, Host: pcsctest.Host(t, vpcd.Port0)}
	streamDone := make(chan error, 1)
	go func() { streamDone <- stream.Run(ctx) }()

	l, _, _ := newTestLedger(t)
	byserial := func(s string) *simt2.Token {
		for _, tk := range stream.Tokens() {
			if tk.Serial() == s {
				return tk
			}
		}
		t.Errorf("no emulated token %s", s)
		return nil
	}
	operator := promptFunc(func(q string) string {
		tk := byserial(questionSerial(t, q))
		if tk == nil {
			return ""
		}
		code, ok := tk.DisplayCode()
		if !ok {
			t.Errorf("token %s shows no code", tk.Serial())
		}
		return code
	})
	var results []Result
	sum, err := Run(ctx, Config{
		Ledger: l, Recipe: Token2Recipe{Hash: seed.SHA1, Period: 30}, Count: n, Batch: "box-1", Operator: "test",
		Station:  &Token2Station{PCSC: pcscContext(t), Reader: vpcd.ReaderName(vpcd.Port0)},
		Verify:   &CodeVerifier{Prompt: operator},
		OnResult: func(r Result) { results = append(results, r) },
	})
	if err != nil {
		t.Fatalf("batch: %v (%+v)", err, results)
	}
	if sum.Done != n || sum.Verified != n || sum.Failed != 0 {
		t.Fatalf("summary %+v, results %+v", sum, results)
	}
	if err := <-streamDone; err != nil {
		t.Fatal(err)
	}
	duo := exportDuo(t, l, filepath.Join(t.TempDir(), "duo.csv"), seed.TOTP, "duo")
	if len(duo) != n {
		t.Fatalf("%d tokens in the Duo file, want %d", len(duo), n)
	}
	for _, tk := range stream.Tokens() {
		st := tk.State()
		d := duo[st.Serial]
		if d == nil || st.Seed == nil || !bytes.Equal(d.Secret, st.Seed) || d.EffectivePeriod() != st.Period {
			t.Fatalf("token %s: Duo file and emulator differ", st.Serial)
		}
		if st.SeedWrites != 1 {
			t.Errorf("token %s written %d times", st.Serial, st.SeedWrites)
		}
	}
}

// TestYubiKeyBatchThroughPCSCD programs 20 emulated YubiKeys (Yubico OTP,
// slot 1) over CCID through pcscd, each verified by a touch (the OTP the
// emulated key types), and exports Duo's YubiKey file and the Yubico log.
func TestYubiKeyBatchThroughPCSCD(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	ctx, cancel := context.WithTimeout(bg, 90*time.Second)
	defer cancel()
	const n = 20
	stream := &simyk.Stream{Port: vpcd.Port1, FirstSerial: 31000001, Count: n, Host: pcsctest.Host(t, vpcd.Port1)}
	streamDone := make(chan error, 1)
	go func() { streamDone <- stream.Run(ctx) }()
	l, _, _ := newTestLedger(t)
	key := func(serial string) *simyk.Key {
		for _, k := range stream.Keys() {
			if strconv.FormatUint(uint64(k.SerialNumber()), 10) == serial {
				return k
			}
		}
		t.Errorf("no emulated key %s", serial)
		return nil
	}
	touch := promptFunc(func(q string) string {
		k := key(questionSerial(t, q))
		if k == nil {
			return ""
		}
		otp, err := k.Press(1)
		if err != nil {
			t.Error(err)
		}
		return otp
	})
	var results []Result
	sum, err := Run(ctx, Config{
		Ledger: l, Recipe: YubiKeyRecipe{Kind: seed.YubicoOTP}, Count: n, Batch: "yk-1", Slot: 1,
		Station:  &YubiKeyCCIDStation{PCSC: pcscContext(t), Reader: vpcd.ReaderName(vpcd.Port1), Slot: 1},
		Verify:   &TouchVerifier{Prompt: touch},
		OnResult: func(r Result) { results = append(results, r) },
	})
	if err != nil {
		t.Fatalf("batch: %v (%+v)", err, results)
	}
	for _, r := range results {
		t.Logf("%s %s %.1f ms at %s", r.Serial, r.Outcome, r.Millis, r.At.Format("05.000"))
	}
	if sum.Done != n || sum.Verified != n {
		t.Fatalf("summary %+v, results %+v", sum, results)
	}
	if err := <-streamDone; err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	duo := exportDuo(t, l, filepath.Join(dir, "duo-yubikey.csv"), seed.YubicoOTP, "duo-yubikey")
	okta := exportDuo(t, l, filepath.Join(dir, "okta.csv"), seed.YubicoOTP, "yubico")
	if len(duo) != n || len(okta) != n {
		t.Fatalf("%d/%d keys exported, want %d", len(duo), len(okta), n)
	}
	for _, k := range stream.Keys() {
		s := strconv.FormatUint(uint64(k.SerialNumber()), 10)
		slot := k.Slot(1)
		d := duo[s]
		if d == nil || !slot.Configured {
			t.Fatalf("key %s not programmed or not exported", s)
		}
		rec, err := l.Get(bg, s)
		if err != nil {
			t.Fatal(err)
		}
		lt, err := l.Token(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(lt.Secret, d.Secret) || !bytes.Equal(lt.PrivateID, d.PrivateID) {
			t.Fatalf("key %s: Duo file differs from the ledger", s)
		}
		want, err := yubiKeyConfig(lt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want.Bytes(), slot.Config) {
			t.Fatalf("key %s: slot 1 holds another configuration than the exported credential", s)
		}
		if o := okta[s]; o == nil || !bytes.Equal(o.Secret, d.Secret) || !bytes.Equal(o.PrivateID, d.PrivateID) {
			t.Fatalf("key %s: Yubico log differs", s)
		}
	}
}

// TestYubiKeyRemovedAfterEachAPDU pulls a key out of the reader after each
// APDU of its session in turn (and loses the answer to each), then presents
// it again. A session is select, read serial, write; each key gets its own
// random access code, so a write whose answer was lost leaves the slot
// locked by the recorded code, which the resumed batch must use. Every key
// ends programmed with the credential and code the ledger holds, none
// recorded twice.
func TestYubiKeyRemovedAfterEachAPDU(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	ctx, cancel := context.WithTimeout(bg, 90*time.Second)
	defer cancel()
	const apdus = 3
	n := 2*apdus + 1
	stream := &simyk.Stream{Port: vpcd.Port1, FirstSerial: 32000001, Count: n, Host: pcsctest.Host(t, vpcd.Port1),
		PullAfter: func(i int) int {
			if i >= 1 && i <= apdus {
				return i
			}
			return 0
		},
		LoseAnswer: func(i int) int {
			if i > apdus && i <= 2*apdus {
				return i - apdus
			}
			return 0
		}}
	streamDone := make(chan error, 1)
	go func() { streamDone <- stream.Run(ctx) }()
	l, _, _ := newTestLedger(t)
	var results []Result
	sum, err := Run(ctx, Config{
		Ledger: l, Recipe: YubiKeyRecipe{Kind: seed.HOTP, Digits: 6, AccessCode: true}, Count: n, Batch: "yk-faults", Slot: 2,
		Station:  &YubiKeyCCIDStation{PCSC: pcscContext(t), Reader: vpcd.ReaderName(vpcd.Port1), Slot: 2},
		OnResult: func(r Result) { results = append(results, r) },
	})
	for _, r := range results {
		t.Logf("%s %s resumed=%v %s", r.Serial, r.Outcome, r.Resumed, r.Error)
	}
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	if err := <-streamDone; err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range results {
		if r.Outcome == OutcomeFailed {
			failed++
			if strings.Contains(r.Error, "hidden") {
				t.Errorf("a key pulled away is said to hide its serial: %s", r.Error)
			}
		}
	}
	// Pulled after the write, a key has nothing more to answer: no fault.
	if sum.Done != n || failed != 2*apdus-1 || sum.Resumed < 1 {
		t.Fatalf("summary %+v, %d failures, want %d done and %d failures with a resume", sum, failed, n, 2*apdus-1)
	}
	for _, k := range stream.Keys() {
		s := strconv.FormatUint(uint64(k.SerialNumber()), 10)
		h, err := l.History(bg, s)
		if err != nil || len(h) != 1 || h[0].State != ledger.Programmed {
			t.Fatalf("key %s: %d records (%v)", s, len(h), err)
		}
		tok, err := l.Token(h[0])
		if err != nil {
			t.Fatal(err)
		}
		want, err := yubiKeyConfig(tok)
		if err != nil {
			t.Fatal(err)
		}
		slot := k.Slot(2)
		code, err := l.AccessCode(h[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := want.SetAccessCode(code); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(slot.Config, want.Bytes()) || len(code) != 6 || !bytes.Equal(slot.AccessCode, code) || k.Slot(1).Configured {
			t.Fatalf("key %s: slot 2 differs from the ledger's credential or access code", s)
		}
	}
}

// TestToken2RemovedAfterEachAPDU pulls a token out of the reader after
// each APDU of its session in turn (and loses the answer to each), then
// presents it again: every token ends programmed with the secret the
// ledger holds, none is recorded twice.
func TestToken2RemovedAfterEachAPDU(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(bg, 90*time.Second)
	defer cancel()
	// A batch session is 5 APDUs: get info (the serial), then the burn:
	// challenge, authenticate, configuration, seed. Token 0 goes clean;
	// tokens 1..5 are pulled after k = 1..5 APDUs answered (after 5: the
	// host has nothing more to send, a normal removal); tokens 6..10
	// execute APDU k = 1..5 and leave before answering it. OTPC-P2-i is a
	// restricted model: a configuration write erases its seed.
	const apdus = 5
	pull := func(i int) int {
		if i >= 1 && i <= apdus {
			return i
		}
		return 0
	}
	lose := func(i int) int {
		if i > apdus && i <= 2*apdus {
			return i - apdus
		}
		return 0
	}
	n := 2*apdus + 1
	stream := &simt2.Stream{Port: vpcd.Port0, FirstSerial: "86596220001", Count: n, Host: pcsctest.Host(t, vpcd.Port0),
		PullAfter: pull, LoseResponse: lose, Idle: 3 * time.Second}
	var mu sync.Mutex
	faults := 0
	stream.OnRemove = func(i int, tk *simt2.Token, faulted bool) {
		if faulted {
			mu.Lock()
			faults++
			mu.Unlock()
		}
	}
	streamDone := make(chan error, 1)
	go func() { streamDone <- stream.Run(ctx) }()
	l, _, _ := newTestLedger(t)
	var results []Result
	sum, err := Run(ctx, Config{
		Ledger: l, Recipe: Token2Recipe{Hash: seed.SHA256, Period: 60}, Count: n, Batch: "faults",
		Station:  &Token2Station{PCSC: pcscContext(t), Reader: vpcd.ReaderName(vpcd.Port0)},
		OnResult: func(r Result) { results = append(results, r) },
	})
	if err != nil {
		t.Fatalf("batch: %v (%+v)", err, results)
	}
	if err := <-streamDone; err != nil {
		t.Fatal(err)
	}
	if sum.Done != n {
		t.Fatalf("summary %+v", sum)
	}
	if faults != 2*apdus-1 {
		t.Errorf("%d faults fired, want %d", faults, 2*apdus-1)
	}
	failed := 0
	for _, r := range results {
		if r.Outcome == OutcomeFailed {
			failed++
		}
		t.Logf("%s %s resumed=%v %s", r.Serial, r.Outcome, r.Resumed, r.Error)
	}
	if failed != faults || sum.Resumed < faults-1 {
		t.Errorf("%d failures and %d resumed for %d faults", failed, sum.Resumed, faults)
	}
	for _, tk := range stream.Tokens() {
		st := tk.State()
		h, err := l.History(bg, st.Serial)
		if err != nil || len(h) != 1 {
			t.Fatalf("token %s: %d records (%v)", st.Serial, len(h), err)
		}
		tok, err := l.Token(h[0])
		if err != nil {
			t.Fatal(err)
		}
		if h[0].State != ledger.Programmed || !bytes.Equal(tok.Secret, st.Seed) || st.Hash != seed.SHA256 || st.Period != 60 {
			t.Fatalf("token %s: ledger %s, emulator seed matches=%v", st.Serial, h[0].State, bytes.Equal(tok.Secret, st.Seed))
		}
	}
}

// TestToken2AuthFailureNotRetried: a token that refuses authentication
// (69 83) is recorded as failed after one attempt, and when presented
// again it is left alone: older tokens lock after repeated failures.
func TestToken2AuthFailureNotRetried(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port0)
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()
	l, _, _ := newTestLedger(t)
	pc := pcscContext(t)
	station := &Token2Station{PCSC: pc, Reader: vpcd.ReaderName(vpcd.Port0)}
	bad := func(i int) bool { return i == 0 }
	first := &simt2.Stream{Port: vpcd.Port0, FirstSerial: "86596120501", Count: 2, Host: pcsctest.Host(t, vpcd.Port0), BadAuth: bad}
	done := make(chan error, 1)
	go func() { done <- first.Run(ctx) }()
	var results []Result
	cfg := Config{Ledger: l, Recipe: recipe, Station: station, Count: 1, OnResult: func(r Result) { results = append(results, r) }}
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Outcome != OutcomeFailed || !strings.Contains(results[0].Error, "69 83") {
		t.Fatalf("%+v", results)
	}
	if st := first.Tokens()[0].State(); st.Auths != 1 || st.SeedWrites != 0 {
		t.Fatalf("bad token: %d authentications, %d seed writes", st.Auths, st.SeedWrites)
	}
	// Presented again: skipped without an authentication.
	again := &simt2.Stream{Port: vpcd.Port0, FirstSerial: "86596120501", Count: 1, Host: pcsctest.Host(t, vpcd.Port0), BadAuth: bad, Idle: time.Second}
	go func() { done <- again.Run(ctx) }()
	bctx, stop := context.WithCancel(ctx)
	results = nil
	ran := make(chan error, 1)
	go func() {
		_, err := Run(bctx, cfg)
		ran <- err
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	stop()
	<-ran
	if len(results) != 1 || results[0].Outcome != OutcomeSkipped || !strings.Contains(results[0].Error, "refused authentication before") {
		t.Fatalf("%+v", results)
	}
	if st := again.Tokens()[0].State(); st.Auths != 0 {
		t.Fatalf("re-presented token: %d authentications", st.Auths)
	}
}
