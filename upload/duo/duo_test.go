package duo

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	duoapi "github.com/duosecurity/duo_api_golang"

	"github.com/tokenctl/tokenctl/internal/duostandin"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/upload"
)

const (
	ikey = "DIWJ8X6AEYOR5OMC6TQ1"
	skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
)

func newClient(t *testing.T, s *duostandin.Server, mod func(*Config)) (*Client, *upload.FakeClock) {
	t.Helper()
	clk := &upload.FakeClock{T: time.Now()}
	cfg := Config{Host: s.Host(), IKey: ikey, SKey: skey, RootCAs: s.CertPool(), Clock: clk}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func posts(log []string) int {
	n := 0
	for _, l := range log {
		if strings.HasPrefix(l, "POST ") || strings.HasPrefix(l, "DELETE ") {
			n++
		}
	}
	return n
}

// An Entra file, some tokens with users (one by alias), lands in Duo once
// each, right type, step and secret, attached; a 429 with Retry-After in
// the middle of the creates and one without in the middle of the attaches
// lose and double nothing; a second run changes nothing.
func TestEntraFileToDuo(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	ann := s.AddUser("ann", "ann@contoso.com")
	bob := s.AddUser("bob@contoso.com")
	rows := uploadtest.EntraRows(9, []string{"ann@contoso.com", "bob@contoso.com"})
	toks, err := upload.Load(uploadtest.EntraFile(t, rows), "entra", nil, Check)
	if err != nil {
		t.Fatal(err)
	}
	s.Inject(duostandin.Fault{Method: "POST", Path: "/admin/v1/tokens", Nth: 4, Status: 429, RetryAfter: "7"})
	s.Inject(duostandin.Fault{Method: "POST", Path: "/admin/v1/users/" + bob + "/tokens", Nth: 1, Status: 429})
	c, clk := newClient(t, s, nil)
	rep, err := c.Upload(context.Background(), toks)
	if err != nil || rep.Err() != nil {
		t.Fatalf("upload: %v / %v", err, rep.Err())
	}
	if rep.Created != 9 || rep.Attached != 5 || rep.Failed != 0 {
		t.Fatalf("report %+v", rep)
	}
	// bob's first attach comes before the fourth create.
	if w := clk.Waits(); len(w) != 2 || w[0] != time.Second || w[1] != 7*time.Second {
		t.Fatalf("waits %v, want [1s 7s] (backoff, then Retry-After)", w)
	}
	got := s.Tokens()
	if len(got) != 9 || s.Creates() != 9 {
		t.Fatalf("%d tokens, %d creates, want 9 once each", len(got), s.Creates())
	}
	for i, r := range rows {
		var g *duostandin.Token
		for j := range got {
			if got[j].Serial == r.Serial {
				if g != nil {
					t.Fatalf("%s twice", r.Serial)
				}
				g = &got[j]
			}
		}
		if g == nil {
			t.Fatalf("%s lost", r.Serial)
		}
		if g.Type != "t6" || g.TOTPStep != r.Period || g.Secret != hex.EncodeToString(r.Secret) {
			t.Errorf("%s: type %s step %d secret match %t", r.Serial, g.Type, g.TOTPStep, g.Secret == hex.EncodeToString(r.Secret))
		}
		want := ""
		switch r.UPN {
		case "ann@contoso.com":
			want = ann
		case "bob@contoso.com":
			want = bob
		}
		if (want == "") != (len(g.Users) == 0) || (want != "" && (len(g.Users) != 1 || g.Users[0] != want)) {
			t.Errorf("token %d %s: users %v, want %q", i, r.Serial, g.Users, want)
		}
	}
	if s.BadSignatures() != 0 {
		t.Fatalf("%d requests refused for their signature", s.BadSignatures())
	}

	// Second run: nothing to do.
	before := posts(s.Log())
	c2, _ := newClient(t, s, nil)
	rep, err = c2.Upload(context.Background(), toks)
	if err != nil || rep.Err() != nil {
		t.Fatal(err, rep.Err())
	}
	if rep.Existed != 9 || rep.Created+rep.Attached+rep.Replaced != 0 {
		t.Fatalf("second run %+v", rep)
	}
	if posts(s.Log()) != before || len(s.Tokens()) != 9 {
		t.Fatal("second run changed something")
	}
}

// duo_api_golang retries a 429 itself, re-sending the body reader its
// first try drained: the retried POST comes empty under the full body's
// signature, and the token is not created. This is why Client turns 429
// into an error before the library sees it.
func TestLibraryRetryDropsTheBody(t *testing.T) {
	if testing.Short() {
		t.Skip("the library sleeps 1-2 s before its retry")
	}
	s := duostandin.New(ikey, skey)
	defer s.Close()
	s.Inject(duostandin.Fault{Method: "POST", Path: "/admin/v1/tokens", Status: 429})
	api := duoapi.NewDuoApi(ikey, skey, s.Host(), "test")
	api.SetCustomHTTPClient(upload.HTTPClient(s.CertPool(), 10*time.Second))
	p := url.Values{"type": {"t6"}, "serial": {"X1"}, "secret": {"3132333435363738393031323334353637383930"}}
	resp, _, err := api.SignedCall("POST", "/admin/v1/tokens", p)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusOK || len(s.Tokens()) != 0 || s.BadSignatures() != 1 {
		t.Fatalf("library retry: status %d, %d tokens, %d bad signatures; want the empty re-send refused", resp.StatusCode, len(s.Tokens()), s.BadSignatures())
	}
}

func TestWrongSecretKeyCreatesNothing(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	rows := uploadtest.EntraRows(3, nil)
	toks, err := upload.Load(uploadtest.EntraFile(t, rows), "entra", nil, Check)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "WRONG" + skey[5:]
	c, clk := newClient(t, s, func(c *Config) { c.SKey = wrong })
	rep, err := c.Upload(context.Background(), toks)
	if !errors.Is(err, ErrAuth) || rep.Err() == nil {
		t.Fatalf("err %v, report err %v; want ErrAuth", err, rep.Err())
	}
	var js bytes.Buffer
	rep.WriteJSON(&js)
	rep.WriteText(&js)
	for _, k := range []string{wrong, skey} {
		if strings.Contains(err.Error(), k) || strings.Contains(js.String(), k) {
			t.Fatal("secret key in the error or the report")
		}
	}
	if len(s.Tokens()) != 0 || posts(s.Log()) != 0 || len(s.Log()) != 1 || len(clk.Waits()) != 0 {
		t.Fatalf("after a refused key: %d tokens, log %v, waits %v", len(s.Tokens()), s.Log(), clk.Waits())
	}
}

func TestMissingUserReportedNotCreated(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	s.AddUser("ann")
	toks := []*seed.Token{
		{Serial: "H1", Kind: seed.TOTP, Secret: uploadtest.Secret("H1"), User: "nobody"},
		{Serial: "H2", Kind: seed.TOTP, Secret: uploadtest.Secret("H2"), User: "ann"},
	}
	c, _ := newClient(t, s, nil)
	rep, err := c.Upload(context.Background(), toks)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || !strings.Contains(rep.Results[0].Error, `"nobody" not found`) || rep.Attached != 1 || rep.Created != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, l := range s.Log() {
		if strings.HasPrefix(l, "POST /admin/v1/users ") {
			t.Fatal("a user was created")
		}
	}
	if !errors.Is(rep.Err(), upload.ErrFailed) {
		t.Fatal("failure not in Err")
	}
}

func TestTypesHOTPAndYubiKey(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	pid, _ := hex.DecodeString("a1a2a3a4a5a6")
	aes, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	toks := []*seed.Token{
		{Serial: "H8", Kind: seed.HOTP, Digits: 8, Counter: 5, Secret: uploadtest.Secret("H8")},
		{Serial: "T8", Kind: seed.TOTP, Digits: 8, Period: 60, Secret: uploadtest.Secret("T8")},
		{Serial: "Y1", Kind: seed.YubicoOTP, PrivateID: pid, Secret: aes},
	}
	c, _ := newClient(t, s, nil)
	if _, err := c.Upload(context.Background(), toks); err != nil {
		t.Fatal(err)
	}
	got := map[string]duostandin.Token{}
	for _, g := range s.Tokens() {
		got[g.Serial] = g
	}
	if g := got["H8"]; g.Type != "h8" || g.Counter != 5 || g.Secret != hex.EncodeToString(toks[0].Secret) {
		t.Errorf("H8: %+v", g.Type)
	}
	if g := got["T8"]; g.Type != "t8" || g.TOTPStep != 60 {
		t.Errorf("T8: %s %d", g.Type, g.TOTPStep)
	}
	if g := got["Y1"]; g.Type != "yk" || g.PrivateID != "a1a2a3a4a5a6" || g.AESKey != hex.EncodeToString(aes) {
		t.Errorf("Y1: %s", g.Type)
	}
}

func TestExistingKeptOrReplaced(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	old := s.AddToken(duostandin.Token{Type: "t6", Serial: "E1", Secret: "00", TOTPStep: 30})
	toks := []*seed.Token{{Serial: "E1", Kind: seed.TOTP, Secret: uploadtest.Secret("E1")}}

	c, _ := newClient(t, s, func(c *Config) { c.DryRun = true; c.Replace = true })
	rep, err := c.Upload(context.Background(), toks)
	if err != nil || len(rep.Results[0].Planned) != 1 || rep.Results[0].Planned[0] != "replace" || posts(s.Log()) != 0 {
		t.Fatalf("dry run: %v %+v %v", err, rep.Results, s.Log())
	}
	c, _ = newClient(t, s, nil)
	rep, err = c.Upload(context.Background(), toks)
	if err != nil || rep.Existed != 1 || s.Tokens()[0].Secret != "00" {
		t.Fatalf("kept: %v %+v", err, rep)
	}
	c, _ = newClient(t, s, func(c *Config) { c.Replace = true })
	rep, err = c.Upload(context.Background(), toks)
	got := s.Tokens()
	if err != nil || rep.Replaced != 1 || len(got) != 1 || got[0].ID == old || got[0].Secret != hex.EncodeToString(toks[0].Secret) {
		t.Fatalf("replace: %v %+v %d", err, rep, len(got))
	}
}

func TestRulesCheckedBeforeSending(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	toks := []*seed.Token{
		{Serial: "OK1", Kind: seed.TOTP, Secret: uploadtest.Secret("OK1")},
		{Serial: "BAD", Kind: seed.TOTP, Hash: seed.SHA256, Secret: uploadtest.Secret("BAD")},
	}
	c, _ := newClient(t, s, nil)
	_, err := c.Upload(context.Background(), toks)
	if err == nil || !strings.Contains(err.Error(), "token:2: hash") || len(s.Log()) != 0 {
		t.Fatalf("err %v, log %v", err, s.Log())
	}
}

// The stand-in checks what it is sent: a request signed for another path
// is refused.
func TestStandinChecksSignature(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	date := time.Now().UTC().Format(time.RFC1123Z)
	req, _ := http.NewRequest("GET", s.URL+"/admin/v1/tokens", nil)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", duostandin.Sign(ikey, skey, date, "GET", s.Host(), "/admin/v1/users", nil))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	req.Header.Set("Authorization", duostandin.Sign(ikey, skey, date, "GET", s.Host(), "/admin/v1/tokens", nil))
	resp, err = s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("well signed: status %d", resp.StatusCode)
	}
}

