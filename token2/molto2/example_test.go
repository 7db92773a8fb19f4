package molto2_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	"github.com/tokenctl/tokenctl/seed"
	simm2 "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

// A burn, a list and the refusal of a profile in use. Any
// apdu.Transmitter will do: an nfc.Card from Context.Connect on a real
// device, an emulator here.
func ExampleSession_Burn() {
	dev := simm2.New(simm2.Options{})
	var card apdu.Transmitter = apdu.TransmitFunc(func(cmd []byte) ([]byte, error) { return dev.Transmit(cmd), nil })

	s, err := molto2.NewSession(card, molto2.Options{CustomerKey: molto2.DefaultCustomerKey})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	pub, err := s.Burn(molto2.Burn{
		Profile: 0,
		Secret:  []byte("12345678901234567890"),
		Title:   "VPN",
		Config:  molto2.Config{Hash: seed.SHA1, Digits: 6, Period: 30, Display: 30},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pub.Profile, pub.Title, pub.Digits, pub.Period, pub.InUse)

	_, err = s.Burn(molto2.Burn{Profile: 0, Secret: []byte("another-seed-of-20-b"), Config: molto2.Config{Hash: seed.SHA1, Digits: 6, Period: 30}})
	fmt.Println(errors.Is(err, molto2.ErrInUse), err)

	n, err := s.SyncAll(context.Background(), time.Time{})
	fmt.Println(n, err)
	// Output:
	// 0 VPN 6 30 true
	// true profile 0 ("VPN") already holds a seed: refused (delete it first, or replace)
	// 100 <nil>
}
