package molto2_test

import (
	"testing"

	simm2 "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

// BenchmarkFill100 burns all 100 profiles of an emulated Molto2 v2 in
// process (no PC/SC): the host-side cost of a full device.
func BenchmarkFill100(b *testing.B) {
	for b.Loop() {
		d := simm2.New(simm2.Options{})
		s, _ := molto2.NewSession(direct(d), molto2.Options{Profiles: molto2.ProfilesV2})
		for i := 0; i < molto2.ProfilesV2; i++ {
			if _, err := s.Burn(burnOf(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
