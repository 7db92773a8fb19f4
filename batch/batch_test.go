package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
)

var bg = context.Background()

// fakeToken is an in-memory device: it holds what was written to it.
type fakeToken struct {
	serial string
	mu     sync.Mutex
	secret []byte // what the device holds
	writes int
	// fail makes the next Program fail: "before" writes nothing, "after"
	// writes the secret but reports an error (response lost).
	fail       string
	configured bool
	onWrite    func() // called once the device holds the secret
}

func (f *fakeToken) held() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.secret...)
}

type fakeDevice struct{ t *fakeToken }

func (d fakeDevice) Serial() string { return d.t.serial }
func (d fakeDevice) Model() string  { return "FAKE-1" }
func (d fakeDevice) Check(tok *seed.Token, overwrite bool) error {
	if d.t.configured && !overwrite {
		return errors.New("slot 1 is already programmed")
	}
	return nil
}
func (d fakeDevice) Program(tok *seed.Token, _ bool) error {
	d.t.mu.Lock()
	defer d.t.mu.Unlock()
	f := d.t.fail
	d.t.fail = ""
	switch f {
	case "before":
		return errors.New("card removed before the seed write")
	case "auth":
		return fmt.Errorf("authenticate: 69 83 (%w)", ErrNoRetry)
	case "unconfirmed": // written, but the device cannot say so
		d.t.secret = append([]byte(nil), tok.Secret...)
		d.t.writes++
		return fmt.Errorf("slot 1: %w", ErrUnconfirmed)
	case "after":
		d.t.secret = append([]byte(nil), tok.Secret...)
		d.t.writes++
		return errors.New("card removed before the answer to the seed write")
	case "gone": // taken out of the field mid-write (a PC/SC error)
		return &nfc.Error{Op: "transmit", Code: nfc.ErrRemovedCard}
	}
	d.t.secret = append([]byte(nil), tok.Secret...)
	d.t.writes++
	d.t.configured = true
	if d.t.onWrite != nil {
		d.t.onWrite()
	}
	return nil
}
func (d fakeDevice) Close() error { return nil }

// errBoxEmpty ends a fake batch when the queue is used up.
var errBoxEmpty = errors.New("no more tokens in the box")

// fakeStation presents a queue of tokens.
type fakeStation struct {
	mu      sync.Mutex
	queue   []*fakeToken
	removed int
}

func (s *fakeStation) Family() ledger.Family { return ledger.Token2 }
func (s *fakeStation) Next(ctx context.Context) (Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil, errBoxEmpty
	}
	t := s.queue[0]
	s.queue = s.queue[1:]
	if t == nil {
		return nil, &DeviceError{Err: errors.New("unreadable card")}
	}
	return fakeDevice{t}, nil
}
func (s *fakeStation) WaitRemoved(ctx context.Context) error {
	s.mu.Lock()
	s.removed++
	s.mu.Unlock()
	return nil
}

func tokens(prefix string, n int) []*fakeToken {
	var out []*fakeToken
	for i := 0; i < n; i++ {
		out = append(out, &fakeToken{serial: fmt.Sprintf("%s%04d", prefix, i)})
	}
	return out
}

