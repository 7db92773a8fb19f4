package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/convert"
)

func TestHistories(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	for _, s := range []string{"1001", "1002"} {
		if _, err := l.Reserve(ctx, totp(s), Entry{Family: Token2, Batch: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	hs, err := l.Histories(ctx, []string{"1002", "9", "1001", "8"})
	var me *MissingError
	if !errors.As(err, &me) || !errors.Is(err, ErrNotFound) || err.Error() != "not in the ledger: 9, 8" {
		t.Fatalf("missing: %v", err)
	}
	if len(hs) != 2 || hs[0].Serial != "1002" || hs[1].Serial != "1001" {
		t.Fatalf("histories %v", hs)
	}
	var one, two strings.Builder
	hs[0].Describe(&one)
	hs[1].Describe(&two)
	if got := hs.String(); got != one.String()+"\n"+two.String() {
		t.Fatalf("text %q", got)
	}
	if hs, err := l.Histories(ctx, []string{"7"}); hs == nil || len(hs) != 0 || err == nil {
		t.Fatalf("none found: %v %v", hs, err)
	}
}

func TestStatusString(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	st := &Status{
		Stations: []StationCount{{Station: "", States: map[State]int{Verified: 2, Pending: 1}, Total: 3}, {Station: "s1", States: map[State]int{Failed: 1}, Total: 1}},
		Stale:    []*Record{{Serial: "1001", Updated: at, Station: "s1"}},
	}
	want := "-                        3  [pending 1 verified 2]\n" +
		"s1                       1  [failed 1]\n" +
		"stale: 1001 pending since 2026-12-05T10:00:00Z on s1\n"
	if got := st.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCopySummary(t *testing.T) {
	t.Parallel()
	r := CopyResult{Records: 3, Events: 5}
	if got := r.Summary("postgres://u:secret@db/x"); got != "copied 3 records, 5 events and the metadata to postgres://u:xxxxx@db/x; compared field by field with the source (this machine does not know the ledger's key)\n" {
		t.Fatalf("%q", got)
	}
	r.Authenticated = true
	if got := r.Summary("b.ledger"); !strings.HasSuffix(got, "b.ledger; every record's authentication checked\n") {
		t.Fatalf("%q", got)
	}
}

// TestVerifyAll: every failing record is named, and counted in the error.
func TestVerifyAll(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	for _, s := range []string{"1001", "1002", "1003"} {
		if _, err := l.Reserve(ctx, totp(s), Entry{Family: Token2}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := l.VerifyAll(ctx)
	if err != nil || rep.Failed != 0 || rep.Head.Records != 3 || rep.String() != "3 records authentic; head #3, digest "+rep.Head.Digest+"\n" {
		t.Fatalf("%+v %v", rep, err)
	}
	db := l.Store().(*SQLite).DB()
	if _, err := db.Exec(`UPDATE tokens SET batch = 'forged' WHERE serial IN ('1001', '1003')`); err != nil {
		t.Fatal(err)
	}
	rep, err = l.VerifyAll(ctx)
	if err == nil || err.Error() != "2 of 3 records fail authentication" || rep.Failed != 2 || len(rep.Problems) != 2 || !strings.Contains(rep.Problems[0], "1001") {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestAssignChecked(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	if _, err := l.Reserve(ctx, totp("1001"), Entry{Family: Token2}); err != nil {
		t.Fatal(err)
	}
	as, err := Assignments("", nil, " 1001 ", " alice@example.com ")
	if err != nil || len(as) != 1 || as[0] != (Assignment{Serial: "1001", User: "alice@example.com", Where: "argument"}) {
		t.Fatalf("%v %v", as, err)
	}
	if _, err := Assignments("", nil, "1001"); !usage(err) {
		t.Fatalf("one argument: %v", err)
	}
	if _, err := Assignments("a.csv", nil, "1001", "bob"); !usage(err) || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("file and arguments: %v", err)
	}
	file := filepath.Join(t.TempDir(), "a.csv")
	os.WriteFile(file, []byte("serial,user\n1001,bob\n9,carol\n"), 0o600)
	bad, err := Assignments(file, nil)
	if err != nil || len(bad) != 2 || bad[1].Where != file+":3" {
		t.Fatalf("file: %v %v", bad, err)
	}
	fromStdin, err := Assignments("-", strings.NewReader("1001,bob\n"))
	if err != nil || len(fromStdin) != 1 || fromStdin[0].Where != "<stdin>:1" {
		t.Fatalf("stdin: %v %v", fromStdin, err)
	}
	_, err = l.AssignChecked(ctx, bad, "op")
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || !strings.Contains(pe.Problems[0], "9 is not in the ledger") || err.Error() != "1 problem: nothing assigned" {
		t.Fatalf("problems: %v", err)
	}
	if r, _ := l.Get(ctx, "1001"); r.User != "" {
		t.Fatal("assigned despite a problem")
	}
	done, err := l.AssignChecked(ctx, as, "op")
	if err != nil || len(done) != 1 || done[0].Serial != "1001" || done[0].User != "alice@example.com" || done[0].Record == 0 {
		t.Fatalf("%v %v", done, err)
	}
}

// TestImportFilesExportTo: seed files in, detected or named, and back
// out: the default selection is programmed and verified; nothing
// selected is ErrNoneSelected, with no file written.
func TestImportFilesExportTo(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("86596120001,48656C6C6F21DEADBEEF48656C6C6F21DEADBEEF,30\n"), 0o600)
	o := &convert.Options{Model: "c202", Stdin: strings.NewReader("86596120002,48656C6C6F21DEADBEEF48656C6C6F21DEADBEEF,60\n")}
	rep, err := l.ImportFiles(ctx, []string{in, "-"}, "duo-totp", o, Entry{})
	if err != nil || rep.Imported != 2 || rep.Replaced != 0 || !strings.HasPrefix(rep.Batch, "import-") {
		t.Fatalf("%+v %v", rep, err)
	}
	if r, _ := l.Get(ctx, "86596120002"); r.Source != "<stdin>" || r.Model != "c202" || r.State != Programmed || r.Family != Imported {
		t.Fatalf("record %+v", r)
	}
	if got := rep.String(); got != "2 tokens recorded in batch "+rep.Batch+"\n" {
		t.Fatalf("%q", got)
	}
	// All or nothing: a serial already there is a problem, nothing recorded.
	rep, err = l.ImportFiles(ctx, []string{in}, "duo-totp", &convert.Options{}, Entry{Batch: "again"})
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || err.Error() != "1 problem: nothing recorded" || rep.Imported != 0 || rep.Batch != "again" {
		t.Fatalf("again: %+v %v", rep, err)
	}
	if _, err := l.ImportFiles(ctx, []string{filepath.Join(dir, "missing.csv")}, "", &convert.Options{}, Entry{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}

	out := filepath.Join(dir, "out.csv")
	if _, err := l.ExportTo(ctx, Filter{States: []State{Pending}}, out, "duo-totp", &convert.Options{}, nil); !errors.Is(err, ErrNoneSelected) {
		t.Fatalf("none selected: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("file written for an empty selection")
	}
	if _, err := l.Reserve(ctx, totp("1003"), Entry{Family: Token2}); err != nil { // pending: not exported by default
		t.Fatal(err)
	}
	er, err := l.ExportTo(ctx, Filter{}, out, "duo-totp", &convert.Options{}, nil)
	if err != nil || er.Written != 2 {
		t.Fatalf("export: %+v %v", er, err)
	}
	b, _ := os.ReadFile(out)
	if s := string(b); !strings.Contains(s, "86596120001,48656C6C6F21DEADBEEF48656C6C6F21DEADBEEF,30") || strings.Contains(s, "1003") {
		t.Fatalf("exported %q", s)
	}
	// ExportJob: selection and format as a user types them; a bad name is
	// a usage error starting with its flag.
	var ue interface{ UsageError() bool }
	for want, j := range map[string]*ExportJob{`--to "nope": unknown format`: {To: "nope"}, "--state": {To: "duo-totp", Selection: Selection{States: []string{"gone"}}}} {
		if err := j.Check(); !errors.As(err, &ue) || !ue.UsageError() || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
	job := &ExportJob{Selection: Selection{Serials: []string{"86596120002"}}, To: "duo-totp", Out: filepath.Join(dir, "job.csv"), Options: &convert.Options{}}
	if er, err := job.Run(ctx, l); err != nil || er.Written != 1 {
		t.Fatalf("job: %+v %v", er, err)
	}
	if b, _ := os.ReadFile(job.Out); !strings.Contains(string(b), "86596120002,") || strings.Contains(string(b), "86596120001") {
		t.Fatalf("job exported %q", b)
	}
}

// TestExportTokens: the selection an upload takes is export's: by
// default the programmed and verified tokens (not a pending or failed
// one, whose seed may be on no token), secrets opened; a state given
// overrides it; nothing selected is ErrNoneSelected.
func TestExportTokens(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	recs := map[string]*Record{}
	for _, s := range []string{"1001", "1002", "1003", "1004"} {
		r, err := l.Reserve(ctx, totp(s), Entry{Family: Token2})
		if err != nil {
			t.Fatal(err)
		}
		recs[s] = r
	}
	p, err := l.MarkProgrammed(ctx, recs["1001"], "op")
	if err == nil {
		_, err = l.MarkProgrammed(ctx, recs["1002"], "op")
	}
	if err == nil {
		_, err = l.MarkVerified(ctx, p, "op")
	}
	if err == nil {
		_, err = l.MarkFailed(ctx, recs["1004"], "op", "broken")
	}
	if err != nil {
		t.Fatal(err)
	}
	serials := func(f Filter) (got []string, err error) {
		toks, err := l.ExportTokens(ctx, f, nil)
		for _, tk := range toks {
			if len(tk.Secret) == 0 {
				t.Errorf("%s: no secret", tk.Serial)
			}
			got = append(got, tk.Serial)
			tk.Wipe()
		}
		slices.Sort(got)
		return got, err
	}
	if got, err := serials(Filter{}); err != nil || !slices.Equal(got, []string{"1001", "1002"}) {
		t.Fatalf("default selection: %v %v", got, err)
	}
	if got, err := serials(Filter{States: []State{Pending, Failed}}); err != nil || !slices.Equal(got, []string{"1003", "1004"}) {
		t.Fatalf("pending, failed: %v %v", got, err)
	}
	if got, err := serials(Filter{Batch: "none"}); !errors.Is(err, ErrNoneSelected) || got != nil {
		t.Fatalf("nothing selected: %v %v", got, err)
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	l, _, _ := newLedger(t, CreateOptions{})
	for _, s := range []string{"1001", "1002"} {
		if _, err := l.Reserve(ctx, totp(s), Entry{Family: Token2, Batch: "b" + s}); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	n, err := l.WriteTable(ctx, Filter{Batch: "b1002"}, &b)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if err != nil || n != 1 || len(lines) != 2 || !strings.HasPrefix(lines[0], "SERIAL ") || !strings.HasPrefix(lines[1], "1002 ") {
		t.Fatalf("%d %v\n%s", n, err, b.String())
	}
}
