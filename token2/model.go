package token2

import (
	"errors"
	"fmt"
	"strings"
)

// Model is one programmable single-profile Token2 model.
type Model struct {
	Prefix string // serial prefix that identifies it
	Name   string // e.g. "OTPC-P2-i"
	// Restricted models erase their seed on every configuration write, so
	// a time sync there must be followed by a seed write (a re-burn).
	Restricted bool
}

// SyncClass names the model's time-sync behaviour.
func (m Model) SyncClass() string {
	if m.Restricted {
		return "restricted"
	}
	return "unrestricted"
}

// Models is the model map of reference §1; Lookup uses the longest prefix.
var Models = []Model{
	{"8659612", "OTPC-P1-i", false},
	{"8659622", "OTPC-P2-i", true},
	{"8659621", "OTPC-P2-i-NB", true},
	{"8659600", "miniOTP-2-i", false},
	{"8659601", "miniOTP-3-i", true},
	{"8659609", "miniOTP-3-i-NB", true},
	{"8659610", "C301-i", true},
	{"8659632", "C302-i", false},
}

// ErrUnknownModel is a serial whose prefix is not a known programmable
// model (for example C202/C203 tokens, which cannot be programmed).
var ErrUnknownModel = errors.New("not a known programmable Token2 model")

// Lookup finds the model of serial by the longest matching prefix.
func Lookup(serial string) (Model, error) {
	best := -1
	for i, m := range Models {
		if strings.HasPrefix(serial, m.Prefix) && (best < 0 || len(m.Prefix) > len(Models[best].Prefix)) {
			best = i
		}
	}
	if best < 0 {
		return Model{}, fmt.Errorf("serial %s: %w; refusing to write to it", serial, ErrUnknownModel)
	}
	return Models[best], nil
}
