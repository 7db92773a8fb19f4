// Package storetest checks a ledger.Store against the contract its
// documentation states, so that another backend (a shared PostgreSQL for
// several provisioning stations, say) proves itself with the very tests the
// SQLite store passes:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) func() ledger.Store {
//			dsn := freshDatabase(t)
//			return func() ledger.Store { return mustOpen(t, dsn) }
//		})
//	}
//
// The one property batches rely on most is tested with several handles at
// once: however the backend isolates its transactions, of concurrent
// inserts of one serial exactly one succeeds and every other gets
// *ledger.ExistsError (a backend whose isolation lets both pass its
// "already recorded?" check must turn its unique-index violation into
// that error).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/ledger"
	"github.com/tokenctl/tokenctl/seed"
)

// Run runs the contract tests. fresh makes a new, empty backing store for
// one test and returns a function that opens a new handle to it (each
// handle is closed by the test).
func Run(t *testing.T, fresh func(t *testing.T) func() ledger.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, open func() ledger.Store)
	}{
		{"InitMeta", testInitMeta},
		{"RoundTrip", testRoundTrip},
		{"InsertRefusesCurrentSerial", testInsertRefuses},
		{"Replace", testReplace},
		{"Update", testUpdate},
		{"List", testList},
		{"ConcurrentInsertsOneWinner", testConcurrentInserts},
		{"ConcurrentUpdatesSerialised", testConcurrentUpdates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			open := fresh(t)
			tc.f(t, func() ledger.Store {
				s := open()
				t.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
}

var bg = context.Background()

// at is a fixed instant, to the microsecond (what every backend keeps).
var at = time.Date(2026, 12, 1, 9, 30, 0, 123456000, time.UTC)

func initialised(t *testing.T, open func() ledger.Store) ledger.Store {
	t.Helper()
	s := open()
	if err := s.Init(bg, map[string]string{"test": "storetest"}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	return s
}

func rec(serial string) *ledger.Record {
	return &ledger.Record{
		Serial: serial, Family: ledger.Token2, Model: "OTPC-P2-i", Kind: seed.TOTP, Hash: seed.SHA256,
		Digits: 6, Period: 60, State: ledger.Pending, Batch: "box-1", Operator: "alice",
		Created: at, Sealed: []byte("sealed:" + serial),
	}
}

func insert(t *testing.T, s ledger.Store, o ledger.InsertOptions, rs ...*ledger.Record) {
	t.Helper()
	if err := s.Insert(bg, rs, o); err != nil {
		t.Fatalf("Insert: %v", err)
	}
	for _, r := range rs {
		if r.ID == 0 {
			t.Fatalf("Insert left record %s without an ID", r.Serial)
		}
	}
}

func current(t *testing.T, s ledger.Store, serial string) *ledger.Record {
	t.Helper()
	r, err := s.Current(bg, serial)
	if err != nil {
		t.Fatalf("Current(%s): %v", serial, err)
	}
	return r
}

func testInitMeta(t *testing.T, open func() ledger.Store) {
	s := open()
	if _, err := s.Meta(bg); !errors.Is(err, ledger.ErrNotLedger) {
		t.Fatalf("Meta of an empty store: %v, want ErrNotLedger", err)
	}
	if err := s.Init(bg, map[string]string{"recipient": "age1x", "created": "now"}); err != nil {
		t.Fatal(err)
	}
	m, err := open().Meta(bg) // a second handle sees it
	if err != nil || m["recipient"] != "age1x" || m["created"] != "now" {
		t.Fatalf("Meta: %v %v", m, err)
	}
	if err := s.Init(bg, nil); !errors.Is(err, ledger.ErrInitialized) {
		t.Fatalf("second Init: %v, want ErrInitialized", err)
	}
}

func testRoundTrip(t *testing.T, open func() ledger.Store) {
	s := initialised(t, open)
	in := rec("RT-1")
	in.Kind, in.Hash, in.Digits, in.Period, in.Counter, in.Slot = seed.YubicoOTP, seed.SHA1, 8, 30, 1<<40, 2
	in.Manufacturer, in.Issuer, in.PublicID = "Yubico", "Example Corp", []byte{0xff, 1, 2, 3, 4, 5}
	in.Labels = map[string]string{"note": "desk 4"}
	in.User, in.Source, in.Error = "bob@example.com", "factory.csv", "none yet"
	in.Owner, in.LeaseUntil, in.Station = "host:1:2:3", at.Add(time.Minute), "desk-2"
	insert(t, s, ledger.InsertOptions{Event: "reserved", Operator: "alice", At: at}, in)
	got := current(t, open(), "RT-1")
	checks := []struct {
		field     string
		got, want any
	}{
		{"ID", got.ID, in.ID}, {"Family", got.Family, in.Family}, {"Model", got.Model, in.Model},
		{"Kind", got.Kind, in.Kind}, {"Hash", got.Hash, in.Hash}, {"Digits", got.Digits, in.Digits},
		{"Period", got.Period, in.Period}, {"Counter", got.Counter, in.Counter}, {"Slot", got.Slot, in.Slot},
		{"Manufacturer", got.Manufacturer, in.Manufacturer}, {"Issuer", got.Issuer, in.Issuer},
		{"PublicID", fmt.Sprintf("%x", got.PublicID), fmt.Sprintf("%x", in.PublicID)},
		{"Labels", fmt.Sprint(got.Labels), fmt.Sprint(in.Labels)},
		{"State", got.State, in.State}, {"Batch", got.Batch, in.Batch}, {"Operator", got.Operator, in.Operator},
		{"User", got.User, in.User}, {"Source", got.Source, in.Source}, {"Error", got.Error, in.Error},
		{"Owner", got.Owner, in.Owner}, {"LeaseUntil", got.LeaseUntil.UTC(), in.LeaseUntil}, {"Station", got.Station, in.Station},
		{"Created", got.Created.UTC(), at}, {"Sealed", string(got.Sealed), string(in.Sealed)},
		{"Current", got.Current(), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: read back %v, wrote %v", c.field, c.got, c.want)
		}
	}
	ev, err := s.Events(bg, "RT-1")
	if err != nil || len(ev) != 1 || ev[0].What != "reserved" || ev[0].Operator != "alice" || ev[0].RecordID != in.ID || !ev[0].At.Equal(at) {
		t.Fatalf("events %+v %v, want one 'reserved' by alice", ev, err)
	}
	if _, err := s.Current(bg, "nobody"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Current of an unknown serial: %v, want ErrNotFound", err)
	}
}

func testInsertRefuses(t *testing.T, open func() ledger.Store) {
	s := initialised(t, open)
	insert(t, s, ledger.InsertOptions{}, rec("A"), rec("B"))
	err := s.Insert(bg, []*ledger.Record{rec("C"), rec("A"), rec("B")}, ledger.InsertOptions{})
	var ee *ledger.ExistsError
	if !errors.As(err, &ee) || len(ee.Records) != 2 {
		t.Fatalf("Insert over two recorded serials: %v, want *ExistsError naming both", err)
	}
	if _, err := s.Current(bg, "C"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("a refused Insert recorded C: %v", err)
	}
	if err := s.Insert(bg, []*ledger.Record{rec("D"), rec("D")}, ledger.InsertOptions{}); err == nil {
		t.Fatal("Insert took one serial twice in one call")
	}
	if _, err := s.Current(bg, "D"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("a refused Insert recorded D: %v", err)
	}
}

func testReplace(t *testing.T, open func() ledger.Store) {
	s := initialised(t, open)
	old := rec("R")
	insert(t, s, ledger.InsertOptions{}, old)
	veto := errors.New("not this one")
	err := s.Insert(bg, []*ledger.Record{rec("R")}, ledger.InsertOptions{Replace: true,
		MayReplace: func(r *ledger.Record) error {
			if r.ID != old.ID {
				t.Errorf("MayReplace saw record #%d, want #%d", r.ID, old.ID)
			}
			return veto
		}})
	if !errors.Is(err, veto) {
		t.Fatalf("vetoed replacement: %v, want the veto", err)
	}
	if c := current(t, s, "R"); c.ID != old.ID {
		t.Fatalf("vetoed replacement changed the current record to #%d", c.ID)
	}
	nw := rec("R")
	insert(t, s, ledger.InsertOptions{Replace: true, Event: "reprogrammed"}, nw)
	if nw.Replaces != old.ID {
		t.Fatalf("new record replaces #%d, want #%d", nw.Replaces, old.ID)
	}
	h, err := open().History(bg, "R")
	if err != nil || len(h) != 2 || h[0].ID != old.ID || h[1].ID != nw.ID || h[0].ReplacedBy != nw.ID || h[0].Current() || !h[1].Current() {
		t.Fatalf("history %v %v, want the old record replaced by the new", h, err)
	}
	if c := current(t, s, "R"); c.ID != nw.ID {
		t.Fatalf("current record #%d, want #%d", c.ID, nw.ID)
	}
	ev, err := s.Events(bg, "R")
	whats := map[string]int{}
	for _, e := range ev {
		whats[e.What]++
	}
	if err != nil || whats["replaced"] != 1 || whats["reprogrammed"] != 1 {
		t.Fatalf("events %+v %v, want a 'replaced' and a 'reprogrammed'", ev, err)
	}
}

func testUpdate(t *testing.T, open func() ledger.Store) {
	s := initialised(t, open)
	r := rec("U")
	insert(t, s, ledger.InsertOptions{}, r)
	later := at.Add(time.Hour)
	out, err := s.Update(bg, r.ID, ledger.Event{What: "programmed", Operator: "bob", At: later}, func(x *ledger.Record) error {
		x.State, x.Programmed, x.Counter, x.User, x.Owner, x.Station = ledger.Programmed, later, 7, "carol", "", "desk-3"
		x.Labels = map[string]string{"k": "v"}
		return nil
	})
	if err != nil || out.State != ledger.Programmed {
		t.Fatalf("Update: %v %v", out, err)
	}
	got := current(t, open(), "U")
	if got.State != ledger.Programmed || !got.Programmed.Equal(later) || got.Counter != 7 || got.User != "carol" || got.Labels["k"] != "v" || !got.Updated.Equal(later) || got.Station != "desk-3" {
		t.Fatalf("after Update: %+v", got)
	}
	stop := errors.New("stop")
	if _, err := s.Update(bg, r.ID, ledger.Event{What: "x"}, func(x *ledger.Record) error {
		x.State = ledger.Failed
		return stop
	}); !errors.Is(err, stop) {
		t.Fatalf("aborted Update: %v, want mutate's error", err)
	}
	if got := current(t, s, "U"); got.State != ledger.Programmed {
		t.Fatalf("an aborted Update wrote state %s", got.State)
	}
	if _, err := s.Update(bg, 1<<40, ledger.Event{What: "x"}, func(*ledger.Record) error { return nil }); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("Update of a missing record: %v, want ErrNotFound", err)
	}
	ev, err := s.Events(bg, "U")
	if err != nil || len(ev) != 2 || ev[1].What != "programmed" || ev[1].Operator != "bob" {
		t.Fatalf("events %+v %v", ev, err)
	}
}

func testList(t *testing.T, open func() ledger.Store) {
	s := initialised(t, open)
	a, b, c := rec("L1"), rec("L2"), rec("L3")
	b.Batch, c.Family, c.State, c.Station = "box-2", ledger.YubiKey, ledger.Programmed, "desk-9"
	insert(t, s, ledger.InsertOptions{}, a, b, c)
	insert(t, s, ledger.InsertOptions{Replace: true}, rec("L1"))
	list := func(f ledger.Filter) string {
		t.Helper()
		var out bytes.Buffer
		err := open().List(bg, f, func(r *ledger.Record) error {
			fmt.Fprintf(&out, "%s#%d ", r.Serial, r.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	id := func(r *ledger.Record) string { return fmt.Sprintf("%s#%d ", r.Serial, r.ID) }
	l1 := current(t, s, "L1")
	for _, c2 := range []struct {
		f    ledger.Filter
		want string
	}{
		{ledger.Filter{}, id(b) + id(c) + id(l1)},
		{ledger.Filter{History: true}, id(a) + id(b) + id(c) + id(l1)},
		{ledger.Filter{Batch: "box-2"}, id(b)},
		{ledger.Filter{Family: ledger.YubiKey}, id(c)},
		{ledger.Filter{Station: "desk-9"}, id(c)},
		{ledger.Filter{States: []ledger.State{ledger.Programmed, ledger.Verified}}, id(c)},
		{ledger.Filter{Serials: []string{"L1", "L3", "nobody"}}, id(c) + id(l1)},
	} {
		if got := list(c2.f); got != c2.want {
			t.Errorf("List(%+v) = %q, want %q", c2.f, got, c2.want)
		}
	}
	stop := errors.New("enough")
	n := 0
	if err := s.List(bg, ledger.Filter{}, func(*ledger.Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("List went on after fn's error (%d calls, %v)", n, err)
	}
}

// handles is how many handles race in the concurrency tests.
const handles = 4

func testConcurrentInserts(t *testing.T, open func() ledger.Store) {
	initialised(t, open)
	stores := make([]ledger.Store, handles)
	for i := range stores {
		stores[i] = open()
	}
	for round := range 10 {
		serial := fmt.Sprintf("RACE-%d", round)
		var wg sync.WaitGroup
		errs := make([]error, handles)
		start := make(chan struct{})
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.Insert(bg, []*ledger.Record{rec(serial)}, ledger.InsertOptions{})
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			var ee *ledger.ExistsError
			switch {
			case err == nil:
				won++
			case !errors.As(err, &ee):
				t.Fatalf("%s, handle %d: %v, want success or *ExistsError", serial, i, err)
			}
		}
		if h, err := stores[0].History(bg, serial); won != 1 || err != nil || len(h) != 1 {
			t.Fatalf("%s: %d inserts succeeded, %d records (%v); want exactly one", serial, won, len(h), err)
		}
	}
}

func testConcurrentUpdates(t *testing.T, open func() ledger.Store) {
	s := initialised(t, open)
	r := rec("CTR")
	insert(t, s, ledger.InsertOptions{}, r)
	const each = 10
	var wg sync.WaitGroup
	for range handles {
		h := open()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := h.Update(bg, r.ID, ledger.Event{What: "bump"}, func(x *ledger.Record) error {
					x.Counter++
					return nil
				}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := current(t, s, "CTR"); got.Counter != handles*each {
		t.Fatalf("counter %d after %d read-modify-write updates: some were lost", got.Counter, handles*each)
	}
}
