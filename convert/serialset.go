package convert

import "hash/maphash"

// serialSet remembers the serials seen in an input, compactly: 8 bytes per
// serial (a 64-bit hash; a false duplicate needs a collision, about one
// chance in 10^7 at a million serials) in an open-addressing table kept at
// most 3/4 full. A million serials take 16 MiB.
type serialSet struct {
	seed  maphash.Seed
	slots []uint64
	n     int
}

func newSerialSet() *serialSet {
	return &serialSet{seed: maphash.MakeSeed(), slots: make([]uint64, 1024)}
}

// add records s and reports whether it was new.
func (s *serialSet) add(k string) bool {
	h := maphash.String(s.seed, k)
	if h == 0 {
		h = 1
	}
	if s.insert(h) {
		s.n++
		if s.n*4 > len(s.slots)*3 {
			s.grow()
		}
		return true
	}
	return false
}

func (s *serialSet) insert(h uint64) bool {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			return true
		case h:
			return false
		}
	}
}

func (s *serialSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	for _, h := range old {
		if h != 0 {
			s.insert(h)
		}
	}
}
