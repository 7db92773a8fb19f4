package yubikey

import (
	"bytes"
	"time"

	"github.com/tokenctl/tokenctl/apdu"
	yk "github.com/tokenctl/tokenctl/yubikey"
)

// ATR is the answer to reset of a YubiKey 5 NFC on a contactless reader
// (ykman takes the link for NFC because ATR[1] is not Fx).
var ATR = []byte{0x3B, 0x8D, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0xF9}

// TouchTimeout is how long a challenge that needs touch waits for one.
var TouchTimeout = 15 * time.Second

// ATR implements vpcd.Card.
func (k *Key) ATR() []byte { return append([]byte(nil), ATR...) }

// Reset implements vpcd.Resetter: a power cycle deselects applications
// and starts a new OTP session.
func (k *Key) Reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.selected = nil
	k.resets++
	for i := range k.slots {
		if k.slots[i].cfg != nil {
			k.slots[i].useCtr++
			k.slots[i].sessCtr = 0
		}
	}
}

func sw(data []byte, s apdu.StatusWord) []byte {
	return append(append([]byte(nil), data...), s.SW1(), s.SW2())
}

// mgmtVersionString is what the management application answers a SELECT with.
func (k *Key) mgmtVersionString() []byte {
	return []byte("Virtual mgr - FW version " + k.version.String())
}

// Transmit implements vpcd.Card: it answers one command APDU.
func (k *Key) Transmit(cmd []byte) []byte {
	k.mu.Lock()
	k.allAPDUs = append(k.allAPDUs, append([]byte(nil), cmd...))
	k.active = time.Now()
	if len(cmd) < 4 {
		k.mu.Unlock()
		return sw(nil, apdu.SWWrongLength)
	}
	if err := k.countCommand(); err != nil {
		k.mu.Unlock()
		return sw(nil, apdu.SWNoPreciseDiagnosis)
	}
	var data []byte
	if len(cmd) > 5 {
		lc := int(cmd[4])
		if len(cmd) < 5+lc {
			k.mu.Unlock()
			return sw(nil, apdu.SWWrongLength)
		}
		data = cmd[5 : 5+lc]
	}
	cla, ins, p1 := cmd[0], cmd[1], cmd[2]
	if cla != 0x00 {
		k.mu.Unlock()
		return sw(nil, apdu.SWCLANotSupported)
	}
	if ins == 0xA4 {
		defer k.mu.Unlock()
		if p1 != 0x04 {
			return sw(nil, apdu.SWWrongP1P2)
		}
		switch {
		case bytes.Equal(data, yk.AIDOTP):
			k.selected = yk.AIDOTP
			return sw(k.status().Bytes(), apdu.SWOK)
		case bytes.Equal(data, yk.AIDManagement):
			k.selected = yk.AIDManagement
			return sw(k.mgmtVersionString(), apdu.SWOK)
		}
		return sw(nil, apdu.SWFileNotFound)
	}
	switch {
	case bytes.Equal(k.selected, yk.AIDManagement):
		defer k.mu.Unlock()
		if ins == 0x1D {
			return sw(k.deviceInfo(), apdu.SWOK)
		}
		return sw(nil, apdu.SWINSNotSupported)
	case bytes.Equal(k.selected, yk.AIDOTP):
	default:
		k.mu.Unlock()
		return sw(nil, apdu.SWConditionsNotMet)
	}
	switch ins {
	case 0x03:
		defer k.mu.Unlock()
		return sw(k.status().Bytes(), apdu.SWOK)
	case 0x01:
	default:
		k.mu.Unlock()
		return sw(nil, apdu.SWINSNotSupported)
	}
	if isConfigCmd(p1) {
		defer k.mu.Unlock()
		k.apdus = append(k.apdus, append([]byte(nil), cmd...))
		_ = k.config(p1, data, true) // a refused write leaves the sequence as it was
		return sw(k.status().Bytes(), apdu.SWOK)
	}
	if k.needsTouch(p1) && k.noAuto {
		k.mu.Unlock()
		select {
		case <-k.touched:
		case <-time.After(TouchTimeout):
			return sw(nil, apdu.SWSecurityNotMet)
		}
		k.mu.Lock()
	}
	defer k.mu.Unlock()
	out, err := k.data(p1, data)
	if err != nil {
		return sw(nil, apdu.SWConditionsNotMet)
	}
	return sw(out, apdu.SWOK)
}

// APDU returns the key as an apdu.Transmitter, in process.
func (k *Key) APDU() apdu.Transmitter {
	return apdu.TransmitFunc(func(cmd []byte) ([]byte, error) { return k.Transmit(cmd), nil })
}