// A lookup that misses a token that is there (a concurrent upload) meets
// Duo's duplicate refusal: the token is looked up again and kept, not
// made twice, and still attached.
func TestLookupMissDoesNotDouble(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	ann := s.AddUser("ann")
	s.AddToken(duostandin.Token{Type: "t6", Serial: "C1", Secret: "00", TOTPStep: 30})
	s.Inject(duostandin.Fault{Method: "GET", Path: "/admin/v1/tokens", Empty: true})
	c, _ := newClient(t, s, nil)
	rep, err := c.Upload(context.Background(), []*seed.Token{{Serial: "C1", Kind: seed.TOTP, Secret: uploadtest.Secret("C1"), User: "ann"}})
	got := s.Tokens()
	if err != nil || rep.Err() != nil || rep.Existed != 1 || rep.Attached != 1 || len(got) != 1 || got[0].Secret != "00" || len(got[0].Users) != 1 || got[0].Users[0] != ann {
		t.Fatalf("%v %+v %+v", err, rep, got)
	}
}

// A run stopped half way (Ctrl-C) and run again ends with each token
// once.
func TestInterruptedRunResumes(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	s.AddUser("ann@contoso.com")
	rows := uploadtest.EntraRows(6, []string{"ann@contoso.com"})
	toks, err := upload.Load(uploadtest.EntraFile(t, rows), "entra", nil, Check)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	c, _ := newClient(t, s, func(c *Config) {
		c.OnResult = func(upload.Result) {
			if n++; n == 3 {
				cancel()
			}
		}
	})
	rep, err := c.Upload(ctx, toks)
	if !errors.Is(err, context.Canceled) || len(s.Tokens()) != 3 || rep.Aborted == "" {
		t.Fatalf("stopped run: %v, %d tokens", err, len(s.Tokens()))
	}
	c, _ = newClient(t, s, nil)
	rep, err = c.Upload(context.Background(), toks)
	if err != nil || rep.Created != 3 || rep.Existed != 3 || len(s.Tokens()) != 6 || s.Creates() != 6 {
		t.Fatalf("resumed: %v %+v, %d tokens", err, rep, len(s.Tokens()))
	}
}

