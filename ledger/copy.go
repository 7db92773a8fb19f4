package ledger

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"sort"
)

// Restorer is a Store that can take a whole ledger as it is, for Copy: the
// metadata, every record with its ID, links, owner, times and MAC, and
// every event with its ID, in one transaction, into a store that holds no
// ledger yet (ErrInitialized otherwise). recs and events are in ID order.
type Restorer interface {
	Restore(ctx context.Context, meta map[string]string, recs []*Record, events []Event) error
}

// EventLister is a Store that lists every event of the ledger in ID order
// (Copy falls back to Events per serial).
type EventLister interface {
	AllEvents(ctx context.Context, fn func(Event) error) error
}

// CopyResult says what Copy copied and how it checked the copy.
type CopyResult struct {
	Records, Events, Meta int
	// Authenticated: every record of the copy passed its MAC check with
	// the ledger's authentication key known on this machine. Otherwise
	// the copy was compared field by field with the source only.
	Authenticated bool
	Head          Head
}

// Copy copies the ledger in src into dst, which must hold none; see
// CopyLedger.
func Copy(ctx context.Context, src, dst Store) error {
	_, err := CopyLedger(ctx, src, dst)
	return err
}

// CopyLedger copies the ledger in src into dst (which must be a Restorer
// and hold no ledger): the metadata, every record (history included) with
// its ID, replacement links, MAC and sealed secret untouched, and every
// event. No key is needed and no secret is opened. When this machine knows
// the ledger's authentication key the source is verified first, and a
// record that fails refuses the whole copy. It then reads dst back
// and compares it with src, record by record and event by event, and, when
// this machine knows the ledger's authentication key (a station key or an
// earlier unlock), opens the copy as a ledger and runs Verify on it.
// Without the key, a forged record is copied as it is, MAC and all, and
// fails verification wherever the key is: a copy never launders one.
func CopyLedger(ctx context.Context, src, dst Store) (CopyResult, error) {
	var res CopyResult
	rs, ok := dst.(Restorer)
	if !ok {
		return res, errors.New("ledger copy: the destination store cannot take a copy")
	}
	meta, err := src.Meta(ctx)
	if err != nil {
		return res, fmt.Errorf("ledger copy: source: %w", err)
	}
	// With the key known here, a source that fails authentication is
	// refused before anything is written.
	sl, err := Open(ctx, src)
	if err != nil {
		return res, fmt.Errorf("ledger copy: source: %w", err)
	}
	releaseOwner(sl.owner)
	if sl.auth != nil {
		if _, err := sl.Verify(ctx, nil); err != nil {
			return res, fmt.Errorf("ledger copy: the source fails verification, nothing copied: %w", err)
		}
	}
	recs, events, err := dump(ctx, src)
	if err != nil {
		return res, fmt.Errorf("ledger copy: reading the source: %w", err)
	}
	if err := rs.Restore(ctx, meta, recs, events); err != nil {
		return res, fmt.Errorf("ledger copy: writing the destination: %w", err)
	}
	res.Records, res.Events, res.Meta = len(recs), len(events), len(meta)

	// Read the copy back and compare.
	meta2, err := dst.Meta(ctx)
	if err != nil {
		return res, fmt.Errorf("ledger copy: reading the copy: %w", err)
	}
	if !maps.Equal(meta, meta2) {
		return res, errors.New("ledger copy: the copy's metadata differs from the source's")
	}
	recs2, events2, err := dump(ctx, dst)
	if err != nil {
		return res, fmt.Errorf("ledger copy: reading the copy: %w", err)
	}
	if len(recs2) != len(recs) || len(events2) != len(events) {
		return res, fmt.Errorf("ledger copy: the copy holds %d records and %d events, the source %d and %d",
			len(recs2), len(events2), len(recs), len(events))
	}
	for i := range recs {
		if a, b := RecordDigest(recs[i]), RecordDigest(recs2[i]); a != b {
			return res, fmt.Errorf("ledger copy: record #%d (serial %s) differs in the copy", recs[i].ID, recs[i].Serial)
		}
	}
	for i := range events {
		a, b := events[i], events2[i]
		if a.ID != b.ID || a.RecordID != b.RecordID || a.Serial != b.Serial || !a.At.Equal(b.At) ||
			a.What != b.What || a.Operator != b.Operator || a.Detail != b.Detail {
			return res, fmt.Errorf("ledger copy: event #%d differs in the copy", a.ID)
		}
	}

	// Authenticate the copy when the key is known here.
	l, err := Open(ctx, dst)
	if err != nil {
		return res, fmt.Errorf("ledger copy: opening the copy: %w", err)
	}
	defer releaseOwner(l.owner)
	if l.auth != nil {
		if res.Head, err = l.Verify(ctx, nil); err != nil {
			return res, fmt.Errorf("ledger copy: verifying the copy: %w", err)
		}
		res.Authenticated = true
	}
	return res, nil
}

