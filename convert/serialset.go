package convert

import (
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"sort"
)

// serialSet remembers the serials seen in an input, compactly: 12 bytes
// per serial (a 64-bit hash, where a false duplicate needs a collision,
// about one chance in 10^7 at a million serials; and a 32-bit location of
// its first occurrence, for the message about a duplicate) in 256
// open-addressing tables, each kept between 3/8 and 3/4 full and grown on
// its own, so that memory grows smoothly without the spike of doubling one
// big table. Sized from the input file (reserve), a million serials take
// about 15 MiB.
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
	locs  []uint32 // per slot: where its entry was first seen (0: unknown)
	n     int
}

// slotBytes is the memory of one slot: its hash and its location.
const slotBytes = 8 + 4

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
	// Serials spread over the parts unevenly (binomially) and n is an
	// estimate: with room for the expected count only, half of the parts
	// would double near the end, old and new tables alive at once (the
	// peak of a million-row conversion was 7 MiB higher). Room for 6%
	// more, plus 4 standard deviations, leaves no part to grow.
	per := n/len(s.parts) + 1
	per += per/16 + 4*int(math.Sqrt(float64(per))) + 8
	size := max(64, (per*4/3+8)&^7) // 3/4 full once all are in
	for i := range s.parts {
		s.parts[i].slots = make([]uint64, size)
		s.parts[i].locs = make([]uint32, size)
	}
	s.bytes = size * slotBytes * len(s.parts)
	if s.onGrow != nil {
		s.onGrow(s.bytes)
	}
}

// add records the pair (ns, k) and reports whether it was new.
func (s *serialSet) add(ns, k string) bool {
	_, ok := s.addHash(s.hash(ns, k), 0)
	return ok
}

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

// addHash records a hash from hash, first seen at loc, and reports
// whether it was new; if not, first is where it was first seen. Calls in a
// tight loop overlap their cache misses.
func (s *serialSet) addHash(h uint64, loc uint32) (first uint32, ok bool) {
	p := &s.parts[h>>56]
	if p.slots == nil {
		p.slots, p.locs = make([]uint64, 64), make([]uint32, 64)
		s.bytes += 64 * slotBytes
	}
	if first, ok = p.insert(h, loc); !ok {
		return first, false
	}
	p.n++
	if p.n*4 > len(p.slots)*3 {
		s.bytes += len(p.slots) * slotBytes
		p.grow()
		if s.onGrow != nil {
			s.onGrow(s.bytes)
		}
	}
	return 0, true
}

// insert places h, seen at loc, in the part's table, or returns where it
// was first seen. Tables need not be a power of two: the slot comes from
// the hash's low 56 bits scaled to the table size.
func (p *setPart) insert(h uint64, loc uint32) (first uint32, ok bool) {
	n := uint64(len(p.slots))
	i, _ := bits.Mul64(h<<8, n)
	for {
		switch p.slots[i] {
		case 0:
			p.slots[i], p.locs[i] = h, loc
			return 0, true
		case h:
			return p.locs[i], false
		}
		if i++; i == n {
			i = 0
		}
	}
}

func (p *setPart) grow() {
	old, oldLocs := p.slots, p.locs
	p.slots, p.locs = make([]uint64, 2*len(old)), make([]uint32, 2*len(old))
	for i, h := range old {
		if h != 0 {
			p.insert(h, oldLocs[i])
		}
	}
}

// locations numbers the lines of a conversion's inputs in one 32-bit space
// (see serialSet): input i's line l is base(i)+l, each input starting
// after the last line of the one before. 0 is unknown, as is a line past
// the end of the space (4 billion lines).
type locations struct {
	names []string
	bases []uint32
	last  uint32 // the current input's highest location
}

// start begins a new input.
func (l *locations) start(name string) {
	base := uint32(0)
	if len(l.bases) > 0 {
		base = l.last
	}
	l.names = append(l.names, name)
	l.bases = append(l.bases, base)
	l.last = base
}

// at is the location of line in the current input.
func (l *locations) at(line int) uint32 {
	base := l.bases[len(l.bases)-1]
	if line <= 0 || uint64(line) > uint64(^uint32(0)-base) {
		return 0
	}
	loc := base + uint32(line)
	l.last = max(l.last, loc)
	return loc
}

// name names a location as file:line ("" when unknown).
func (l *locations) name(loc uint32) string {
	if loc == 0 {
		return ""
	}
	// The last input whose base is below loc.
	i := sort.Search(len(l.bases), func(i int) bool { return l.bases[i] >= loc }) - 1
	if i < 0 {
		return ""
	}
	return fmt.Sprintf("%s:%d", l.names[i], loc-l.bases[i])
}
