package entra

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/graphstandin"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/upload"
)

const bearer = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.test-token"

// a time 10 s into a 60 s step (and so into a 30 s one).
var start = time.Date(2026, 12, 5, 12, 0, 10, 0, time.UTC)

func newClient(t *testing.T, s *graphstandin.Server, mod func(*Config)) (*Client, *upload.FakeClock) {
	t.Helper()
	clk := &upload.FakeClock{T: start}
	s.Now = clk.Now
	cfg := Config{BaseURL: s.BaseURL(), Auth: StaticToken(bearer), RootCAs: s.CertPool(), Clock: clk, Activate: true}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func writes(log []string) int {
	n := 0
	for _, l := range log {
		if !strings.HasPrefix(l, "GET ") {
			n++
		}
	}
	return n
}

// An Entra file lands in the Graph stand-in: each device once with the
// right secret, step and hash; those with a user assigned and activated
// with a computed code; a 429's Retry-After honoured; a second run
// changes nothing.
func TestEntraFileToGraph(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	ann := s.AddUser("ann@contoso.com")
	bob := s.AddUser("bob@contoso.com")
	rows := uploadtest.EntraRows(9, []string{"ann@contoso.com", "bob@contoso.com"})
	toks, err := upload.Load(uploadtest.EntraFile(t, rows), "entra", nil, Check)
	if err != nil {
		t.Fatal(err)
	}
	s.Inject(graphstandin.Fault{Method: "POST", Path: devicesPath, Nth: 3, Status: 429, RetryAfter: "5"})
	s.Inject(graphstandin.Fault{Method: "POST", Path: "/users/" + bob + "/authentication/hardwareOathMethods", Nth: 1, Status: 429, RetryAfter: "Sat, 05 Dec 2026 12:00:30 GMT"})
	c, clk := newClient(t, s, nil)
	rep, err := c.Upload(context.Background(), toks)
	if err != nil || rep.Err() != nil {
		t.Fatalf("upload: %v / %v", err, rep.Err())
	}
	if rep.Created != 9 || rep.Attached != 5 || rep.Activated != 5 {
		t.Fatalf("report %+v", rep)
	}
	w := clk.Waits()
	if len(w) != 2 || w[0] != 5*time.Second || w[1] != 15*time.Second {
		t.Fatalf("waits %v, want [5s 15s] (Retry-After in seconds, then as a date: 12:00:30 seen at 12:00:15)", w)
	}
	devs := s.Devices()
	if len(devs) != 9 {
		t.Fatalf("%d devices, want 9", len(devs))
	}
	for _, r := range rows {
		var d *graphstandin.Device
		for i := range devs {
			if devs[i].Serial == r.Serial {
				if d != nil {
					t.Fatalf("%s twice", r.Serial)
				}
				d = &devs[i]
			}
		}
		if d == nil {
			t.Fatalf("%s lost", r.Serial)
		}
		sec, _ := seed.DecodeBase32(d.SecretKey)
		if !bytes.Equal(sec, r.Secret) || d.Interval != r.Period || d.Hash != "hmacsha1" || d.Manufacturer != "Token2" || d.Model != "C202" {
			t.Errorf("%s: step %d hash %s secret match %t", r.Serial, d.Interval, d.Hash, bytes.Equal(sec, r.Secret))
		}
		want := map[string]string{"ann@contoso.com": ann, "bob@contoso.com": bob}[r.UPN]
		if d.AssignedTo != want {
			t.Errorf("%s assigned to %q, want %q", r.Serial, d.AssignedTo, want)
		}
		if (want != "") != (d.Status == "activated" && d.Activations == 1) || (want == "" && d.Status != "available") {
			t.Errorf("%s: status %s, %d activations", r.Serial, d.Status, d.Activations)
		}
	}

	before := writes(s.Log())
	c2, _ := newClient(t, s, nil)
	rep, err = c2.Upload(context.Background(), toks)
	if err != nil || rep.Err() != nil || rep.Existed != 9 || rep.Created+rep.Attached+rep.Activated != 0 {
		t.Fatalf("second run: %v %+v", err, rep)
	}
	if writes(s.Log()) != before {
		t.Fatal("second run wrote")
	}
}

func TestBadTokenCreatesNothing(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	s.AddUser("ann@contoso.com")
	toks, err := upload.Load(uploadtest.EntraFile(t, uploadtest.EntraRows(3, []string{"ann@contoso.com"})), "entra", nil, Check)
	if err != nil {
		t.Fatal(err)
	}
	c, clk := newClient(t, s, func(c *Config) { c.Auth = StaticToken("expired-" + bearer) })
	rep, err := c.Upload(context.Background(), toks)
	if !errors.Is(err, ErrAuth) || rep.Err() == nil || len(s.Devices()) != 0 || len(s.Log()) != 1 || len(clk.Waits()) != 0 {
		t.Fatalf("err %v, %d devices, log %v", err, len(s.Devices()), s.Log())
	}
	if strings.Contains(err.Error(), bearer) {
		t.Fatal("token in the error")
	}
}

func TestForbiddenNamesPermission(t *testing.T) {
	for _, c := range []struct {
		deny, perm, role string
		devices          int
	}{
		{graphstandin.PermDevices, "Policy.ReadWrite.AuthenticationMethod", "Authentication Policy Administrator", 0},
		{graphstandin.PermMethods, "UserAuthenticationMethod.ReadWrite.All", "Authentication Administrator", 1},
	} {
		s := graphstandin.New(bearer)
		s.AddUser("ann@contoso.com")
		s.Deny(c.deny)
		toks := []*seed.Token{
			{Serial: "F1", Kind: seed.TOTP, Secret: uploadtest.Secret("F1"), User: "ann@contoso.com", Manufacturer: "M", Model: "X"},
			{Serial: "F2", Kind: seed.TOTP, Secret: uploadtest.Secret("F2"), User: "ann@contoso.com", Manufacturer: "M", Model: "X"},
		}
		var seen []upload.Result
		cl, _ := newClient(t, s, func(c *Config) { c.OnResult = func(r upload.Result) { seen = append(seen, r) } })
		rep, err := cl.Upload(context.Background(), toks)
		// A device made before the run stopped is reported (for the ledger).
		if c.devices == 1 && (len(seen) != 1 || !seen[0].Created || seen[0].ObjectID == "" || rep.Created != 1) {
			t.Errorf("deny %s: made device not reported: %+v", c.deny, seen)
		}
		if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), c.perm) || !strings.Contains(err.Error(), c.role) {
			t.Errorf("deny %s: %v", c.deny, err)
		}
		if len(s.Devices()) != c.devices {
			t.Errorf("deny %s: %d devices, want %d (the run stops)", c.deny, len(s.Devices()), c.devices)
		}
		s.Close()
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	s.AddUser("ann@contoso.com")
	toks := []*seed.Token{{Serial: "D1", Kind: seed.TOTP, Secret: uploadtest.Secret("D1"), User: "ann@contoso.com"}}
	c, _ := newClient(t, s, func(c *Config) { c.DryRun = true; c.Manufacturer, c.Model = "Token2", "C202" })
	rep, err := c.Upload(context.Background(), toks)
	if err != nil || strings.Join(rep.Results[0].Planned, ",") != "create,assign,activate" || writes(s.Log()) != 0 {
		t.Fatalf("%v %+v %v", err, rep.Results, s.Log())
	}
}

