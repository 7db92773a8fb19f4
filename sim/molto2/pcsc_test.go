package molto2_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/csvfmt"
	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/seed"
	simm2 "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

const port = vpcd.Port1

// plugged puts d in the virtual reader for the rest of the test and
// returns the PC/SC context and reader name.
func plugged(t *testing.T, d *simm2.Device) (context.Context, *nfc.Context, string) {
	t.Helper()
	pcsctest.Require(t)
	pcsctest.LockReader(t, port)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Release() })
	conn, served, err := simm2.Insert(ctx, port, d, pcsctest.Host(t, port))
	if err != nil {
		t.Fatal(err)
	}
	reader := vpcd.ReaderName(port)
	t.Cleanup(func() {
		conn.Remove()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		// Leave the reader empty for pcscd to see before the next test.
		wctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		pc.WaitForRemoval(wctx, reader)
	})
	if err := pc.WaitForCard(ctx, reader); err != nil {
		t.Fatal(err)
	}
	return ctx, pc, reader
}

// connect opens the card for one session; the card is released (and
// reset) at the end of the test or by the returned func.
func connect(t *testing.T, pc *nfc.Context, reader string, o molto2.Options) (*molto2.Session, func()) {
	t.Helper()
	card, err := pc.Connect(reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := molto2.NewSession(card, o)
	if err != nil {
		card.Close()
		t.Fatal(err)
	}
	done := func() { s.Close(); card.Close() }
	t.Cleanup(done)
	return s, done
}

// entraFile is an Entra (Azure MFA) CSV of n Token2 Molto2 seeds: 20-byte
// secrets, periods 30 and 60 in turn.
func entraFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString(csvfmt.EntraHeader + "\r\n")
	for i := 0; i < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("molto2 profile %d", i)))
		sec := base32.StdEncoding.EncodeToString(h[:20])
		period := 30
		if i%2 == 1 {
			period = 60
		}
		fmt.Fprintf(&b, "user%03d@example.com,M2-%03d,%s,%d,Token2,Molto2v2\r\n", i, i, sec, period)
	}
	return b.Bytes()
}

func readEntra(t *testing.T, file []byte) []*seed.Token {
	t.Helper()
	var f csvfmt.Format
	for _, x := range csvfmt.Formats() {
		if x.Name == "entra" {
			f = x
		}
	}
	if f.Open == nil {
		t.Fatal("no entra reader")
	}
	r := f.Open(bytes.NewReader(file), "molto2.csv", csvfmt.Options{})
	var out []*seed.Token
	for {
		tok, _, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok)
	}
}

func title(tok *seed.Token) string { return strings.TrimSuffix(tok.User, "@example.com") }

