package ledger

import (
	"errors"
	"strings"
	"testing"
)

// TestAssignFileLineBound: an assignments file with an endless line (or a
// quote never closed) is refused with its line number, nothing assigned.
func TestAssignFileLineBound(t *testing.T) {
	t.Parallel()
	in := "serial,user\nAU1,alice\nAU2,\"" + strings.Repeat("b", 100000) + "\n"
	got, err := ReadAssignments(strings.NewReader(in), "handed-out.csv")
	if err == nil || !strings.Contains(err.Error(), "handed-out.csv: line 3: longer than 4096 bytes") || got != nil {
		t.Fatalf("%v, %v", got, err)
	}
	if strings.Contains(err.Error(), "bbbbbbbb") {
		t.Fatal("the line is repeated in the error")
	}
}

func TestReadAssignments(t *testing.T) {
	t.Parallel()
	in := "\ufeffSerial , User\n\n# handed out on Monday\nAU1, alice@example.com \nAU2,bob\n"
	got, err := ReadAssignments(strings.NewReader(in), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Assignment{{"AU1", "alice@example.com", "f.csv:4"}, {"AU2", "bob", "f.csv:5"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// No header: the first line is an assignment (a BOM is not part of it).
	if got, err := ReadAssignments(strings.NewReader("\ufeffAU1,alice\n"), "f.csv"); err != nil || len(got) != 1 || got[0].Serial != "AU1" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, c := range []struct{ in, want string }{
		{"serial,user\n", "f.csv: no serial,user lines"},
		{"# nothing\n\n", "f.csv: no serial,user lines"},
		{"AU1,alice\nAU2\nAU3,carol,extra\n", "f.csv:2: columns: 1, want serial,user\nf.csv:3: columns: 3, want serial,user"},
		{"AU1,\"alice\nAU2,bob\n", "f.csv:2: columns: extraneous or missing \" in quoted-field"},
	} {
		got, err := ReadAssignments(strings.NewReader(c.in), "f.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) || got != nil {
			t.Errorf("%q: %+v, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCheckUser(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]string{
		"alice@example.com":         "",
		"Zoë Ödegård":               "",
		"":                          "empty",
		strings.Repeat("u", 256):    "",
		strings.Repeat("u", 257):    "257 characters, at most 256",
		"alice\n@example.com":       "control character",
		"alice\x1b[31m@example.com": "control character",
		"alice\x7f":                 "control character",
	} {
		err := CheckUser(u)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("CheckUser(%q) = %v, want %q", u, err, want)
		}
	}
}

// TestAssignments: every assignment is checked before any is made; a
// problem anywhere assigns nothing; then all are made, each an event.
func TestAssignments(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	if _, errs := l.Import(ctx, []Source{src("v.csv", totp("AU1"), totp("AU2"))}, Entry{Batch: "b"}); errs != nil {
		t.Fatal(errs)
	}
	bad := []Assignment{
		{"AU1", "alice", "f:2"},
		{"AU9", "bob", "f:3"},
		{"AU1", "carol", "f:4"},
		{"AU2", "", "f:5"},
		{"A U", "dave", "f:6"},
	}
	probs, err := l.CheckAssignments(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"f:3: serial: AU9 is not in the ledger",
		"f:4: serial: AU1 given twice (first at f:2)",
		"f:5: user: empty",
		"f:6: serial: ",
	}
	if len(probs) != len(want) {
		t.Fatalf("problems %q, want %q", probs, want)
	}
	for i := range want {
		if !strings.HasPrefix(probs[i], want[i]) {
			t.Errorf("problem %d: %q, want %q", i, probs[i], want[i])
		}
	}
	if r, _ := l.Get(ctx, "AU1"); r.User != "" {
		t.Fatal("checking assigned a user")
	}
	good := []Assignment{{"AU1", "alice", "f:2"}, {"AU2", "bob", "f:3"}}
	if probs, err := l.CheckAssignments(ctx, good); err != nil || probs != nil {
		t.Fatalf("%q %v", probs, err)
	}
	recs, err := l.AssignAll(ctx, good, "op")
	if err != nil || len(recs) != 2 || recs[1].Serial != "AU2" || recs[1].User != "bob" {
		t.Fatalf("%v %v", recs, err)
	}
	h, err := l.TokenHistory(ctx, "AU2")
	if err != nil {
		t.Fatal(err)
	}
	if e := h.Events[len(h.Events)-1]; e.What != "assigned" || e.Operator != "op" || e.Detail != "bob" {
		t.Fatalf("last event %+v", e)
	}
	// A failure part-way says how far it got.
	_, err = l.AssignAll(ctx, []Assignment{{"AU1", "x", "a"}, {"AU9", "y", "b"}}, "op")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "assigning AU9 (1 of 2 done)") {
		t.Fatalf("%v", err)
	}
}
