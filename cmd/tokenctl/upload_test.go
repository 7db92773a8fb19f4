package main

import (
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenctl/tokenctl/internal/duostandin"
	"github.com/tokenctl/tokenctl/internal/graphstandin"
	"github.com/tokenctl/tokenctl/internal/uploadtest"
	"github.com/tokenctl/tokenctl/seed"
)

// caFile writes the stand-in's certificate as a PEM file for --ca-file.
func caFile(t *testing.T, der []byte) string {
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestUploadDuoCLI: an Entra file lands in the Duo stand-in through
// 'tokenctl upload duo', each token once with its secret and step,
// attached to its user; a second run creates nothing; a wrong secret key
// creates nothing, exits 3 and does not echo the key.
func TestUploadDuoCLI(t *testing.T) {
	const ikey, skey = "DIWJ8X6AEYOR5OMC6TQ1", "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
	s := duostandin.New(ikey, skey)
	defer s.Close()
	s.AddUser("ann", "ann@contoso.com")
	rows := uploadtest.EntraRows(6, []string{"ann@contoso.com"})
	file := uploadtest.EntraFile(t, rows)
	ca := caFile(t, s.Certificate().Raw)
	t.Setenv("DUO_IKEY", ikey)
	t.Setenv("DUO_SKEY", skey)
	args := []string{"--json", "upload", "duo", "--from", "entra", "--api-host", s.Host(), "--ca-file", ca, file}
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	var rep struct{ Created, Attached, Existed, Failed int }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Created != 6 || rep.Attached != 3 || rep.Failed != 0 {
		t.Fatalf("report %+v (%v)\n%s", rep, err, out)
	}
	got := map[string]duostandin.Token{}
	for _, tk := range s.Tokens() {
		got[tk.Serial] = tk
	}
	for _, r := range rows {
		tk, ok := got[r.Serial]
		want := "t6"
		if !ok || tk.Type != want || tk.Secret != hex.EncodeToString(r.Secret) || tk.TOTPStep != r.Period || (r.UPN != "") != (len(tk.Users) == 1) {
			t.Errorf("%s: %+v", r.Serial, tk)
		}
	}
	if code, out, errs = runCLI(t, args...); code != 0 || s.Creates() != 6 || !strings.Contains(out, `"existed": 6`) {
		t.Fatalf("second run: exit %d, %d creates\n%s%s", code, s.Creates(), out, errs)
	}
	t.Setenv("DUO_SKEY", "wrong"+skey[5:])
	file2 := uploadtest.EntraFile(t, uploadtest.EntraRows(2, nil))
	code, out, errs = runCLI(t, "upload", "duo", "--from", "entra", "--api-host", s.Host(), "--ca-file", ca, file2)
	if code != 3 || s.Creates() != 6 || strings.Contains(out+errs, skey[5:]) {
		t.Fatalf("wrong secret key: exit %d, %d creates\n%s%s", code, s.Creates(), out, errs)
	}
	// Without --ca-file the stand-in's certificate is not trusted.
	if code, _, errs := runCLI(t, "upload", "duo", "--from", "entra", "--api-host", s.Host(), file2); code != 3 || s.Creates() != 6 {
		t.Fatalf("untrusted server: exit %d %s", code, errs)
	}
}

// TestUploadEntraCLI: the same file lands in the Graph stand-in through
// 'tokenctl upload entra --activate': each device once with its secret
// and step, those with a user assigned and activated with a code the
// stand-in checks against the seed; a bad token creates nothing.
func TestUploadEntraCLI(t *testing.T) {
	s := graphstandin.New("good-token")
	defer s.Close()
	s.AddUser("ann@contoso.com")
	rows := uploadtest.EntraRows(4, []string{"ann@contoso.com"})
	file := uploadtest.EntraFile(t, rows)
	ca := caFile(t, s.Certificate().Raw)
	t.Setenv("TOKENCTL_GRAPH_TOKEN", "good-token")
	code, out, errs := runCLI(t, "upload", "entra", "--from", "entra", "--graph-url", s.BaseURL(), "--ca-file", ca, "--activate", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	devs := s.Devices()
	if len(devs) != 4 {
		t.Fatalf("%d devices", len(devs))
	}
	for _, d := range devs {
		for _, r := range rows {
			if r.Serial != d.Serial {
				continue
			}
			if d.SecretKey != seed.EncodeBase32(r.Secret) || d.Interval != r.Period || (r.UPN != "") != (d.Status == "activated") {
				t.Errorf("%s: %+v", r.Serial, d)
			}
		}
	}
	t.Setenv("TOKENCTL_GRAPH_TOKEN", "bad-token")
	file2 := uploadtest.EntraFile(t, uploadtest.EntraRows(2, nil))
	if code, out, errs := runCLI(t, "upload", "entra", "--from", "entra", "--graph-url", s.BaseURL(), "--ca-file", ca, file2); code != 3 || len(s.Devices()) != 4 || strings.Contains(out+errs, "bad-token") {
		t.Fatalf("bad token: exit %d, %d devices\n%s%s", code, len(s.Devices()), out, errs)
	}
}

// TestUploadHelpExamplesRun: the --help examples of upload run as written
// against the stand-ins, the server's address (and its CA) aside.
func TestUploadHelpExamplesRun(t *testing.T) {
	const ikey, skey = "DIWJ8X6AEYOR5OMC6TQ1", "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
	d := duostandin.New(ikey, skey)
	defer d.Close()
	g := graphstandin.New("good-token")
	defer g.Close()
	t.Setenv("DUO_IKEY", ikey)
	t.Setenv("DUO_SKEY", skey)
	t.Setenv("TOKENCTL_GRAPH_TOKEN", "good-token")
	dca, gca := caFile(t, d.Certificate().Raw), caFile(t, g.Certificate().Raw)
	rows := uploadtest.EntraRows(3, nil)
	tokens, _ := os.ReadFile(uploadtest.EntraFile(t, rows))
	c, _, _ := newRoot(&factory{}).Find([]string{"upload"})
	exs := examplesOf(c)
	if len(exs) < 6 {
		t.Fatalf("%d examples", len(exs))
	}
	for _, ex := range exs {
		t.Run(ex, func(t *testing.T) {
			t.Chdir(t.TempDir())
			for name, content := range map[string]string{"tokens.csv": string(tokens), "duo.skey": skey, "duo-hotp.csv": "TK90001,3132333435363738393031323334353637383930,0\n"} {
				os.WriteFile(name, []byte(content), 0o600)
			}
			args := t2ExampleArgs(ex)
			for i := range args {
				if i > 0 && args[i-1] == "--api-host" {
					args[i] = d.Host()
				}
			}
			if args[1] == "duo" {
				args = append([]string{args[0], args[1], "--ca-file", dca}, args[2:]...)
			} else {
				args = append([]string{args[0], args[1], "--ca-file", gca, "--graph-url", g.BaseURL()}, args[2:]...)
			}
			if code, out, errs := runCLI(t, args...); code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
		})
	}
}

// TestUploadFromLedgerRecordsWhere: 'upload duo --ledger' uploads the
// ledger's selection and records in it which tokens are live on Duo
// (object id and time, shown by 'ledger show'); a second run finds them
// there and creates nothing.
func TestUploadFromLedgerRecordsWhere(t *testing.T) {
	const ikey, skey = "DIWJ8X6AEYOR5OMC6TQ1", "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
	s := duostandin.New(ikey, skey)
	defer s.Close()
	t.Setenv("DUO_IKEY", ikey)
	t.Setenv("DUO_SKEY", skey)
	dir := t.TempDir()
	led, key := filepath.Join(dir, "t.ledger"), filepath.Join(dir, "k.age")
	if code, _, errs := runCLI(t, "ledger", "init", "--identity-out", key, led); code != 0 {
		t.Fatal(errs)
	}
	rows := uploadtest.EntraRows(3, nil)
	if code, _, errs := runCLI(t, "ledger", "import", "--ledger", led, "--from", "entra", uploadtest.EntraFile(t, rows)); code != 0 {
		t.Fatal(errs)
	}
	ca := caFile(t, s.Certificate().Raw)
	args := []string{"upload", "duo", "--api-host", s.Host(), "--ca-file", ca, "--ledger", led, "--identity-file", key}
	if code, out, errs := runCLI(t, args...); code != 0 || s.Creates() != 3 {
		t.Fatalf("exit %d, %d creates\n%s%s", code, s.Creates(), out, errs)
	}
	byID := map[string]string{}
	for _, tk := range s.Tokens() {
		byID[tk.Serial] = tk.ID
	}
	for _, r := range rows {
		code, out, errs := runCLI(t, "--json", "ledger", "show", "--ledger", led, r.Serial)
		if code != 0 || !strings.Contains(out, `"uploaded.duo": "`+byID[r.Serial]+" ") {
			t.Fatalf("ledger show %s: exit %d\n%s%s", r.Serial, code, out, errs)
		}
	}
	if code, _, errs := runCLI(t, args...); code != 0 || s.Creates() != 3 {
		t.Fatalf("second run: exit %d, %d creates: %s", code, s.Creates(), errs)
	}
	if code, _, _ := runCLI(t, "upload", "duo", "--api-host", s.Host(), "--ledger", led, "--identity-file", key, "x.csv"); code != 2 {
		t.Fatalf("FILE and --ledger: exit %d, want 2", code)
	}
	// The selection is export's: imported tokens are programmed, none is
	// pending; an empty selection is an error, nothing sent.
	if code, _, errs := runCLI(t, append(args, "--state", "pending")...); code != 1 || !strings.Contains(errs, "no token in the ledger matches") || s.Creates() != 3 {
		t.Fatalf("nothing selected: exit %d, %d creates: %s", code, s.Creates(), errs)
	}
	if code, _, errs := runCLI(t, append(args, "--state", "lost")...); code != 2 || !strings.Contains(errs, "--state: ") {
		t.Fatalf("unknown state: exit %d: %s", code, errs)
	}
}
