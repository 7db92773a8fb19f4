package t2fido_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	"github.com/tokenctl/tokenctl/token2/fido"
)

// A test puts an emulated key in vpcd's first reader, seals a button HOTP
// into it through pcscd as tokenctl would, and checks what the key holds,
// the code it would type, and that the bricking command never arrived. (A
// real test first calls pcsctest.Require and pcsctest.LockReader.)
func ExampleInsert() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key := t2fido.New(t2fido.Options{Key: t2fido.KeyFromSeed([]byte("example"))})
	conn, served, err := t2fido.Insert(ctx, vpcd.Port0, key)
	if err != nil {
		panic(err)
	}
	defer func() { conn.Remove(); <-served }()

	pc, err := nfc.NewContext()
	if err != nil {
		panic(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port0)
	if err := pc.WaitForCard(ctx, reader); err != nil {
		panic(err)
	}
	card, err := pc.Connect(reader)
	if err != nil {
		panic(err)
	}
	defer card.Close()
	s := fido.NewSession(card)
	if err := s.Select(); err != nil {
		panic(err)
	}
	if err := s.SetButtonHOTP(8, []byte("12345678901234567890")); err != nil {
		panic(err)
	}

	st := key.State()
	code, _ := key.Code(0)
	fmt.Println(st.Digits, len(st.Seed), code, len(key.Forbidden()))
	// Behind the HID framing instead: fido.NewSession(fido.NewHIDTransmitter(
	// key.HID(t2fido.HIDOptions{Chunk: 16, Busy: 2}))).
}
