package convert

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// CancelOnSignal makes the first SIGINT or SIGTERM the process gets stop
// the conversion o is for cleanly (Options.Cancel: temporary files
// removed, nothing written, an error wrapping ErrCanceled); a second one
// kills at once, as by default (a read from a terminal may be waiting). A
// signal the process was started with ignored stays ignored. Call stop
// when the conversion is over.
func (o *Options) CancelOnSignal() (stop func()) {
	var sigs []os.Signal
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return func() {}
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	go func() {
		<-ctx.Done()
		stop() // default handling again for a second signal
	}()
	o.Cancel = ctx.Done()
	return stop
}
