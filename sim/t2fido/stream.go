package t2fido

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// DefaultSettle is how long a Stream without Host leaves the reader empty
// between two keys (pcscd polls vpcd every 400 ms).
const DefaultSettle = 700 * time.Millisecond

// StreamSerial is the serial a Stream gives key i (from 0) when it has no
// Serials: T2F2-0001, T2F2-0002...
func StreamSerial(i int) string { return fmt.Sprintf("T2F2-%04d", i+1) }

// Stream presents emulated keys one after another in a vpcd reader, as an
// operator working through a box of them: a key goes in; it is taken out
// when the host is done with it, and after a gap the next one goes in.
//
// The host is done with a key when, after it tried a button HOTP write
// (accepted or not), it releases the card (nfc.Card.Close resets it,
// which pcscd passes on). A host that only selects and reads the public
// key does not consume a key. Idle, when set, also takes a key out after
// that long without a command once it has seen one; Remove takes the
// current key out at once.
//
// Key i is New(Options) with the serial Serials(i) (StreamSerial when nil)
// and, when Options.Key is nil, the private key KeyFromSeed(serial): the
// same box every run.
//
// Fault injection: PullAfter(i) = n pulls key i (from 0) when the host
// sends its APDU number n+1, unanswered; LoseResponse(i) = n makes key i
// execute APDU n and leave before its answer goes out (a seal that took
// without the host knowing). A key pulled by a fault is presented again
// (same key, same state) unless NoReinsert; the fault fires once.
type Stream struct {
	Port    int // vpcd.Port0 or vpcd.Port1
	Count   int // keys to present; 0 = until ctx ends
	Options Options
	Serials func(i int) string
	Idle    time.Duration
	// Host, when set, is watched to see that pcscd got each insertion and
	// removal right (see vpcd.Host); without it the stream waits Settle
	// (0 = DefaultSettle) between keys.
	Host   vpcd.Host
	Settle time.Duration
	// Stay keeps each key in the reader whatever the host does: only a
	// fault, Remove or the end of ctx takes it out (one key that several
	// commands use in turn).
	Stay bool

	PullAfter    func(i int) int
	LoseResponse func(i int) int
	NoReinsert   bool

	// OnInsert and OnRemove are called as each key goes in and comes out
	// (faulted is true for a pull by PullAfter or LoseResponse).
	OnInsert func(i int, k *Key)
	OnRemove func(i int, k *Key, faulted bool)

	mu     sync.Mutex
	keys   []*Key
	remove chan struct{}
}

// Keys returns every key presented so far, in order.
func (s *Stream) Keys() []*Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Key(nil), s.keys...)
}

// Remove takes the current key out of the reader (it counts as done).
func (s *Stream) Remove() {
	s.mu.Lock()
	ch := s.remove
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Run presents the keys until Count of them are done, or ctx ends (then it
// returns nil, leaving the reader empty).
func (s *Stream) Run(ctx context.Context) error {
	settle := s.Settle
	if settle == 0 {
		settle = DefaultSettle
	}
	serial := s.Serials
	if serial == nil {
		serial = StreamSerial
	}
	s.mu.Lock()
	s.remove = make(chan struct{}, 1)
	s.mu.Unlock()
	gap := func() error {
		if err := vpcd.Gap(ctx, s.Host, settle); err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	}
	if err := gap(); err != nil || ctx.Err() != nil {
		return err
	}
	for i := 0; s.Count == 0 || i < s.Count; i++ {
		o := s.Options
		o.Serial = serial(i)
		if o.Key == nil {
			o.Key = KeyFromSeed([]byte(o.Serial))
		}
		k := New(o)
		s.mu.Lock()
		s.keys = append(s.keys, k)
		s.mu.Unlock()
		pull, lose := 0, 0
		if s.PullAfter != nil {
			pull = s.PullAfter(i)
		}
		if s.LoseResponse != nil {
			lose = s.LoseResponse(i)
		}
		for {
			faulted, err := s.present(ctx, i, k, pull, lose)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			if s.OnRemove != nil {
				s.OnRemove(i, k, faulted)
			}
			if err := gap(); err != nil || ctx.Err() != nil {
				return err
			}
			if !faulted || s.NoReinsert {
				break
			}
			pull, lose = 0, 0 // put back: the fault fired once
		}
	}
	return nil
}

// present inserts k and returns when it has been taken out: faulted is
// true when a fault pulled it.
func (s *Stream) present(ctx context.Context, i int, k *Key, pull, lose int) (faulted bool, err error) {
	// The baseline is taken before the key goes in: the host may talk to
	// it while InsertReady still waits for pcscd to report it usable.
	base := k.activity()
	conn, fc, served, err := vpcd.InsertReady(ctx, s.Port, k, pull, lose, s.Host)
	if err != nil {
		return false, fmt.Errorf("inserting key %d (%s): %w", i+1, k.Serial(), err)
	}
	if s.OnInsert != nil {
		s.OnInsert(i, k)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-served:
			f := fc.Fired()
			if f || ctx.Err() != nil {
				return f, nil
			}
			if err != nil {
				return false, fmt.Errorf("key %d (%s): %w", i+1, k.Serial(), err)
			}
			return false, nil // the connection ended on its own: taken out
		case <-s.remove:
			conn.Remove()
			<-served
			return false, nil
		case <-tick.C:
			a := k.activity()
			released := !s.Stay && a.buttonTries > base.buttonTries && a.resets > a.resetsAtButton
			idle := !s.Stay && s.Idle > 0 && a.apdus > base.apdus && time.Since(a.last) > s.Idle
			if released || idle {
				conn.Remove()
				<-served
				return false, nil
			}
		}
	}
}