func newTestLedger(t testing.TB) (*ledger.Ledger, string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.ledger")
	l, idf, err := ledger.CreateFile(bg, path, ledger.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path, idf
}

var recipe = Token2Recipe{Hash: seed.SHA1, Period: 30}

func run(t *testing.T, c Config) (Summary, []Result) {
	t.Helper()
	var res []Result
	c.OnResult = func(r Result) { res = append(res, r) }
	if c.Recipe == nil {
		c.Recipe = recipe
	}
	if c.Batch == "" {
		c.Batch = "b1"
	}
	sum, err := Run(bg, c)
	if err != nil && !errors.Is(err, errBoxEmpty) {
		t.Fatalf("batch: %v (results %+v)", err, res)
	}
	return sum, res
}

// ledgerSecret is what the ledger holds for serial.
func ledgerSecret(t *testing.T, l *ledger.Ledger, serial string) ([]byte, *ledger.Record) {
	t.Helper()
	r, err := l.Get(bg, serial)
	if err != nil {
		t.Fatalf("%s: %v", serial, err)
	}
	tok, err := l.Token(r)
	if err != nil {
		t.Fatal(err)
	}
	return tok.Secret, r
}

func TestBatchBasic(t *testing.T) {
	l, _, _ := newTestLedger(t)
	box := tokens("T", 10)
	st := &fakeStation{queue: append([]*fakeToken(nil), box...)}
	var msgs []string
	var progress []Progress
	sum, res := run(t, Config{Ledger: l, Station: st, Count: 10, Operator: "op",
		Say: func(m string) { msgs = append(msgs, m) }, OnProgress: func(p Progress) { progress = append(progress, p) }})
	if sum.Done != 10 || sum.Failed != 0 || sum.Presented != 10 || len(res) != 10 {
		t.Fatalf("summary %+v", sum)
	}
	for _, tk := range box {
		got, rec := ledgerSecret(t, l, tk.serial)
		if !bytes.Equal(got, tk.held()) || len(got) != 20 || rec.State != ledger.Programmed || rec.Batch != "b1" || rec.Operator != "op" || rec.Model != "FAKE-1" {
			t.Fatalf("%s: ledger %+v", tk.serial, rec)
		}
	}
	if progress[9].Remaining != 0 || progress[0].Remaining != 9 || progress[9].Done != 10 {
		t.Fatalf("progress %+v", progress)
	}
	if st.removed != 9 || !strings.Contains(strings.Join(msgs, "\n"), "present token 10 of 10") || !strings.Contains(msgs[1], "remove the token") {
		t.Fatalf("messages %q", msgs)
	}
}

func TestBatchDuplicateAndReprogram(t *testing.T) {
	l, _, _ := newTestLedger(t)
	a := &fakeToken{serial: "A1"}
	run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{a}}, Count: 1})
	first := a.held()

	// Presented again: skipped, untouched.
	b := &fakeToken{serial: "B1"}
	sum, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{a, b}}, Count: 1})
	if sum.Skipped != 1 || res[0].Outcome != OutcomeSkipped || !strings.Contains(res[0].Error, "already in the ledger") || a.writes != 1 {
		t.Fatalf("%+v %+v", sum, res)
	}
	// Reprogram: a new secret, the old record kept as replaced.
	_, res = run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{a}}, Count: 1, Reprogram: true, Batch: "b2"})
	if res[0].Outcome != OutcomeProgrammed || res[0].Replaced == 0 {
		t.Fatalf("%+v", res)
	}
	got, rec := ledgerSecret(t, l, "A1")
	if bytes.Equal(got, first) || !bytes.Equal(got, a.held()) || rec.Replaces != res[0].Replaced || rec.Batch != "b2" {
		t.Fatal("reprogram did not record the new secret")
	}
}

func TestBatchFailureAndResume(t *testing.T) {
	l, _, _ := newTestLedger(t)
	x := &fakeToken{serial: "X1", fail: "after"} // secret reaches the token, answer lost
	y := &fakeToken{serial: "Y1", fail: "before"}
	sum, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x, y, nil}}, Count: 0})
	_ = sum
	if len(res) != 3 || res[0].Outcome != OutcomeFailed || res[1].Outcome != OutcomeFailed || res[2].Outcome != OutcomeFailed {
		t.Fatalf("%+v", res)
	}
	// The secret that reached X1 is in the ledger, as failed.
	got, rec := ledgerSecret(t, l, "X1")
	if !bytes.Equal(got, x.held()) || rec.State != ledger.Failed || !strings.Contains(rec.Error, "answer") {
		t.Fatalf("%+v", rec)
	}
	// Presented again: the same secret is re-burned.
	_, res = run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x, y}}, Count: 2})
	for _, r := range res {
		if r.Outcome != OutcomeProgrammed || !r.Resumed {
			t.Fatalf("%+v", res)
		}
	}
	if got2, rec := ledgerSecret(t, l, "X1"); !bytes.Equal(got2, got) || !bytes.Equal(x.held(), got) || rec.State != ledger.Programmed {
		t.Fatal("resume changed the secret")
	}
	if got, _ := ledgerSecret(t, l, "Y1"); !bytes.Equal(got, y.held()) {
		t.Fatal("Y1 differs")
	}
}