// A seed that does not match what the server holds fails activation once
// and is not retried; the activations stay under the window.
func TestActivationRefusedAndLimited(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	s.AddUser("ann@contoso.com")
	var toks []*seed.Token
	for _, sn := range []string{"L1", "L2", "L3", "L4"} {
		toks = append(toks, &seed.Token{Serial: sn, Kind: seed.TOTP, Secret: uploadtest.Secret(sn), User: "ann@contoso.com", Manufacturer: "M", Model: "X"})
	}
	c, clk := newClient(t, s, func(c *Config) { c.Activations = &upload.Window{N: 3, Period: 5 * time.Minute} })
	rep, err := c.Upload(context.Background(), toks)
	if err != nil || rep.Activated != 4 {
		t.Fatalf("%v %+v", err, rep)
	}
	if w := clk.Waits(); len(w) != 1 || w[0] != 5*time.Minute {
		t.Fatalf("waits %v, want one of 5m before the 4th activation", w)
	}
	if ActivationLimit.N != 200 || ActivationLimit.Period != 5*time.Minute {
		t.Fatal("Microsoft's limit is 200 per 5 minutes")
	}

	// Wrong seed: the device was made with another secret.
	bad := &seed.Token{Serial: "W1", Kind: seed.TOTP, Secret: uploadtest.Secret("W1"), User: "ann@contoso.com", Manufacturer: "M", Model: "X"}
	c, _ = newClient(t, s, func(c *Config) { c.Activate = false })
	if _, err := c.Upload(context.Background(), []*seed.Token{bad}); err != nil {
		t.Fatal(err)
	}
	other := *bad
	other.Secret = uploadtest.Secret("not W1")
	c, _ = newClient(t, s, nil)
	rep, err = c.Upload(context.Background(), []*seed.Token{&other})
	if err != nil || rep.Failed != 1 || !strings.Contains(rep.Results[0].Error, "activating") {
		t.Fatalf("%v %+v", err, rep.Results)
	}
	n := 0
	for _, l := range s.Log() {
		if strings.HasSuffix(strings.Fields(l)[1], "/activate") && strings.HasSuffix(l, " 400") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d refused activations, want 1 (no retry)", n)
	}
}

