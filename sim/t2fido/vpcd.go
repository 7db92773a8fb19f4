package t2fido

import (
	"context"

	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// Insert puts k in the vpcd reader behind port and answers until ctx ends
// or the card is removed (Conn.Remove). It returns once pcscd has taken
// notice of the card; the returned channel gets Serve's result. A key that
// was bricked leaves the reader at the next command, unanswered, as a real
// one whose interfaces are all disabled.
func Insert(ctx context.Context, port int, k *Key) (*vpcd.Conn, <-chan error, error) {
	conn, err := vpcd.Insert(ctx, port, k)
	if err != nil {
		return nil, nil, err
	}
	conn.Hook = func(cmd []byte) bool {
		if k.Bricked() {
			k.Transmit(cmd) // recorded, unanswered
			return false
		}
		return true
	}
	done := make(chan error, 1)
	go func() { done <- conn.Serve(ctx) }()
	return conn, done, nil
}
