package vpcd

import (
	"context"
	"sync"
)

// FaultCard wraps a Card to simulate a card leaving the reader mid-session,
// for tests and demos of interrupted provisioning. Build it with
// InsertFaulty; the zero value is not usable.
//
// With pull > 0 the card is pulled when the host sends APDU number pull+1,
// which then goes unanswered. With lose > 0 the card executes APDU number
// lose and leaves before its answer goes out, so the host sees a transport
// error although the command took effect.
type FaultCard struct {
	card       Card
	conn       *Conn
	pull, lose int

	mu    sync.Mutex
	n     int
	fired bool
}

// InsertFaulty inserts card in the virtual reader on port like Insert,
// wrapped in a FaultCard that injects the pull and lose faults described
// there (0 disables a fault). The caller serves the returned Conn as usual
// and must not replace its Hook.
func InsertFaulty(ctx context.Context, port int, card Card, pull, lose int) (*Conn, *FaultCard, error) {
	f := &FaultCard{card: card, pull: pull, lose: lose}
	conn, err := Insert(ctx, port, f)
	if err != nil {
		return nil, nil, err
	}
	f.mu.Lock()
	f.conn = conn
	f.mu.Unlock()
	if pull > 0 {
		conn.Hook = f.hook
	}
	return conn, f, nil
}

// ATR returns the wrapped card's ATR.
func (f *FaultCard) ATR() []byte { return f.card.ATR() }

// Reset forwards power cycles to the wrapped card if it is a Resetter.
func (f *FaultCard) Reset() {
	if r, ok := f.card.(Resetter); ok {
		r.Reset()
	}
}

// hook refuses (pulls the card on) APDU number pull+1.
func (f *FaultCard) hook([]byte) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n >= f.pull {
		f.fired = true
		return false
	}
	return true
}

// Transmit executes cmd on the wrapped card; for APDU number lose the card
// then leaves before the answer goes out.
func (f *FaultCard) Transmit(cmd []byte) []byte {
	resp := f.card.Transmit(cmd)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.lose > 0 && f.n == f.lose && f.conn != nil {
		f.fired = true
		f.conn.Remove()
	}
	return resp
}

// Fired reports whether a fault has taken the card out.
func (f *FaultCard) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}
