package seed

import (
	"encoding/json"
	"testing"
	"time"
)

// TestCodeReport: RFC 6238 and RFC 4226 vectors, with the step, the
// seconds left and the counter the JSON report gives.
func TestCodeReport(t *testing.T) {
	rfc := []byte("12345678901234567890")
	at := time.Unix(59, 0)
	r, err := (&Token{Kind: TOTP, Hash: SHA1, Digits: 8, Period: 30, Secret: rfc, Serial: "S1"}).CodeReport(at)
	if err != nil || r.Code != "94287082" || *r.Step != 1 || r.ValidForSeconds != 1 || r.Time != "1970-01-01T00:00:59Z" || r.Counter != nil || r.Serial != "S1" {
		t.Fatalf("totp: %v %+v", err, r)
	}
	h := &Token{Kind: HOTP, Hash: SHA1, Digits: 6, Counter: 9, Secret: rfc}
	r, err = h.CodeReport(at)
	if err != nil || r.Code != "520489" || *r.Counter != 9 || r.Step != nil || r.Time != "" {
		t.Fatalf("hotp: %v %+v", err, r)
	}
	h.Counter = 1
	if *r.Counter != 9 {
		t.Errorf("the report shares the token's counter")
	}
}

// TestCheckReport: the JSON of a drift found, and of no match.
func TestCheckReport(t *testing.T) {
	rfc := []byte("12345678901234567890")
	tok := &Token{Kind: TOTP, Hash: SHA1, Digits: 8, Period: 30, Secret: rfc}
	m, err := tok.Match("94287082", time.Unix(59+90, 0), -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m.Report("X", false))
	want := `{"serial":"X","kind":"totp","match":true,"window":10,"time":"1970-01-01T00:02:29Z","period":30,"step":4,"offset_steps":-3,"drift_seconds":-90,"message":"matches step -3 (-90 s): the token's clock is 90 s slow"}`
	if string(b) != want {
		t.Errorf("totp:\n got %s\nwant %s", b, want)
	}
	tok = &Token{Kind: HOTP, Hash: SHA1, Digits: 6, Counter: 2, Secret: rfc}
	if m, err = tok.Match("254676", time.Time{}, 5); err != nil { // counter 5
		t.Fatal(err)
	}
	b, _ = json.Marshal(m.Report("", false))
	want = `{"kind":"hotp","match":true,"window":5,"counter":2,"offset":3,"match_counter":5,"next_counter":6,"message":"matches counter 5 (offset +3 from 2): the token was pressed 3 times without a login; next code at counter 6"}`
	if string(b) != want {
		t.Errorf("hotp:\n got %s\nwant %s", b, want)
	}
	if m, _ = tok.Match("000000", time.Time{}, 1); m.Report("", false).Match || m.Report("", false).Offset != nil {
		t.Errorf("no match reported as one: %+v", m.Report("", false))
	}
}
