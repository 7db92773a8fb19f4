package convert

import (
	"hash/maphash"
	"math/bits"
)

// serialSet remembers the serials seen in an input, compactly: 8 bytes per
// serial (a 64-bit hash; a false duplicate needs a collision, about one
// chance in 10^7 at a million serials) in 256 open-addressing tables, each
// kept between 3/8 and 3/4 full and grown on its own, so that memory
// grows smoothly without the spike of doubling one big table. Sized from
// the input file (reserve), a million serials take about 10 MiB.
type serialSet struct {
	seed  maphash.Seed
	ns    string // the last namespace and its hash
	nsh   uint64
	parts [256]setPart
	bytes int // memory held by the tables
	// onGrow, when set, is told the new size after a table grows.
	onGrow func(bytes int)
}

type setPart struct {
	slots []uint64
	n     int
}

func newSerialSet() *serialSet {
	s := &serialSet{seed: maphash.MakeSeed()}
	s.nsh = maphash.String(s.seed, "")
	return s
}

// reserve sizes the empty set for about n entries, so that a file of known
// size is not rehashed as it grows (rehashing cost a seventh of the time
// of a million-row conversion).
func (s *serialSet) reserve(n int) {
	if n <= 0 || s.bytes > 0 {
		return
	}
	per := n/len(s.parts) + 1
	size := max(64, (per*4/3+8)&^7) // 3/4 full once all are in
	for i := range s.parts {
		s.parts[i].slots = make([]uint64, size)
	}
	s.bytes = size * 8 * len(s.parts)
	if s.onGrow != nil {
		s.onGrow(s.bytes)
	}
}

// add records the pair (ns, k) and reports whether it was new.
func (s *serialSet) add(ns, k string) bool { return s.addHash(s.hash(ns, k)) }

// hash is the set's 64-bit hash of (ns, k), never 0.
func (s *serialSet) hash(ns, k string) uint64 {
	if ns != s.ns {
		s.ns, s.nsh = ns, maphash.String(s.seed, ns)
	}
	h := bits.RotateLeft64(maphash.String(s.seed, k), 29) ^ s.nsh
	if h == 0 {
		h = 1
	}
	return h
}

// addHash records a hash from hash and reports whether it was new. Calls
// in a tight loop overlap their cache misses.
func (s *serialSet) addHash(h uint64) bool {
	p := &s.parts[h>>56]
	if p.slots == nil {
		p.slots = make([]uint64, 64)
		s.bytes += 64 * 8
	}
	if !p.insert(h) {
		return false
	}
	p.n++
	if p.n*4 > len(p.slots)*3 {
		s.bytes += len(p.slots) * 8
		p.grow()
		if s.onGrow != nil {
			s.onGrow(s.bytes)
		}
	}
	return true
}

// insert places h in the part's table. Tables need not be a power of two:
// the slot comes from the hash's low 56 bits scaled to the table size.
func (p *setPart) insert(h uint64) bool {
	n := uint64(len(p.slots))
	i, _ := bits.Mul64(h<<8, n)
	for {
		switch p.slots[i] {
		case 0:
			p.slots[i] = h
			return true
		case h:
			return false
		}
		if i++; i == n {
			i = 0
		}
	}
}

func (p *setPart) grow() {
	old := p.slots
	p.slots = make([]uint64, 2*len(old))
	for _, h := range old {
		if h != 0 {
			p.insert(h)
		}
	}
}
