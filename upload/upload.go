// Package upload is what the server uploads (Duo Admin API, Microsoft
// Graph) share: the report of a run (created, existed, replaced, attached,
// activated, failed), its JSON form, the reading and checking of the input
// file before anything is sent, and the retry of rate-limited requests
// (429, honouring Retry-After within a bounded budget) and the sliding
// window that keeps activations under a server's limit. Time is injected
// (Clock), so tests see every wait without sleeping.
//
// The servers themselves live in upload/duo and upload/entra; local HTTPS
// stand-ins for their tests live in upload/internal.
package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tokenctl/tokenctl/seed"
)

// ErrFailed is wrapped by Report.Err when some token could not be
// uploaded, attached or activated (the run went on with the others).
var ErrFailed = errors.New("upload incomplete")

// Result is what happened to one token.
type Result struct {
	Serial string `json:"serial"`
	// Type is the server's name for the token's type (Duo: h6, t8, yk...;
	// Entra: hmacsha1/30s...).
	Type string `json:"type,omitempty"`
	// User is the user named in the file; UserID the server's id of it.
	User   string `json:"user,omitempty"`
	UserID string `json:"user_id,omitempty"`
	// ObjectID is the server's id of the token (Duo token_id, Graph
	// device id): what the ledger records as "live on this server".
	ObjectID string `json:"object_id,omitempty"`

	Created   bool `json:"created"`   // made by this run
	Existed   bool `json:"existed"`   // the serial was already there (left as it was)
	Replaced  bool `json:"replaced"`  // was there, deleted and made again (--replace)
	Attached  bool `json:"attached"`  // assigned to User by this run
	Activated bool `json:"activated"` // activated by this run (Entra)

	// Planned lists what a dry run would do: "create", "replace",
	// "attach", "activate".
	Planned []string `json:"planned,omitempty"`
	// Note says something worth knowing that is not a failure (why an
	// existing token was kept, that it was already attached...).
	Note string `json:"note,omitempty"`
	// Error is why the token failed; it never contains a secret.
	Error string `json:"error,omitempty"`
	// At is when the last change to the token was made (or looked up).
	At time.Time `json:"time"`
}

// Failed reports whether the token failed.
func (r *Result) Failed() bool { return r.Error != "" }

// Report is what one upload run did.
type Report struct {
	Server   string   `json:"server"`   // "duo" or "entra"
	Endpoint string   `json:"endpoint"` // API host or base URL
	DryRun   bool     `json:"dry_run"`
	Results  []Result `json:"results"`

	Created   int `json:"created"`
	Existed   int `json:"existed"`
	Replaced  int `json:"replaced"`
	Attached  int `json:"attached"`
	Activated int `json:"activated"`
	Failed    int `json:"failed"`
	// Aborted is why the run stopped before the end (a refused
	// credential, a missing permission, the retry budget spent); the
	// tokens after the one that stopped it have no Result.
	Aborted string `json:"aborted,omitempty"`
}

// Add records one token's result and counts it.
func (r *Report) Add(res Result) {
	r.Results = append(r.Results, res)
	if res.Created {
		r.Created++
	}
	if res.Existed {
		r.Existed++
	}
	if res.Replaced {
		r.Replaced++
	}
	if res.Attached {
		r.Attached++
	}
	if res.Activated {
		r.Activated++
	}
	if res.Failed() {
		r.Failed++
	}
}

// Err is nil when every token went through; otherwise it wraps ErrFailed
// and says how many failed (and why the run stopped, if it did).
func (r *Report) Err() error {
	switch {
	case r.Aborted != "":
		return fmt.Errorf("%w: %s (%d token(s) done before)", ErrFailed, r.Aborted, len(r.Results))
	case r.Failed > 0:
		return fmt.Errorf("%w: %d of %d token(s) failed", ErrFailed, r.Failed, len(r.Results))
	}
	return nil
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// WriteText writes one line per token and a summary, for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, res := range r.Results {
		var what []string
		switch {
		case res.Failed():
			what = append(what, "FAILED: "+res.Error)
		case len(res.Planned) > 0:
			what = append(what, "would "+strings.Join(res.Planned, ", "))
		}
		if res.Replaced {
			what = append(what, "replaced")
		} else if res.Created {
			what = append(what, "created")
		}
		if res.Existed && !res.Replaced {
			what = append(what, "existed")
		}
		if res.Attached {
			what = append(what, "attached to "+res.User)
		}
		if res.Activated {
			what = append(what, "activated")
		}
		if res.Note != "" {
			what = append(what, res.Note)
		}
		if len(what) == 0 {
			what = append(what, "nothing to do")
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", res.Serial, res.Type, strings.Join(what, "; "))
	}
	dry := ""
	if r.DryRun {
		dry = " (dry run: nothing changed)"
	}
	fmt.Fprintf(&b, "%s %s: %d created, %d existed, %d replaced, %d attached, %d activated, %d failed%s\n",
		r.Server, r.Endpoint, r.Created, r.Existed, r.Replaced, r.Attached, r.Activated, r.Failed, dry)
	if r.Aborted != "" {
		fmt.Fprintf(&b, "stopped: %s\n", r.Aborted)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Each uploads tokens one after the other with one, the server's step for
// a token, adding each result to rep and passing it to onResult (when
// set) as soon as it is known. A failure of one token alone is in its
// result; an error fatal says ends the run (refused credentials, the
// retry budget, the context): it is returned, and a token made on the
// server before the run stopped is still reported (failed), so that it is
// not lost.
func Each(ctx context.Context, rep *Report, tokens []*seed.Token, clock Clock, onResult func(Result),
	one func(context.Context, *seed.Token) (Result, error), fatal func(error) bool) (*Report, error) {
	add := func(res Result) {
		if res.At.IsZero() {
			res.At = clock.Now()
		}
		rep.Add(res)
		if onResult != nil {
			onResult(res)
		}
	}
	for _, t := range tokens {
		res, err := one(ctx, t)
		if err != nil && fatal(err) {
			rep.Aborted = err.Error()
			if res.Created || res.Replaced {
				res.Error, res.At = err.Error(), clock.Now()
				add(res)
			}
			return rep, err
		}
		if err != nil {
			res.Error = err.Error()
		}
		add(res)
	}
	return rep, nil
}

// Write writes the report as JSON (WriteJSON) or for people (WriteText);
// a nil report (nothing sent), nothing.
func (r *Report) Write(w io.Writer, asJSON bool) error {
	if r == nil {
		return nil
	}
	if asJSON {
		return r.WriteJSON(w)
	}
	return r.WriteText(w)
}