// dump reads every record (history included) and every event in ID order.
func dump(ctx context.Context, s Store) ([]*Record, []Event, error) {
	var recs []*Record
	if err := s.List(ctx, Filter{History: true}, func(r *Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	var events []Event
	if el, ok := s.(EventLister); ok {
		if err := el.AllEvents(ctx, func(e Event) error {
			events = append(events, e)
			return nil
		}); err != nil {
			return nil, nil, err
		}
		return recs, events, nil
	}
	seen := map[string]bool{}
	for _, r := range recs {
		if seen[r.Serial] {
			continue
		}
		seen[r.Serial] = true
		ev, err := s.Events(ctx, r.Serial)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, ev...)
	}
	sort.Slice(events, func(i, j int) bool { return events[i].ID < events[j].ID })
	return recs, events, nil
}

// RecordDigest is a canonical text of every stored field of r (sealed
// secret and MAC in hex, times in nanoseconds), to compare two copies of
// a record. It holds the sealed secret: never print it.
func RecordDigest(r *Record) string {
	keys := make([]string, 0, len(r.Labels))
	for k := range r.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	labels := ""
	for _, k := range keys {
		labels += fmt.Sprintf("%q=%q;", k, r.Labels[k])
	}
	ns := func(t interface{ UnixNano() int64 }) int64 { return t.UnixNano() }
	times := []int64{0, 0, 0, 0, 0}
	for i, t := range []struct {
		zero bool
		n    int64
	}{{r.Created.IsZero(), ns(r.Created)}, {r.Programmed.IsZero(), ns(r.Programmed)}, {r.Verified.IsZero(), ns(r.Verified)},
		{r.Updated.IsZero(), ns(r.Updated)}, {r.LeaseUntil.IsZero(), ns(r.LeaseUntil)}} {
		if !t.zero {
			times[i] = t.n
		}
	}
	return fmt.Sprintf("%d|%q|%q|%q|%s|%s|%d|%d|%d|%d|%q|%q|%x|%s|%q|%q|%q|%q|%q|%q|%q|%v|%d|%d|%s|%s",
		r.ID, r.Serial, r.Family, r.Model, r.Kind, r.Hash, r.Digits, r.Period, r.Counter, r.Slot,
		r.Manufacturer, r.Issuer, r.PublicID, labels, r.State, r.Batch, r.Operator, r.User, r.Source, r.Error,
		r.Owner, times, r.Replaces, r.ReplacedBy, hex.EncodeToString(r.Auth), hex.EncodeToString(r.Sealed))
}

// CopySpec copies the ledger in the store src names into the store dst
// names (see OpenStore and CopyLedger): what 'ledger copy SRC DST' does. A
// SQLite destination must not exist and is removed again if the copy
// fails; a database destination must hold no ledger. A copy refused
// before writing (a source failing verification, a destination holding a
// ledger, a write error) leaves nothing in a database, the copy being one
// transaction; one that fails the check after writing (a store bug) leaves
// the copy there, to be dropped.
func CopySpec(ctx context.Context, src, dst string) (CopyResult, error) {
	s, err := OpenStore(ctx, src, false)
	if err != nil {
		return CopyResult{}, fmt.Errorf("ledger copy: source: %w", err)
	}
	defer s.Close()
	d, err := OpenStore(ctx, dst, true)
	if err != nil {
		return CopyResult{}, fmt.Errorf("ledger copy: destination: %w", err)
	}
	res, err := CopyLedger(ctx, s, d)
	if cerr := d.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("ledger copy: closing the destination: %w", cerr)
	}
	if err != nil && SpecScheme(dst) == "sqlite" {
		removeLedgerFiles(dst)
	}
	return res, err
}
