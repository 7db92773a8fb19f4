package device

import (
	"context"
	"errors"
	"fmt"
	"github.com/tokenctl/tokenctl/apdu"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/yubikey"
)

// YubiKey is a key with its OTP application open and its serial read.
type YubiKey struct {
	Session   *yubikey.Session
	Serial    yubikey.Serial
	Transport yubikey.Transport
	Where     string // the USB device or the PC/SC reader
	close     func()
}

// Close closes the key (and the PC/SC context opened for it).
func (k *YubiKey) Close() {
	if k.close != nil {
		k.close()
		k.close = nil
	}
}

// YubiKeyOptions choose the key.
type YubiKeyOptions struct {
	// Transport is yubikey.TransportHID, yubikey.TransportCCID, or empty:
	// HID when a key is on USB, else PC/SC.
	Transport yubikey.Transport
	Reader    string         // part of a PC/SC reader's name (CCID)
	Serial    yubikey.Serial // the key wanted, when several are present (0: the only one)
	Wait      time.Duration  // how long to wait for a key on a PC/SC reader
}

// ParseYubiKeyOptions are the options asked for by name, as the flags
// --transport ("hid", "ccid"; "" chooses), --reader and --serial ("": the
// only key) give them; a transport or serial that cannot be is an
// *ErrUsage naming its flag.
func ParseYubiKeyOptions(transport, reader, serial string, wait time.Duration) (YubiKeyOptions, error) {
	o := YubiKeyOptions{Reader: reader, Wait: wait}
	var err error
	if o.Transport, err = yubikey.ParseTransport(transport); err != nil {
		return o, &ErrUsage{fmt.Sprintf("--transport %q: %v", transport, err)}
	}
	if serial != "" {
		if o.Serial, err = yubikey.ParseSerial(serial); err != nil {
			return o, &ErrUsage{fmt.Sprintf("--serial %v", err)}
		}
	}
	return o, nil
}

// YubiKeyInfo is what a key says of itself: serial, firmware, how it is
// reached and which OTP slots are programmed.
type YubiKeyInfo struct {
	Serial    yubikey.Serial `json:"serial"`
	Firmware  string         `json:"firmware"`
	Transport string         `json:"transport"`
	Device    string         `json:"device"`
	Slot1     string         `json:"slot1"`
	Slot2     string         `json:"slot2"`
}

// Info is the key's YubiKeyInfo (from the status read when it was
// opened).
func (k *YubiKey) Info() YubiKeyInfo {
	st := k.Session.Status()
	return YubiKeyInfo{Serial: k.Serial, Firmware: st.Version.String(), Transport: string(k.Transport), Device: k.Where, Slot1: st.SlotState(1), Slot2: st.SlotState(2)}
}

// String is the info as lines ("Serial:    N" ...), each ending in a
// newline.
func (i YubiKeyInfo) String() string {
	return fmt.Sprintf("Serial:    %d\nFirmware:  %s\nTransport: %s (%s)\nSlot 1:    %s\nSlot 2:    %s\n",
		i.Serial, i.Firmware, i.Transport, i.Device, i.Slot1, i.Slot2)
}

// ErrNoSuchSerial is not finding the key with the serial asked for.
var ErrNoSuchSerial = errors.New("no YubiKey with serial")

// ErrSeveral is several keys where one was expected: the caller must say
// which (by serial).
type ErrSeveral struct{ Serials []yubikey.Serial }

func (e *ErrSeveral) Error() string {
	return fmt.Sprintf("%d YubiKeys on USB (serials %v): choose one with --serial", len(e.Serials), e.Serials)
}

// UsageError: the request names no single key (tokenctl exits 2).
func (e *ErrSeveral) UsageError() bool { return true }

