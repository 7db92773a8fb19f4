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
	// NoReinsert: a key pulled by a fault is not presented again.
	NoReinsert bool
	// OnInsert is called with each key as it goes in.
	OnInsert func(i int, k *Key)

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
	for i := 0; s.Count == 0 || i < s.Count; i++ {
		o := s.Options
		o.Serial = first + uint32(i)
		k := New(o)
		s.mu.Lock()
		s.keys = append(s.keys, k)
		s.mu.Unlock()
		faulted := false
		for {
			pull := 0
			if s.PullAfter != nil && !faulted {
				pull = s.PullAfter(i)
			}
			done, err := s.present(ctx, i, k, pull, idle)
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
func (s *Stream) present(ctx context.Context, i int, k *Key, pull int, idle time.Duration) (bool, error) {
	conn, err := vpcd.Insert(ctx, s.Port, k)
	if err != nil {
		return false, fmt.Errorf("inserting key %d: %w", i+1, err)
	}
	n := 0
	pulled := false
	var pmu sync.Mutex
	if pull > 0 {
		conn.Hook = func(cmd []byte) bool {
			pmu.Lock()
			defer pmu.Unlock()
			n++
			if n > pull {
				pulled = true
				return false
			}
			return true
		}
	}
	if s.OnInsert != nil {
		s.OnInsert(i, k)
	}
	served := make(chan error, 1)
	go func() { served <- conn.Serve(ctx) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-served:
			pmu.Lock()
			p := pulled
			pmu.Unlock()
			if p {
				time.Sleep(200 * time.Millisecond) // out of the reader for a moment
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return ctx.Err() == nil, ctx.Err()
		case <-tick.C:
			k.mu.Lock()
			release := k.writes > 0 && (k.resets > k.lastWrst || time.Since(k.active) > idle)
			k.mu.Unlock()
			if release {
				conn.Remove()
				<-served
				time.Sleep(100 * time.Millisecond)
				return true, nil
			}
		}
	}
}
