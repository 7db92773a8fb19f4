package yubikey

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// Stream presents emulated keys one after another in a vpcd reader, as an
// operator working through a box of YubiKeys: a key is inserted, and
// once it has been programmed it is pulled (when the host resets or
// disconnects it, or after Idle without commands) and the next key, with
// the next serial, goes in.
type Stream struct {
	Port        int    // vpcd port (vpcd.Port0 or vpcd.Port1)
	FirstSerial uint32 // serial of the first key; the next ones count up
	Count       int    // keys to present; 0 = until ctx ends
	Options     Options
	// Idle pulls a programmed key after this long without a command
	// (default 2 s).
	Idle time.Duration
	// PullAfter, when set, gives for key i (from 0) the number of APDUs
	// after which the key is pulled out before answering the next one
	// (0: no fault). The key is then presented again, as an operator
	// would, unless Reinsert is false for it.
	PullAfter func(i int) int
	// LoseAnswer, when set, gives for key i the number of the APDU (from
	// 1) that the key executes but whose answer never reaches the host:
	// the key is pulled right after executing it (a write that took
	// without the host knowing). 0: no fault.
	LoseAnswer func(i int) int
	// NoReinsert: a key pulled by a fault is not presented again.
	NoReinsert bool
	// Host, when set, is watched to see that pcscd got each insertion and
	// removal right (see vpcd.Host): the next key goes in once the host
	// has seen the reader empty, and a key the host does not see usable is
	// put in again. Without it the stream waits a fixed time and hopes,
	// which a loaded machine can outrun.
	Host vpcd.Host
	// OnInsert is called with each key as it goes in, OnRelease when a
	// programmed key is pulled out (before the next one goes in).
	OnInsert  func(i int, k *Key)
	OnRelease func(i int, k *Key)

	mu   sync.Mutex
	keys []*Key
}

// Keys returns the keys presented so far, in order.
func (s *Stream) Keys() []*Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Key(nil), s.keys...)
}

// Run presents the keys until Count keys were programmed or ctx ends
// (then it returns nil).
func (s *Stream) Run(ctx context.Context) error {
	idle := s.Idle
	if idle == 0 {
		idle = 2 * time.Second
	}
	first := s.FirstSerial
	if first == 0 {
		first = DefaultSerial
	}
	if err := vpcd.Gap(ctx, s.Host, 0); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for i := 0; s.Count == 0 || i < s.Count; i++ {
		o := s.Options
		o.Serial = first + uint32(i)
		k := New(o)
		s.mu.Lock()
		s.keys = append(s.keys, k)
		s.mu.Unlock()
		faulted := false
		for {
			pull, lose := 0, 0
			if s.PullAfter != nil && !faulted {
				pull = s.PullAfter(i)
			}
			if s.LoseAnswer != nil && !faulted {
				lose = s.LoseAnswer(i)
			}
			done, err := s.present(ctx, i, k, pull, lose, idle)
			if err != nil || ctx.Err() != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if done {
				break
			}
			faulted = true // pulled mid-way by the fault
			if s.NoReinsert {
				break
			}
		}
	}
	return nil
}

// present inserts k and waits until it is programmed and released (true),
// or pulled by the fault (false).
func (s *Stream) present(ctx context.Context, i int, k *Key, pull, lose int, idle time.Duration) (bool, error) {
	// Baselines before the key goes in: the host may program it while
	// InsertReady still waits for pcscd to report it usable.
	k.mu.Lock()
	w0 := k.writes
	k.mu.Unlock()
	inserted := time.Now()
	conn, fc, served, err := vpcd.InsertReady(ctx, s.Port, k, pull, lose, s.Host)
	if err != nil {
		return false, fmt.Errorf("inserting key %d: %w", i+1, err)
	}
	if s.OnInsert != nil {
		s.OnInsert(i, k)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-served:
			if fc.Fired() {
				// Out of the reader until pcscd, whose exchange failed,
				// has seen it empty, before the key returns.
				return false, vpcd.Gap(ctx, s.Host, time.Second)
			}
			if err != nil {
				return false, err
			}
			return ctx.Err() == nil, ctx.Err()
		case <-tick.C:
			k.mu.Lock()
			last := k.active
			if last.Before(inserted) {
				last = inserted
			}
			// Programmed here and then let go by the host, or programmed
			// (now or before) and left alone.
			release := (k.writes > w0 && k.resets > k.lastWrst) || (k.writes > 0 && time.Since(last) > idle)
			k.mu.Unlock()
			if release {
				conn.Remove()
				<-served
				if s.OnRelease != nil {
					s.OnRelease(i, k)
				}
				return true, vpcd.Gap(ctx, s.Host, 100*time.Millisecond)
			}
		}
	}
}