func TestBatchLockedLedger(t *testing.T) {
	l, path, _ := newTestLedger(t)
	x := &fakeToken{serial: "X1", fail: "after"}
	run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x}}, Count: 0})
	locked, err := ledger.OpenFile(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	defer locked.Close()
	// Recording works without the key; a failed token cannot be resumed without it.
	y := &fakeToken{serial: "Y1"}
	_, res := run(t, Config{Ledger: locked, Station: &fakeStation{queue: []*fakeToken{x, y}}, Count: 1})
	if res[0].Outcome != OutcomeSkipped || !strings.Contains(res[0].Error, "give the ledger key") || res[1].Outcome != OutcomeProgrammed {
		t.Fatalf("%+v", res)
	}
	if got, _ := ledgerSecret(t, l, "Y1"); !bytes.Equal(got, y.held()) {
		t.Fatal("locked ledger recorded the wrong secret")
	}
	// With reprogram: a new secret.
	_, res = run(t, Config{Ledger: locked, Station: &fakeStation{queue: []*fakeToken{x}}, Count: 1, Reprogram: true})
	if res[0].Outcome != OutcomeProgrammed || res[0].Resumed || res[0].Replaced == 0 {
		t.Fatalf("%+v", res)
	}
	if got, _ := ledgerSecret(t, l, "X1"); !bytes.Equal(got, x.held()) {
		t.Fatal("X1 differs")
	}
	// NoResume skips even with the key.
	z := &fakeToken{serial: "Z1", fail: "before"}
	run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{z}}})
	_, res = run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{z}}, NoResume: true})
	if res[0].Outcome != OutcomeSkipped {
		t.Fatalf("%+v", res)
	}
}

func TestBatchAuthFailureNotRetried(t *testing.T) {
	l, _, _ := newTestLedger(t)
	x := &fakeToken{serial: "X1", fail: "auth"}
	_, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x, x}}})
	if len(res) != 2 || res[0].Outcome != OutcomeFailed || res[1].Outcome != OutcomeSkipped || !strings.Contains(res[1].Error, "refused authentication before") {
		t.Fatalf("%+v", res)
	}
	// The operator checked the token and asks for one more try.
	_, res = run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x}}, Reprogram: true})
	if res[0].Outcome != OutcomeProgrammed || x.writes != 1 {
		t.Fatalf("%+v", res)
	}
	if got, _ := ledgerSecret(t, l, "X1"); !bytes.Equal(got, x.held()) {
		t.Fatal("X1 differs")
	}
}

func TestBatchSlotInUse(t *testing.T) {
	l, _, _ := newTestLedger(t)
	x := &fakeToken{serial: "X1", configured: true}
	_, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x}}})
	if res[0].Outcome != OutcomeSkipped || x.writes != 0 {
		t.Fatalf("%+v", res)
	}
	if _, err := l.Get(bg, "X1"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatal("a refused token was recorded")
	}
	_, res = run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x}}, Force: true, Count: 1})
	if res[0].Outcome != OutcomeProgrammed {
		t.Fatalf("%+v", res)
	}
}

// scripted answers questions from a list.
type scripted struct {
	answers []func(q string) string
	asked   []string
}