// A server message that echoes the request's secret does not carry it
// into the report; a 401 in the middle of a run stops it at once, with
// no retry and nothing sent after.
func TestEchoedSecretAnd401MidRun(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	var toks []*seed.Token
	for _, sn := range []string{"M1", "M2", "M3", "M4"} {
		toks = append(toks, &seed.Token{Serial: sn, Kind: seed.TOTP, Secret: uploadtest.Secret(sn)})
	}
	sec := hex.EncodeToString(toks[0].Secret)
	s.Inject(duostandin.Fault{Method: "POST", Path: "/admin/v1/tokens", Status: 400, Message: "Invalid request parameters: secret=" + sec})
	s.Inject(duostandin.Fault{Method: "POST", Path: "/admin/v1/tokens", Nth: 2, Status: 401})
	c, clk := newClient(t, s, nil)
	rep, err := c.Upload(context.Background(), toks)
	var out bytes.Buffer
	rep.WriteJSON(&out)
	rep.WriteText(&out)
	if !errors.Is(err, ErrAuth) || rep.Failed != 1 || rep.Created != 1 || len(s.Tokens()) != 1 || len(clk.Waits()) != 0 {
		t.Fatalf("%v %+v, %d tokens", err, rep, len(s.Tokens()))
	}
	if strings.Contains(out.String(), sec) || strings.Contains(strings.ToUpper(out.String()), strings.ToUpper(sec)) {
		t.Fatal("secret echoed into the report")
	}
	if l := s.Log(); !strings.HasSuffix(l[len(l)-1], " 401") {
		t.Fatalf("requests after the 401: %v", l)
	}
}

