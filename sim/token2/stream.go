package token2

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// DefaultSettle is how long a Stream without Emptied leaves the reader
// empty between two tokens. pcscd polls vpcd every 400 ms; a token inserted
// before a poll has seen the reader empty goes unnoticed (and after a card
// pulled from under a connected host, pcscd then reports the reader empty
// for good).
const DefaultSettle = 700 * time.Millisecond

// Stream presents emulated tokens one after another in a vpcd reader, as
// an operator working through a box of them. A token goes in; it is taken
// out when the host is done with it, and after Settle the next one, with
// the next serial, goes in.
//
// The host is done with a token when, after it sent an authenticate APDU
// (that is, tried to program the token, successfully or not), it releases
// the card: nfc.Card.Close resets the card, which pcscd passes on to the
// emulator. A host that only reads get info (tokenctl token2 info) does
// not consume a token. Idle, when set, also takes a token out after that
// long without a command once it has seen any; Remove takes the current
// token out at once.
//
// Fault injection: PullAfter(i) = k pulls token i (from 0) after it
// answered k APDUs, when the host sends the next one; LoseResponse(i) = k
// makes token i execute APDU k but leave before answering it; BadAuth(i)
// gives token i another device key, so every authentication fails (69 83).
// A token pulled by a fault is presented again (same token, same state)
// unless NoReinsert, as an operator would put it back; the fault fires once.
// So is a token whose connection pcscd dropped before the host was done
// with it (a failed exchange on a loaded machine): an operator puts back a
// token the reader lost.
type Stream struct {
	Port        int    // vpcd port: vpcd.Port0 or vpcd.Port1
	FirstSerial string // serial of the first token (default DefaultSerial); the next ones count up
	Count       int    // tokens to present; 0 = until ctx ends
	Options     Options
	Idle        time.Duration
	// Host, when set, is watched to see that pcscd got each insertion and
	// removal right (see vpcd.Host): the next token goes in once the host
	// has seen the reader empty, and a token the host does not see usable
	// is put in again. Without it the stream waits Settle between tokens
	// (0 = DefaultSettle) and hopes, which a loaded machine can outrun.
	Host   vpcd.Host
	Settle time.Duration
	// Stay keeps each token in the reader whatever the host does: only a
	// fault, Remove or the end of ctx takes it out (for a single token
	// that several commands use in turn).
	Stay bool

	PullAfter    func(i int) int
	LoseResponse func(i int) int
	BadAuth      func(i int) bool
	NoReinsert   bool

	// OnInsert and OnRemove are called as each token goes in and comes
	// out (faulted is true for a pull by PullAfter or LoseResponse).
	OnInsert func(i int, t *Token)
	OnRemove func(i int, t *Token, faulted bool)

	mu     sync.Mutex
	tokens []*Token
	remove chan struct{}
}

// Tokens returns every token presented so far, in order.
func (s *Stream) Tokens() []*Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Token(nil), s.tokens...)
}

// Remove takes the current token out of the reader (it counts as done).
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

// Serial returns first + i as a decimal serial of the same width.
func Serial(first string, i int) (string, error) {
	n, err := strconv.ParseUint(first, 10, 63)
	if err != nil {
		return "", fmt.Errorf("serial %q is not a decimal number", first)
	}
	return fmt.Sprintf("%0*d", len(first), n+uint64(i)), nil
}

// Run presents the tokens until Count of them are done, or ctx ends (then
// it returns nil, leaving the reader empty). The first token goes in once
// the reader is seen empty (Emptied or Settle), in case a previous card has
// just left it.
func (s *Stream) Run(ctx context.Context) error {
	first := s.FirstSerial
	if first == "" {
		first = DefaultSerial
	}
	settle := s.Settle
	if settle == 0 {
		settle = DefaultSettle
	}
	s.mu.Lock()
	s.remove = make(chan struct{}, 1)
	s.mu.Unlock()
	// A card another process just pulled from this reader must be seen
	// gone by pcscd before ours goes in.
	if err := vpcd.Gap(ctx, s.Host, settle); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for i := 0; s.Count == 0 || i < s.Count; i++ {
		o := s.Options
		serial, err := Serial(first, i)
		if err != nil {
			return err
		}
		o.Serial = serial
		if s.BadAuth != nil && s.BadAuth(i) {
			o.Key = []byte("not the Token2 key")[:16]
		}
		tok := New(o)
		s.mu.Lock()
		s.tokens = append(s.tokens, tok)
		s.mu.Unlock()
		pull, lose := 0, 0
		if s.PullAfter != nil {
			pull = s.PullAfter(i)
		}
		if s.LoseResponse != nil {
			lose = s.LoseResponse(i)
		}
		for {
			faulted, again, err := s.present(ctx, i, tok, pull, lose)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			if s.OnRemove != nil {
				s.OnRemove(i, tok, faulted)
			}
			if err := vpcd.Gap(ctx, s.Host, settle); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			if !again && (!faulted || s.NoReinsert) {
				break
			}
			if faulted {
				pull, lose = 0, 0 // put back: the fault fired once
			}
		}
	}
	return nil
}

// present inserts tok and returns when it has been taken out: faulted is
// true when a fault pulled it, again when the reader lost it before the
// host was done with it (both are presented again).
func (s *Stream) present(ctx context.Context, i int, tok *Token, pull, lose int) (faulted, again bool, err error) {
	// The baseline is taken before the token goes in: the host may talk to
	// it while InsertReady still waits for pcscd to report it usable, and
	// an exchange counted into the baseline would never make the token
	// released or idle (it stayed in the reader for good).
	base := tok.activity()
	conn, fc, served, err := vpcd.InsertReady(ctx, s.Port, tok, pull, lose, s.Host)
	if err != nil {
		return false, false, fmt.Errorf("inserting token %d (%s): %w", i+1, tok.Serial(), err)
	}
	if s.OnInsert != nil {
		s.OnInsert(i, tok)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-served:
			f := fc.Fired()
			if f || ctx.Err() != nil {
				return f, false, nil
			}
			if err != nil {
				return false, false, fmt.Errorf("token %d (%s): %w", i+1, tok.Serial(), err)
			}
			// The connection ended on its own (pcscd dropped it, as it
			// may after a failed exchange): a token the host had not
			// finished with is put back, as an operator puts back a token
			// the reader lost; one it had finished with is taken out.
			a := tok.activity()
			finished := a.auths > base.auths && a.resets > a.resetsAtAuth
			return false, !finished && !s.Stay, nil
		case <-s.remove:
			conn.Remove()
			<-served
			return false, false, nil
		case <-tick.C:
			a := tok.activity()
			released := !s.Stay && a.auths > base.auths && a.resets > a.resetsAtAuth
			idle := !s.Stay && s.Idle > 0 && a.apdus > base.apdus && time.Since(a.last) > s.Idle
			if released || idle {
				conn.Remove()
				<-served
				return false, false, nil
			}
		}
	}
}