func (s *scripted) Ask(ctx context.Context, q string) (string, error) {
	s.asked = append(s.asked, q)
	if len(s.answers) == 0 {
		return "", errors.New("unexpected question: " + q)
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a(q), nil
}

func TestBatchVerify(t *testing.T) {
	l, _, _ := newTestLedger(t)
	box := tokens("V", 3)
	now := time.Now()
	code := func(tk *fakeToken, off time.Duration) func(string) string {
		return func(string) string {
			c, _ := seed.TOTPCode(tk.held(), now.Add(off), seed.SHA1, 6, 30)
			return c
		}
	}
	wrong := func(string) string { return "000000x" }
	p := &scripted{answers: []func(string) string{
		code(box[0], 0),                     // right at once
		wrong, code(box[1], 30*time.Second), // a typo, then the next step's code
		wrong, wrong, wrong, // three wrong: failed
	}}
	sum, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: box}, Count: 0,
		Verify: &CodeVerifier{Prompt: p, Now: func() time.Time { return now }}})
	if len(res) != 3 || res[0].Outcome != OutcomeVerified || res[1].Outcome != OutcomeVerified || res[2].Outcome != OutcomeFailed {
		t.Fatalf("%+v", res)
	}
	if sum.Verified != 2 || sum.Failed != 1 {
		t.Fatalf("%+v", sum)
	}
	if _, rec := ledgerSecret(t, l, "V0000"); rec.State != ledger.Verified || rec.Verified.IsZero() {
		t.Fatalf("%+v", rec)
	}
	if _, rec := ledgerSecret(t, l, "V0002"); rec.State != ledger.Failed || !strings.Contains(rec.Error, "does not match") {
		t.Fatalf("%+v", rec)
	}
	if !strings.Contains(p.asked[0], "type the code token V0000 shows") {
		t.Fatalf("%q", p.asked)
	}
	// An empty answer skips: programmed, not verified.
	p = &scripted{answers: []func(string) string{func(string) string { return "" }}}
	_, res = run(t, Config{Ledger: l, Station: &fakeStation{queue: tokens("W", 1)}, Verify: &CodeVerifier{Prompt: p}})
	if res[0].Outcome != OutcomeProgrammed {
		t.Fatalf("%+v", res)
	}
}

// failingStore fails every Insert: no token may be written then.
type failingStore struct{ ledger.Store }

func (failingStore) Insert(context.Context, []*ledger.Record, ledger.InsertOptions) error {
	return errors.New("disk full")
}

func TestBatchStopsWhenLedgerFails(t *testing.T) {
	_, path, _ := newTestLedger(t)
	s, err := ledger.OpenSQLite(path, false)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(bg, failingStore{s})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	box := tokens("F", 3)
	var res []Result
	_, err = Run(bg, Config{Ledger: l, Station: &fakeStation{queue: box}, Recipe: recipe, OnResult: func(r Result) { res = append(res, r) }})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err %v", err)
	}
	for _, tk := range box {
		if tk.writes != 0 {
			t.Fatalf("%s written although the ledger failed", tk.serial)
		}
	}
	if len(res) != 1 || res[0].Outcome != OutcomeFailed {
		t.Fatalf("%+v", res)
	}
}

func TestBatchTamperedRecordSkipped(t *testing.T) {
	l, _, _ := newTestLedger(t)
	x, y := &fakeToken{serial: "X1", fail: "before"}, &fakeToken{serial: "Y1", fail: "before"}
	run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x, y}}})
	db := l.Store().(*ledger.SQLite).DB()
	if _, err := db.Exec(`UPDATE tokens SET secret = (SELECT secret FROM tokens WHERE serial = 'Y1') WHERE serial = 'X1'`); err != nil {
		t.Fatal(err)
	}
	_, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x, y}}, Count: 1})
	if len(res) != 2 || res[0].Outcome != OutcomeSkipped || !strings.Contains(res[0].Error, "cannot be opened") || res[1].Outcome != OutcomeProgrammed || x.writes != 0 {
		t.Fatalf("%+v", res)
	}
}

