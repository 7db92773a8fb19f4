package ledger

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

func TestKindDesc(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r    Record
		want string
	}{
		{Record{Kind: seed.TOTP, Hash: seed.SHA1}, "totp/sha1/6/30s"},
		{Record{Kind: seed.TOTP, Hash: seed.SHA256, Digits: 8, Period: 60}, "totp/sha256/8/60s"},
		{Record{Kind: seed.HOTP, Hash: seed.SHA1}, "hotp/sha1/6"},
		{Record{Kind: seed.HOTP, Hash: seed.SHA512, Digits: 8, Period: 60}, "hotp/sha512/8"},
		{Record{Kind: seed.YubicoOTP}, seed.YubicoOTP.String()},
	} {
		if got := c.r.KindDesc(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}

func local(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05") }

func TestRecordDescribe(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	r := &Record{ID: 7, Serial: "86596120001", Family: Token2, Model: "C202", Kind: seed.HOTP, Hash: seed.SHA1,
		Digits: 8, Counter: 42, Slot: 2, State: Pending, Error: "pulled away", Owner: "host/123", LeaseUntil: created.Add(time.Minute),
		Batch: "box-17", User: "alice@example.com", Source: "v.csv", Created: created, Replaces: 3}
	var b bytes.Buffer
	if err := r.Describe(&b); err != nil {
		t.Fatal(err)
	}
	want := `serial:      86596120001 (record #7)
family:      token2 C202
token:       hotp/sha1/8, counter 42, slot 2
state:       pending (pulled away), held by host/123 until ` + local(created.Add(time.Minute)) + `
batch:       box-17
operator:    -
user:        alice@example.com
imported:    from v.csv
created:     ` + local(created) + `
programmed:  -
verified:    -
replaces:    record #3
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestTokenHistory: a reprogrammed serial's records (the replaced one as an
// earlier record), its events, no secret anywhere; an unknown serial is
// ErrNotFound.
func TestTokenHistory(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	a, b := totp("H1"), totp("H1")
	secrets := [][]byte{append([]byte(nil), a.Secret...), append([]byte(nil), b.Secret...)}
	if _, errs := l.Import(ctx, []Source{src("v.csv", a)}, Entry{Batch: "first", Operator: "alice"}); errs != nil {
		t.Fatal(errs)
	}
	if _, errs := l.Import(ctx, []Source{src("w.csv", b)}, Entry{Batch: "second", Operator: "bob", Reprogram: true}); errs != nil {
		t.Fatal(errs)
	}
	if _, err := l.TokenHistory(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown serial: %v", err)
	}
	h, err := l.TokenHistory(ctx, "H1")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Records) != 2 || h.Records[0].Current() || !h.Records[1].Current() || len(h.Events) < 2 {
		t.Fatalf("%+v", h)
	}
	for _, r := range h.Records {
		if r.Sealed != nil {
			t.Fatal("sealed secret handed out")
		}
	}
	if recs, err := l.Records(ctx, Filter{History: true}); err != nil || len(recs) != 2 || recs[0].Sealed != nil || recs[1].Sealed != nil {
		t.Fatalf("Records: %v %v", recs, err)
	}
	if recs, err := l.Records(ctx, Filter{Batch: "none"}); err != nil || recs == nil || len(recs) != 0 {
		t.Fatalf("Records of nothing: %#v %v", recs, err)
	}
	var out bytes.Buffer
	if err := h.Describe(&out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	first, second := h.Records[0], h.Records[1]
	for _, want := range []string{
		"serial:      H1 (record #" + itoa(second.ID) + ")\n",
		"batch:       second\n",
		"imported:    from w.csv\n",
		"  earlier records:\n    #" + itoa(first.ID) + " programmed, batch first, created " + local(first.Created) + ", replaced by #" + itoa(second.ID) + "\n",
		"  history:\n    " + local(h.Events[0].At) + "  #" + itoa(first.ID) + " imported by alice: from v.csv\n",
		"  #" + itoa(first.ID) + " replaced by bob: replaced by record #" + itoa(second.ID) + " (was programmed)\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	for _, sec := range secrets {
		for _, enc := range encodings(sec) {
			if strings.Contains(s, enc) {
				t.Fatal("history printed a secret")
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestTable(t *testing.T) {
	t.Parallel()
	upd := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	var b bytes.Buffer
	tb := NewTable(&b)
	tb.Add(&Record{Serial: "S1", Family: Token2, Model: "C202", Kind: seed.TOTP, Hash: seed.SHA1, State: Programmed, Batch: "box", Updated: upd})
	tb.Add(&Record{Serial: "S2", Family: Imported, Kind: seed.HOTP, Hash: seed.SHA1, Digits: 8, State: Failed, User: "bob", ReplacedBy: 9, Updated: upd})
	if err := tb.Flush(); err != nil || tb.Len != 2 {
		t.Fatal(err, tb.Len)
	}
	want := "SERIAL  FAMILY    MODEL  KIND             STATE                    BATCH  USER  UPDATED\n" +
		"S1      token2    C202   totp/sha1/6/30s  programmed               box    -     " + local(upd) + "\n" +
		"S2      imported  -      hotp/sha1/8      failed (replaced by #9)  -      bob   " + local(upd) + "\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}
