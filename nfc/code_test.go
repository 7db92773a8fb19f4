package nfc_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/tokenctl/tokenctl/nfc"
)

func TestDescribe(t *testing.T) {
	got := nfc.Describe(nfc.ErrRemovedCard)
	if want := "SCARD_W_REMOVED_CARD (0x80100069): the card was removed"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	e := &nfc.Error{Reader: "Virtual PCD 00 00", Op: "transmit", Code: nfc.ErrRemovedCard}
	if want := `reader "Virtual PCD 00 00": transmit: SCARD_W_REMOVED_CARD (0x80100069): the card was removed`; e.Error() != want {
		t.Errorf("Error() = %q", e.Error())
	}
}

// TestCardProblem: errors about the card presented (gone, mute, no
// protocol in common) are told from those about the reader or pcscd.
func TestCardProblem(t *testing.T) {
	for code, want := range map[nfc.Code]bool{
		nfc.ErrRemovedCard: true, nfc.ErrUnresponsiveCard: true, nfc.ErrProtoMismatch: true,
		nfc.ErrUnsupportedCard: true, nfc.ErrCardUnsupported: true,
		nfc.ErrNoService: false, nfc.ErrSharingViolation: false, nfc.ErrNoReadersAvailable: false,
	} {
		err := fmt.Errorf("token: %w", &nfc.Error{Reader: "Virtual PCD 00 00", Op: "connect", Code: code})
		if got := nfc.CardProblem(err); got != want {
			t.Errorf("%v: CardProblem = %v, want %v", err, got, want)
		}
	}
	if nfc.CardProblem(errors.New("something else")) {
		t.Error("a plain error is a card problem")
	}
}
