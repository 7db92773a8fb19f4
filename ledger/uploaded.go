package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// LabelUploadedPrefix starts the labels that say where a token is live:
// "uploaded.duo" = "OBJECT-ID TIME" (the server's id of the token and when
// it was uploaded, RFC 3339).
const LabelUploadedPrefix = "uploaded."

// MarkUploaded records that the current record of serial was created (or
// found) on server as objectID at at: the label uploaded.SERVER, and an
// event. The label is authenticated with the record, like the others.
func (l *Ledger) MarkUploaded(ctx context.Context, serial, server, objectID string, at time.Time, operator string) (*Record, error) {
	if server == "" || strings.ContainsAny(server, " \t\n") {
		return nil, fmt.Errorf("upload server name %q", server)
	}
	cur, err := l.s.Current(ctx, serial)
	if err != nil {
		return nil, err
	}
	value := strings.TrimSpace(objectID + " " + at.UTC().Format(time.RFC3339))
	return l.update(ctx, cur.ID, Event{What: "uploaded", Operator: operator, At: l.Now(), Detail: server + " " + objectID}, func(x *Record) error {
		if !x.Current() {
			return &StateError{Record: x, Op: "mark uploaded"}
		}
		if x.Labels == nil {
			x.Labels = map[string]string{}
		}
		x.Labels[LabelUploadedPrefix+server] = value
		return nil
	})
}

// Uploaded lists where r is live: server → "OBJECT-ID TIME".
func (r *Record) Uploaded() map[string]string {
	out := map[string]string{}
	for k, v := range r.Labels {
		if s, ok := strings.CutPrefix(k, LabelUploadedPrefix); ok {
			out[s] = v
		}
	}
	return out
}