// OpenYubiKey finds the key, opens its OTP application and reads its
// serial; nothing is written. On USB it looks first (unless a reader or
// CCID is asked for); a serial not found there is looked for in the PC/SC
// readers too.
func (e Env) OpenYubiKey(ctx context.Context, o YubiKeyOptions) (*YubiKey, error) {
	if o.Transport == yubikey.TransportHID && o.Reader != "" {
		return nil, &ErrUsage{"a PC/SC reader goes with the CCID transport, not HID"}
	}
	var keys []HIDKey
	if o.Transport != yubikey.TransportCCID {
		var err error
		keys, err = e.usb()
		if err != nil && o.Transport == yubikey.TransportHID {
			return nil, wrap(err)
		}
		if o.Transport == yubikey.TransportHID && len(keys) == 0 {
			return nil, errorf("no YubiKey with an OTP interface on USB")
		}
	}
	if len(keys) > 0 && o.Reader == "" {
		k, err := o.openHID(keys)
		if err == nil || o.Transport == yubikey.TransportHID || !errors.Is(err, ErrNoSuchSerial) {
			return k, err
		}
		// Not on USB: the key asked for may be on a PC/SC reader (NFC).
		k, err2 := e.openCCID(ctx, o)
		if err2 != nil {
			return nil, errorf("%v; %w", err, err2)
		}
		return k, nil
	}
	return e.openCCID(ctx, o)
}

// ErrUsage is a selection that cannot be made as asked (tokenctl exits 2).
type ErrUsage struct{ Msg string }

func (e *ErrUsage) Error() string    { return e.Msg }
func (e *ErrUsage) UsageError() bool { return true }

// openHID opens the one key on USB, or the one with the serial asked for.
// Every device it opened and does not return is closed, whatever fails.
func (o YubiKeyOptions) openHID(keys []HIDKey) (_ *YubiKey, err error) {
	var found []*YubiKey
	defer func() {
		if err != nil {
			for _, k := range found {
				k.Close()
			}
		}
	}()
	var skipped []string // with a serial: keys that could not be asked
	for _, c := range keys {
		if o.Serial != 0 && len(found) == 1 {
			break // serials are unique: the others stay unopened
		}
		k, err := openHIDKey(c)
		if err != nil {
			if o.Serial != 0 {
				skipped = append(skipped, err.Error())
				continue
			}
			return nil, err
		}
		if o.Serial != 0 && k.Serial != o.Serial {
			k.Close()
			continue
		}
		found = append(found, k)
	}
	switch {
	case len(found) == 0:
		why := ""
		if len(skipped) > 0 {
			why = " (not asked: " + strings.Join(skipped, "; ") + ")"
		}
		return nil, errorf("%w %d on USB%s", ErrNoSuchSerial, o.Serial, why)
	case len(found) > 1:
		e := &ErrSeveral{}
		for _, k := range found {
			e.Serials = append(e.Serials, k.Serial)
		}
		return nil, e
	}
	return found[0], nil
}

// openHIDKey opens one key on USB and reads its serial.
func openHIDKey(c HIDKey) (*YubiKey, error) {
	dev, err := c.Open()
	if err != nil {
		return nil, wrap(err)
	}
	k, err := Open(hid.NewOTP(dev), c.Name, func() { dev.Close() })
	if err != nil {
		dev.Close()
		return nil, err
	}
	return k, nil
}

// Open starts the OTP session on a key reached through b (at where, for
// messages) and reads its serial; nothing is written. Closing the key
// calls closer; on failure the caller closes what it opened.
func Open(b yubikey.Backend, where string, closer func()) (*YubiKey, error) {
	s, err := yubikey.NewSession(b)
	if err != nil {
		return nil, errorf("%s: %w", where, err)
	}
	serial, err := s.Serial()
	var se *apdu.StatusError
	switch {
	case errors.As(err, &se), errors.Is(err, hid.ErrNoData):
		// The key answered and refused: its serial is not API-visible.
		return nil, errorf("%s: %w (is SERIAL_API_VISIBLE off on this key? a key whose serial is hidden cannot be told apart or recorded)", where, err)
	case err != nil:
		return nil, errorf("%s: %w", where, err)
	}
	return &YubiKey{Session: s, Serial: yubikey.Serial(serial), Transport: b.Transport(), Where: where, close: closer}, nil
}

// OpenHIDKey opens one key on USB (as batch does for a newly inserted
// key) and reads its serial.
func OpenHIDKey(k HIDKey) (*YubiKey, error) { return openHIDKey(k) }