// A lookup that misses a device that is there (replication lag) meets
// Graph's 409: the device is looked up again and kept, not made twice.
func TestLookupMissDoesNotDouble(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	tok := &seed.Token{Serial: "C1", Kind: seed.TOTP, Secret: uploadtest.Secret("C1"), Manufacturer: "M", Model: "X"}
	c, _ := newClient(t, s, nil)
	if _, err := c.Upload(context.Background(), []*seed.Token{tok}); err != nil {
		t.Fatal(err)
	}
	s.Inject(graphstandin.Fault{Method: "GET", Path: devicesPath, Empty: true})
	rep, err := c.Upload(context.Background(), []*seed.Token{tok})
	if err != nil || rep.Err() != nil || rep.Existed != 1 || rep.Created != 0 || len(s.Devices()) != 1 {
		t.Fatalf("%v %+v %d", err, rep, len(s.Devices()))
	}
}

// A Graph message that echoes the secret key does not carry it into the
// report.
func TestEchoedSecretKey(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	tok := &seed.Token{Serial: "E1", Kind: seed.TOTP, Secret: uploadtest.Secret("E1"), Manufacturer: "M", Model: "X"}
	b32 := seed.EncodeBase32(tok.Secret)
	s.Inject(graphstandin.Fault{Method: "POST", Path: devicesPath, Status: 400, Message: "Invalid value '" + b32 + "' for secretKey"})
	c, _ := newClient(t, s, nil)
	rep, err := c.Upload(context.Background(), []*seed.Token{tok})
	var out bytes.Buffer
	rep.WriteJSON(&out)
	if err != nil || rep.Failed != 1 || strings.Contains(out.String(), b32) || !strings.Contains(out.String(), "secretKey") {
		t.Fatalf("%v %s", err, out.String())
	}
}

func TestCheckFill(t *testing.T) {
	tok := &seed.Token{Serial: "F1", Kind: seed.TOTP, Secret: uploadtest.Secret("F1")}
	if len(Check(tok)) == 0 {
		t.Fatal("no manufacturer and model passed Check")
	}
	if p := CheckFill("Token2", "C202")(tok); len(p) != 0 || tok.Manufacturer != "Token2" || tok.Model != "C202" {
		t.Fatalf("%v %s %s", p, tok.Manufacturer, tok.Model)
	}
}

// In the last seconds of a time step the code is computed for the next
// one: with 2 s between computing and Graph's check, a code of the
// ending step would be refused.
func TestActivationWaitsOutAnEndingStep(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	s.AddUser("ann@contoso.com")
	tok := &seed.Token{Serial: "B1", Kind: seed.TOTP, Secret: uploadtest.Secret("B1"), User: "ann@contoso.com", Manufacturer: "M", Model: "X"}
	c, clk := newClient(t, s, nil)
	clk.T = time.Date(2026, 12, 5, 12, 0, 28, 500e6, time.UTC) // 1.5 s left in the step
	s.Now = func() time.Time { return clk.Now().Add(2 * time.Second) }
	rep, err := c.Upload(context.Background(), []*seed.Token{tok})
	if err != nil || rep.Activated != 1 {
		t.Fatalf("%v %+v", err, rep.Results)
	}
	if w := clk.Waits(); len(w) != 1 || w[0] != 1501*time.Millisecond {
		t.Fatalf("waits %v, want 1.501s", w)
	}
}

func TestUntrustedServerRefused(t *testing.T) {
	s := graphstandin.New(bearer)
	defer s.Close()
	c, _ := newClient(t, s, func(c *Config) { c.RootCAs = nil })
	_, err := c.Upload(context.Background(), []*seed.Token{{Serial: "U1", Kind: seed.TOTP, Secret: uploadtest.Secret("U1"), Manufacturer: "M", Model: "X"}})
	if !errors.Is(err, upload.ErrTransport) || !strings.Contains(err.Error(), "certificate") || len(s.Log()) != 0 {
		t.Fatalf("%v, log %v", err, s.Log())
	}
}
