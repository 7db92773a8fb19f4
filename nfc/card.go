//go:build cgo || windows

package nfc

import (
	"fmt"
	"time"

	"github.com/ebfe/scard"
)

// maxGetResponse bounds the GET RESPONSE chain of one command, so a card
// that keeps answering 61 XX cannot keep the host in a loop.
const maxGetResponse = 64

// Card is a connected card. It implements apdu.Transmitter.
type Card struct {
	h      *scard.Card
	reader string
	proto  scard.Protocol
	atr    []byte
}

// Reader is the name of the reader the card is in.
func (c *Card) Reader() string { return c.reader }

// ATR is the card's answer to reset.
func (c *Card) ATR() []byte { return append([]byte(nil), c.atr...) }

// Protocol is "T=0" or "T=1" (or "raw").
func (c *Card) Protocol() string {
	switch c.proto {
	case scard.ProtocolT0:
		return "T=0"
	case scard.ProtocolT1:
		return "T=1"
	}
	return "raw"
}

// Transmit sends one short command APDU and returns the response data
// followed by the status word. It follows the T=0 conventions whatever the
// protocol (contactless tokens use them too): on 61 XX it fetches the rest
// with GET RESPONSE (00 C0 00 00 XX) until the card gives a final status,
// concatenating the data; on 6C XX it re-sends the command once with
// Le = XX.
func (c *Card) Transmit(cmd []byte) ([]byte, error) {
	if c.h == nil {
		return nil, &Error{Reader: c.reader, Op: "transmit", Code: ErrInvalidHandle}
	}
	if len(cmd) < 4 {
		return nil, fmt.Errorf("reader %q: transmit: command of %d bytes is not an APDU", c.reader, len(cmd))
	}
	resp, err := c.raw(cmd)
	if err != nil {
		return nil, err
	}
	if sw1, sw2 := resp[len(resp)-2], resp[len(resp)-1]; sw1 == 0x6C {
		cmd2, err := withLe(cmd, sw2)
		if err != nil {
			return nil, fmt.Errorf("reader %q: %w", c.reader, err)
		}
		if resp, err = c.raw(cmd2); err != nil {
			return nil, err
		}
	}
	var data []byte
	for i := 0; ; i++ {
		n := len(resp) - 2
		sw1, sw2 := resp[n], resp[n+1]
		if sw1 != 0x61 {
			return append(data, resp...), nil
		}
		if i == maxGetResponse {
			return nil, fmt.Errorf("reader %q: transmit: card still has data after %d GET RESPONSE commands", c.reader, i)
		}
		data = append(data, resp[:n]...)
		if resp, err = c.raw([]byte{0x00, 0xC0, 0x00, 0x00, sw2}); err != nil {
			return nil, err
		}
	}
}

// raw is one SCardTransmit; it guarantees a status word.
func (c *Card) raw(cmd []byte) ([]byte, error) {
	resp, err := c.h.Transmit(cmd)
	if err != nil {
		return nil, wrap(c.reader, "transmit", err)
	}
	if len(resp) < 2 {
		// Some drivers (vpcd among them) report an exchange with a card
		// that just left as a success with no data: ask the reader what
		// happened before blaming the card.
		// pcscd may take a moment to notice the removal.
		for i := 0; i < 10; i++ {
			st, serr := c.h.Status()
			if serr != nil {
				return nil, wrap(c.reader, "transmit", serr)
			}
			if st.State&scard.Present == 0 {
				return nil, &Error{Reader: c.reader, Op: "transmit", Code: ErrRemovedCard}
			}
			time.Sleep(30 * time.Millisecond)
		}
		return nil, &Error{Reader: c.reader, Op: fmt.Sprintf("transmit (response of %d bytes, no status word)", len(resp)), Code: ErrNotTransacted}
	}
	return resp, nil
}

// Close disconnects, resetting the card so that no state (an
// authentication, a selected applet) outlives this session. It is safe to
// call more than once; a card that was pulled away is not an error.
func (c *Card) Close() error {
	if c.h == nil {
		return nil
	}
	err := c.h.Disconnect(scard.ResetCard)
	c.h = nil
	if err != nil && !Removed(wrap(c.reader, "disconnect", err)) {
		return wrap(c.reader, "disconnect", err)
	}
	return nil
}
