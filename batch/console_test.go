package batch

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConsoleLines(t *testing.T) {
	var out, errw bytes.Buffer
	c := Config{Batch: "box-1"}
	Console{Out: &out, Err: &errw, Progress: true}.Attach(&c)
	c.Say("present the next token")
	c.OnResult(Result{Serial: "86596120001", Outcome: OutcomeFailed, Model: "OTPC-P1-i", Resumed: true, Error: "6982"})
	c.OnResult(Result{Outcome: OutcomeSkipped})
	c.OnProgress(Progress{Done: 3, Failed: 1, Remaining: -1, Rate: 2.5})
	Console{Out: &out, Err: &errw}.Finish(Summary{Batch: "box-1", Done: 3, Verified: 2, Failed: 1, Seconds: 61.6})
	want := "86596120001\tfailed\tOTPC-P1-i\t(resumed: same secret burned again)\t6982\n-\tskipped\n"
	if out.String() != want {
		t.Errorf("results:\n%q\nwant\n%q", out.String(), want)
	}
	wantErr := "present the next token\n[box-1] 3 done, 1 failed, 0 skipped, no count, 2.5 tokens/min\nbatch box-1: 3 programmed (2 verified), 1 failed, 0 skipped, 0 resumed, in 62 s\n"
	if errw.String() != wantErr {
		t.Errorf("operator lines:\n%q\nwant\n%q", errw.String(), wantErr)
	}
	out.Reset()
	c = Config{}
	Console{Out: &out, Err: &errw, JSON: true}.Attach(&c)
	if c.OnProgress != nil {
		t.Error("progress shown without a terminal")
	}
	c.OnResult(Result{N: 1, Serial: "7", Outcome: OutcomeVerified})
	if !strings.HasPrefix(out.String(), `{"n":1,"serial":"7","outcome":"verified"`) {
		t.Errorf("JSON result %s", out.String())
	}
}

func TestSerialsFromFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "serials.txt")
	os.WriteFile(p, []byte(" A1 \n\nB2\r\n"), 0o600)
	next, err := SerialsFromFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A1", "B2"} {
		if s, err := next(context.Background()); s != want || err != nil {
			t.Fatalf("got %q %v, want %q", s, err, want)
		}
	}
	if _, err := next(context.Background()); err == nil || !strings.Contains(err.Error(), "all 2 serials used") {
		t.Fatalf("past the end: %v", err)
	}
	if _, err := SerialsFromFile(p + ".none"); err == nil {
		t.Fatal("missing file accepted")
	}
}
