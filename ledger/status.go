package ledger

import (
	"context"
	"sort"
	"time"
)

// StationCount is how many current records one station holds, by state.
type StationCount struct {
	Station string        `json:"station"` // "" for records made before stations were recorded
	States  map[State]int `json:"states"`
	Total   int           `json:"total"`
}

// Status is a ledger's state across its stations.
type Status struct {
	Stations []StationCount `json:"stations"` // by station name
	// Stale are the pending records not updated for longer than asked:
	// a station that crashed, or lost its connection, mid-token.
	Stale []*Record `json:"stale,omitempty"`
}

// Status counts the current records per station and state, and lists the
// pending records not updated for staleAfter or longer (0: none listed).
func (l *Ledger) Status(ctx context.Context, staleAfter time.Duration) (*Status, error) {
	by := map[string]*StationCount{}
	st := &Status{}
	now := l.Now()
	err := l.s.List(ctx, Filter{}, func(r *Record) error {
		c := by[r.Station]
		if c == nil {
			c = &StationCount{Station: r.Station, States: map[State]int{}}
			by[r.Station] = c
		}
		c.States[r.State]++
		c.Total++
		if staleAfter > 0 && r.State == Pending && now.Sub(r.Updated) >= staleAfter {
			st.Stale = append(st.Stale, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, c := range by {
		st.Stations = append(st.Stations, *c)
	}
	sort.Slice(st.Stations, func(i, j int) bool { return st.Stations[i].Station < st.Stations[j].Station })
	return st, nil
}