// A server that keeps answering 429 past the wait budget stops the run
// (nothing lost: the token that was refused is not there, and a later run
// makes it once).
func TestRetryBudgetStopsRun(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	var toks []*seed.Token
	for _, sn := range []string{"R1", "R2", "R3"} {
		toks = append(toks, &seed.Token{Serial: sn, Kind: seed.TOTP, Secret: uploadtest.Secret(sn)})
	}
	s.Inject(duostandin.Fault{Method: "POST", Path: "/admin/v1/tokens", Nth: 2, Status: 429, RetryAfter: "30"})
	for i := 0; i < 2; i++ {
		s.Inject(duostandin.Fault{Method: "POST", Path: "/admin/v1/tokens", Status: 429, RetryAfter: "30"})
	}
	c, clk := newClient(t, s, func(c *Config) { c.Retry = &upload.Retry{Budget: time.Minute} })
	rep, err := c.Upload(context.Background(), toks)
	if !errors.Is(err, upload.ErrBudget) || rep.Created != 1 || len(s.Tokens()) != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	if w := clk.Waits(); len(w) != 2 || w[0]+w[1] != time.Minute {
		t.Fatalf("waits %v", w)
	}
	c, _ = newClient(t, s, nil)
	rep, err = c.Upload(context.Background(), toks)
	if err != nil || rep.Created != 2 || rep.Existed != 1 || s.Creates() != 3 {
		t.Fatalf("%v %+v", err, rep)
	}
}

// TLS is always verified: without the stand-in's CA the run stops before
// any request reaches it.
func TestUntrustedServerRefused(t *testing.T) {
	s := duostandin.New(ikey, skey)
	defer s.Close()
	c, _ := newClient(t, s, func(c *Config) { c.RootCAs = nil })
	_, err := c.Upload(context.Background(), []*seed.Token{{Serial: "U1", Kind: seed.TOTP, Secret: uploadtest.Secret("U1")}})
	if !errors.Is(err, upload.ErrTransport) || !strings.Contains(err.Error(), "certificate") || len(s.Log()) != 0 {
		t.Fatalf("%v, log %v", err, s.Log())
	}
}