// TestInterruptedAfterWriteIsRecorded: Ctrl-C while the device takes the
// write still records what it did: the token is programmed, in the report
// and in the ledger (not left pending and reported as failed).
func TestInterruptedAfterWriteIsRecorded(t *testing.T) {
	l, _, _ := newTestLedger(t)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	box := tokens("CC", 2)
	box[0].onWrite = cancel
	var res []Result
	sum, err := Run(ctx, Config{Ledger: l, Station: &fakeStation{queue: box}, Recipe: recipe, Count: 2, Batch: "b1",
		OnResult: func(r Result) { res = append(res, r) }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("batch ended with %v, want context.Canceled", err)
	}
	if len(res) != 1 || res[0].Outcome != OutcomeProgrammed || sum.Done != 1 {
		t.Fatalf("results %+v, summary %+v", res, sum)
	}
	secret, rec := ledgerSecret(t, l, "CC0000")
	if rec.State != ledger.Programmed || !bytes.Equal(secret, box[0].held()) {
		t.Fatalf("record %s, secret matches the token: %v", rec.State, bytes.Equal(secret, box[0].held()))
	}
	if box[1].writes != 0 {
		t.Fatal("the next token was written after the interruption")
	}
}

// rendezvous holds the first of two devices of one serial until the
// second arrives.
type rendezvous struct {
	mu      sync.Mutex
	waiting map[string]chan struct{}
}

func (r *rendezvous) meet(serial string) {
	r.mu.Lock()
	ch, ok := r.waiting[serial]
	if ok {
		delete(r.waiting, serial)
		r.mu.Unlock()
		close(ch)
		return
	}
	ch = make(chan struct{})
	r.waiting[serial] = ch
	r.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
	}
}

// meetingStation presents its tokens as devices that, once checked, wait
// for the other station's device of the same serial.
type meetingStation struct {
	*fakeStation
	r *rendezvous
}

func (s meetingStation) Next(ctx context.Context) (Device, error) {
	d, err := s.fakeStation.Next(ctx)
	if err != nil {
		return nil, err
	}
	return meetingDevice{d, s.r}, nil
}

type meetingDevice struct {
	Device
	r *rendezvous
}

func (d meetingDevice) Check(tok *seed.Token, overwrite bool) error {
	err := d.Device.Check(tok, overwrite)
	d.r.meet(d.Serial())
	return err
}

