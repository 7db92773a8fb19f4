package t2fido

import (
	"context"

	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// Insert puts k in the vpcd reader behind port and answers until ctx ends
// or the card is removed (Conn.Remove). It returns once pcscd has taken
// notice of the card; the returned channel gets Serve's result.
func Insert(ctx context.Context, port int, k *Key) (*vpcd.Conn, <-chan error, error) {
	conn, err := vpcd.Insert(ctx, port, k)
	if err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- conn.Serve(ctx) }()
	return conn, done, nil
}
