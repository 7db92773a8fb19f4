package molto2

import (
	"context"

	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// Insert puts d in the vpcd virtual reader behind port (vpcd.Port0 or
// vpcd.Port1), as a Molto2 plugged in, and serves it until it is removed
// (Conn.Remove) or ctx ends; served then receives the result. With a host
// it returns once pcscd reports the card usable, inserting it again when
// pcscd missed it (see vpcd.InsertReady). The device keeps its state
// across insertions: pull it and insert it again to unplug and replug.
func Insert(ctx context.Context, port int, d *Device, host vpcd.Host) (conn *vpcd.Conn, served <-chan error, err error) {
	conn, _, served, err = vpcd.InsertReady(ctx, port, d, 0, 0, host)
	return conn, served, err
}