func (e Env) openCCID(ctx context.Context, o YubiKeyOptions) (*YubiKey, error) {
	pc, err := e.OpenPCSC()
	if err != nil {
		return nil, errorf("no YubiKey on USB HID, and PC/SC is not available: %w", err)
	}
	if o.Serial != 0 && o.Reader == "" {
		readers, err := pc.Readers()
		if err != nil {
			pc.Release()
			return nil, wrap(err)
		}
		if len(readers) > 1 {
			return e.openCCIDBySerial(ctx, o, pc, readers)
		}
	}
	reader, err := pc.FindReader(o.Reader)
	if err != nil {
		pc.Release()
		return nil, wrap(err)
	}
	card, err := pc.Connect(reader)
	if err != nil && nfc.Removed(err) {
		e.prompt("present the YubiKey to %s...", reader)
		wctx, cancel := context.WithTimeout(ctx, o.Wait)
		err = pc.WaitForCard(wctx, reader)
		cancel()
		switch {
		case err == nil:
			card, err = pc.Connect(reader)
		case errors.Is(err, context.DeadlineExceeded):
			err = fmt.Errorf("no YubiKey presented on %q within %s", reader, o.Wait)
		case errors.Is(err, context.Canceled):
			err = fmt.Errorf("interrupted while waiting for a YubiKey on %q", reader)
		}
	}
	if err != nil {
		pc.Release()
		return nil, wrap(err)
	}
	k, err := OpenCCID(card)
	if err != nil {
		pc.Release()
		return nil, err
	}
	if o.Serial != 0 && k.Serial != o.Serial {
		k.Close()
		pc.Release()
		return nil, errorf("reader %q holds YubiKey %d, not %d", reader, k.Serial, o.Serial)
	}
	k.close = func() { card.Close(); pc.Release() }
	return k, nil
}

// OpenCCID selects the OTP application on card and reads the key's status
// and serial: nothing is written. On failure the card is closed; on
// success closing the key closes the card.
func OpenCCID(card *nfc.Card) (*YubiKey, error) {
	reader := card.Reader()
	b, err := yubikey.NewCCID(card)
	if err != nil {
		card.Close()
		return nil, errorf("reader %q: %w", reader, err)
	}
	k, err := Open(b, fmt.Sprintf("reader %q", reader), func() { card.Close() })
	if err != nil {
		card.Close()
		return nil, err
	}
	k.Where = reader
	return k, nil
}

// openCCIDBySerial finds the key with the serial asked for among several
// PC/SC readers: each reader holding a card is opened in turn, read-only
// (select the OTP application, read the serial), and released unless it
// is the key asked for. When no reader holds a card, it waits (o.Wait)
// for one to arrive.
func (e Env) openCCIDBySerial(ctx context.Context, o YubiKeyOptions, pc *nfc.Context, readers []string) (*YubiKey, error) {
	var seen []string
	scan := func() (*YubiKey, bool) {
		seen = seen[:0]
		anyCard := false
		for _, r := range readers {
			card, err := pc.Connect(r)
			if err != nil {
				if nfc.Removed(err) {
					seen = append(seen, fmt.Sprintf("%q: no card", r))
				} else {
					anyCard = true
					seen = append(seen, err.Error())
				}
				continue
			}
			anyCard = true
			k, err := OpenCCID(card)
			switch {
			case err != nil:
				seen = append(seen, err.Error())
			case k.Serial != o.Serial:
				k.Close()
				seen = append(seen, fmt.Sprintf("%q: YubiKey %d", r, k.Serial))
			default:
				k.close = func() { card.Close(); pc.Release() }
				return k, true
			}
		}
		return nil, anyCard
	}
	k, anyCard := scan()
	if k == nil && !anyCard {
		e.prompt("present YubiKey %d to one of the readers...", o.Serial)
		wctx, cancel := context.WithTimeout(ctx, o.Wait)
		_, err := pc.WaitForAnyCard(wctx, readers)
		cancel()
		if err == nil {
			k, _ = scan()
		}
	}
	if k == nil {
		pc.Release()
		return nil, errorf("%w %d in any PC/SC reader: %s", ErrNoSuchSerial, o.Serial, strings.Join(seen, "; "))
	}
	return k, nil
}
