package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	for _, c := range []struct {
		h  string
		d  time.Duration
		ok bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"Sat, 05 Dec 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sat, 05 Dec 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
		{"99999999", 24 * time.Hour, true},
	} {
		d, ok := ParseRetryAfter(c.h, t0)
		if d != c.d || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %t; want %s, %t", c.h, d, ok, c.d, c.ok)
		}
	}
}

func TestRetryHonoursRetryAfterAndBackoff(t *testing.T) {
	clk := &FakeClock{T: t0}
	r := &Retry{Clock: clk}
	n := 0
	err := r.Do(context.Background(), func() error {
		n++
		switch n {
		case 1:
			return &RateLimited{After: 7 * time.Second}
		case 2, 3:
			return &RateLimited{}
		}
		return nil
	})
	if err != nil || n != 4 {
		t.Fatalf("Do: %v after %d calls", err, n)
	}
	want := []time.Duration{7 * time.Second, time.Second, 2 * time.Second}
	if got := clk.Waits(); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("waits %v, want %v", got, want)
	}
}

func TestRetryOnlyRateLimits(t *testing.T) {
	clk := &FakeClock{T: t0}
	r := &Retry{Clock: clk}
	n := 0
	boom := errors.New("401 refused")
	if err := r.Do(context.Background(), func() error { n++; return boom }); err != boom || n != 1 {
		t.Fatalf("got %v after %d calls, want the error after one", err, n)
	}
	if len(clk.Waits()) != 0 {
		t.Fatal("waited for a non-429 error")
	}
}

func TestRetryBudget(t *testing.T) {
	clk := &FakeClock{T: t0}
	r := &Retry{Clock: clk, Budget: 10 * time.Second}
	n := 0
	err := r.Do(context.Background(), func() error { n++; return &RateLimited{After: 6 * time.Second} })
	if !errors.Is(err, ErrBudget) || n != 2 {
		t.Fatalf("got %v after %d calls, want ErrBudget after 2", err, n)
	}
	if r.Waited() != 6*time.Second {
		t.Fatalf("waited %s", r.Waited())
	}
	// Attempts bound too.
	r = &Retry{Clock: clk, Attempts: 3}
	n = 0
	if err := r.Do(context.Background(), func() error { n++; return &RateLimited{} }); !errors.Is(err, ErrBudget) || n != 3 {
		t.Fatalf("got %v after %d calls", err, n)
	}
}

func TestWindowLimitsActivations(t *testing.T) {
	clk := &FakeClock{T: t0}
	w := &Window{N: 200, Period: 5 * time.Minute, Clock: clk}
	var at []time.Time
	for i := 0; i < 450; i++ {
		if i%50 == 0 {
			clk.T = clk.T.Add(10 * time.Second) // some time passes between bursts
		}
		if err := w.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now())
	}
	// Any 200 consecutive+1 actions span at least the period.
	for i := 200; i < len(at); i++ {
		if d := at[i].Sub(at[i-200]); d < 5*time.Minute {
			t.Fatalf("actions %d and %d only %s apart: 201 in one window", i-200, i, d)
		}
	}
	if len(clk.Waits()) == 0 {
		t.Fatal("never waited")
	}
}

func TestReportJSONAndErr(t *testing.T) {
	var r Report
	r.Server, r.Endpoint = "duo", "api-x.duosecurity.com"
	r.Add(Result{Serial: "A1", Created: true, Attached: true, User: "ann", ObjectID: "D1"})
	r.Add(Result{Serial: "A2", Existed: true})
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	r.Add(Result{Serial: "A3", Error: "user bob not found"})
	if !errors.Is(r.Err(), ErrFailed) {
		t.Fatal("failure not reported")
	}
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Created != 1 || back.Existed != 1 || back.Failed != 1 || back.Attached != 1 || len(back.Results) != 3 {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	b.Reset()
	r.WriteText(&b)
	if !strings.Contains(b.String(), "1 created, 1 existed, 0 replaced, 1 attached, 0 activated, 1 failed") {
		t.Fatalf("text: %s", b.String())
	}
}
