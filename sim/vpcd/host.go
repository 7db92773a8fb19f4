package vpcd

import (
	"context"
	"time"

	"github.com/tokenctl/tokenctl/nfc"
)

// PCSC is the Host of the virtual reader behind Port as pcscd reports it
// through PC (which it uses from one goroutine at a time). Each wait ends
// after Wait (0: only with ctx).
type PCSC struct {
	PC   *nfc.Context
	Port int
	Wait time.Duration
}

// Empty implements Host.
func (h PCSC) Empty(ctx context.Context) error {
	ctx, cancel := h.bound(ctx)
	defer cancel()
	return h.PC.WaitForRemoval(ctx, ReaderName(h.Port))
}

// Ready implements Host: pcscd reports a card that is present and not
// mute.
func (h PCSC) Ready(ctx context.Context) error {
	ctx, cancel := h.bound(ctx)
	defer cancel()
	return h.PC.WaitForCard(ctx, ReaderName(h.Port))
}

func (h PCSC) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.Wait > 0 {
		return context.WithTimeout(ctx, h.Wait)
	}
	return context.WithCancel(ctx)
}