// TestTwoBatchesRaceAtReserve: two batches on one ledger file, each with
// its own handle, both past every check for the same serial at the same
// moment: the ledger's reservation lets one of them write the token; the
// other skips it without writing, every time.
func TestTwoBatchesRaceAtReserve(t *testing.T) {
	_, path, _ := newTestLedger(t)
	box := tokens("R", 5)
	r := &rendezvous{waiting: map[string]chan struct{}{}}
	results := make([][]Result, 2)
	var wg sync.WaitGroup
	for w := range 2 {
		l, err := ledger.OpenFile(bg, path)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		st := meetingStation{&fakeStation{queue: append([]*fakeToken(nil), box...)}, r}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Run(bg, Config{Ledger: l, Station: st, Recipe: recipe, Operator: fmt.Sprint("station ", w),
				OnResult: func(res Result) { results[w] = append(results[w], res) }})
			if err != nil && !errors.Is(err, errBoxEmpty) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l, err := ledger.OpenFile(bg, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i, tk := range box {
		if h, _ := l.History(bg, tk.serial); tk.writes != 1 || len(h) != 1 {
			t.Errorf("%s written %d times, %d records", tk.serial, tk.writes, len(h))
		}
		won := 0
		for w := range 2 {
			switch res := results[w][i]; {
			case res.Outcome == OutcomeProgrammed:
				won++
			case res.Outcome != OutcomeSkipped || !strings.Contains(res.Error, "another process"):
				t.Errorf("station %d, %s: %s %q, want programmed, or skipped at the reservation", w, tk.serial, res.Outcome, res.Error)
			}
		}
		if won != 1 {
			t.Errorf("%s programmed by %d stations", tk.serial, won)
		}
	}
}

// answerVerifier answers every verification with err.
type answerVerifier struct{ err error }

func (v answerVerifier) Verify(context.Context, Device, *seed.Token) error { return v.err }

// TestUnconfirmedWriteNeedsVerification: a write the device cannot
// confirm counts as programmed only when the operator verifies it.
func TestUnconfirmedWriteNeedsVerification(t *testing.T) {
	for _, c := range []struct {
		name    string
		verify  Verifier
		outcome string
		state   ledger.State
	}{
		{"no verification", nil, OutcomeFailed, ledger.Failed},
		{"verified", answerVerifier{nil}, OutcomeVerified, ledger.Verified},
		{"verification skipped", answerVerifier{ErrNotVerified}, OutcomeFailed, ledger.Failed},
		{"wrong code", answerVerifier{errors.New("code 123456 does not match")}, OutcomeFailed, ledger.Failed},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, _, _ := newTestLedger(t)
			tk := &fakeToken{serial: "UC1", fail: "unconfirmed"}
			_, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{tk}}, Count: 1, Verify: c.verify})
			if len(res) != 1 || res[0].Outcome != c.outcome {
				t.Fatalf("results %+v, want %s", res, c.outcome)
			}
			if c.outcome == OutcomeFailed && !strings.Contains(res[0].Error, "confirm") && !strings.Contains(res[0].Error, "does not match") {
				t.Fatalf("failure %q does not say why", res[0].Error)
			}
			secret, rec := ledgerSecret(t, l, "UC1")
			if rec.State != c.state || !bytes.Equal(secret, tk.held()) {
				t.Fatalf("record %s, want %s with the token's secret", rec.State, c.state)
			}
		})
	}
}

// TestBatchResumeRefusesUnauthenticated: a pending record whose plain
// columns someone without the key edited (here its period) is not resumed:
// the token is skipped and written nothing, and its record is named.
func TestBatchResumeRefusesUnauthenticated(t *testing.T) {
	l, _, _ := newTestLedger(t)
	x := &fakeToken{serial: "X2", fail: "before"}
	run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x}}})
	db := l.Store().(*ledger.SQLite).DB()
	if _, err := db.Exec(`UPDATE tokens SET period = 60 WHERE serial = 'X2'`); err != nil {
		t.Fatal(err)
	}
	writes := x.writes
	_, res := run(t, Config{Ledger: l, Station: &fakeStation{queue: []*fakeToken{x}}})
	if len(res) != 1 || res[0].Outcome != OutcomeSkipped || !strings.Contains(res[0].Error, "fails authentication") || x.writes != writes {
		t.Fatalf("%+v (writes %d → %d)", res, writes, x.writes)
	}
}

// TestTokenGoneMidWriteIsNotWaitedFor: a token that left the field during
// the write is not waited for to leave (it may be presented again at
// once, and the reader would then never be empty): the batch goes on to
// the next presentation, which resumes it. Any other failure waits.
func TestTokenGoneMidWriteIsNotWaitedFor(t *testing.T) {
	l, _, _ := newTestLedger(t)
	tk := &fakeToken{serial: "GONE0001", fail: "gone"}
	other := &fakeToken{serial: "FAIL0001", fail: "before"}
	st := &fakeStation{queue: []*fakeToken{tk, tk, other, other}}
	sum, res := run(t, Config{Ledger: l, Station: st, Recipe: recipe})
	if len(res) != 4 || res[0].Outcome != OutcomeFailed || res[1].Outcome != OutcomeProgrammed || !res[1].Resumed {
		t.Fatalf("results %+v", res)
	}
	if st.removed != 3 { // after each presentation but the one that left mid-write
		t.Fatalf("waited for removal %d times, want 3 (summary %+v)", st.removed, sum)
	}
}