// A Molto2 v2 filled from a 100-row Entra file through pcscd: every
// profile reads back with its title, digits and period, holds its seed;
// a second run refuses every profile in use; a wrong customer key stops
// at the first refusal, costing exactly one attempt.
func TestFill100ThroughPCSC(t *testing.T) {
	d := simm2.New(simm2.Options{})
	_, pc, reader := plugged(t, d)
	toks := readEntra(t, entraFile(molto2.ProfilesV2))
	if len(toks) != molto2.ProfilesV2 {
		t.Fatalf("%d rows", len(toks))
	}

	s, done := connect(t, pc, reader, molto2.Options{})
	start := time.Now()
	for i, tok := range toks {
		_, err := s.Burn(molto2.Burn{Profile: i, Secret: tok.Secret, Title: title(tok),
			Config: molto2.Config{Hash: tok.Hash, Digits: tok.EffectiveDigits(), Period: tok.EffectivePeriod()}})
		if err != nil {
			t.Fatalf("profile %d: %v", i, err)
		}
	}
	fill := time.Since(start)
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	done()
	t.Logf("100 profiles burnt through pcscd in %v (%d APDUs), listed back", fill, d.State().APDUs)
	st := d.State()
	for i, tok := range toks {
		p := list[i]
		if p.Profile != i || !p.InUse || p.Title != title(tok) || p.Digits != 6 || p.Period != tok.Period || p.Hash != seed.SHA1 {
			t.Fatalf("profile %d reads back %+v", i, p)
		}
		q := st.Profiles[i]
		if !bytes.Equal(q.Seed, tok.Secret) || q.Period != tok.Period || q.Title != title(tok) {
			t.Fatalf("profile %d holds %+v", i, q)
		}
	}
	if st.Auths != 1 || st.SeedWrites != 100 {
		t.Fatalf("%d authentications, %d seed writes", st.Auths, st.SeedWrites)
	}

	// Second run: every profile in use is refused, nothing written.
	s, done = connect(t, pc, reader, molto2.Options{})
	refused := 0
	for i, tok := range toks {
		_, err := s.Burn(molto2.Burn{Profile: i, Secret: []byte("a-different-seed-20b"), Title: title(tok),
			Config: molto2.Config{Hash: seed.SHA1, Digits: 6, Period: 30}})
		if !errors.Is(err, molto2.ErrInUse) {
			t.Fatalf("second run, profile %d: %v", i, err)
		}
		refused++
	}
	done()
	if st2 := d.State(); refused != 100 || st2.SeedWrites != 100 || st2.Auths != 1 || st2.ConfigWrites != 100 {
		t.Fatalf("second run wrote: %+v", st2)
	}

	// Wrong customer key, replacing: the batch stops at the first refusal;
	// nothing deleted, the counter down by exactly one.
	before := d.State().AttemptsLeft
	s, done = connect(t, pc, reader, molto2.Options{CustomerKey: []byte("wrong customer key")})
	var stop error
	tried := 0
	for i, tok := range toks {
		tried++
		_, err := s.Burn(molto2.Burn{Profile: i, Secret: tok.Secret, Replace: true,
			Config: molto2.Config{Hash: seed.SHA1, Digits: 6, Period: 30}})
		if errors.Is(err, molto2.ErrAuthFailed) {
			stop = err
			break
		}
		if err != nil {
			t.Fatalf("profile %d: %v", i, err)
		}
	}
	done()
	var ae *molto2.AuthError
	want := fmt.Sprintf("%d attempts left", before-1)
	if tried != 1 || !errors.As(stop, &ae) || ae.AttemptsLeft != before-1 || !strings.Contains(stop.Error(), want) {
		t.Fatalf("after %d profiles: %v (want %q)", tried, stop, want)
	}
	st3 := d.State()
	if st3.AttemptsLeft != before-1 || st3.BadAuths != 1 || st3.Auths != 2 || st3.Deletes != 0 {
		t.Fatalf("counter %d -> %d, %d bad, %d auths, %d deletes", before, st3.AttemptsLeft, st3.BadAuths, st3.Auths, st3.Deletes)
	}
	for i := range toks {
		if !st3.Profiles[i].InUse() {
			t.Fatalf("profile %d emptied by a refused session", i)
		}
	}
}

// The button wait of a key change through pcscd: 90 60 until the press,
// polled by the session, done once pressed.
func TestKeyChangeButtonThroughPCSC(t *testing.T) {
	d := simm2.New(simm2.Options{Profiles: molto2.ProfilesV1})
	ctx, pc, reader := plugged(t, d)
	s, done := connect(t, pc, reader, molto2.Options{PollInterval: 50 * time.Millisecond})
	go func() {
		<-d.Waiting()
		time.Sleep(300 * time.Millisecond)
		d.Press()
	}()
	prompted := 0
	if err := s.ChangeCustomerKey(ctx, []byte("site key 2026"), func() { prompted++ }); err != nil || prompted != 1 {
		t.Fatalf("%v, %d prompts", err, prompted)
	}
	if err := s.SetTitle(49, "after key"); err != nil {
		t.Fatal(err)
	}
	done()
	st := d.State()
	if !bytes.Equal(st.SM4Key, molto2.SM4Key([]byte("site key 2026"))) || st.Profiles[49].Title != "after key" {
		t.Fatalf("%+v", st.Profiles[49])
	}
	// Count the polls: the key change APDU was sent more than once.
	n := 0
	for _, c := range st.Log {
		if c[1] == molto2.InsSetKey {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("key change sent %d times: no polling", n)
	}
}
