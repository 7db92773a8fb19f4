package main

import (
	"context"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/internal/duostandin"
	"github.com/tokenctl/tokenctl/internal/graphstandin"
	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/internal/pgtest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

// The golden tests of the command line: testdata/script/*.txtar, run with
// testscript as filippo.io/age runs its CLI tests. Each script runs
// tokenctl (this package's run, re-executed from the test binary) and
// compares standard output, standard error, files written and the exit
// code with what the script spells out. go test ./cmd/tokenctl -run
// TestScript -update rewrites the golden sections from the actual output
// (read the diff before committing it).
//
// Scripts named device-*.txtar drive emulated tokens (tokenctl-sim, built
// once per run) through the real pcscd: they run one at a time, each
// holding both virtual readers' cross-process locks. Scripts named
// pg-*.txtar get $PGDSN, a fresh database on the test PostgreSQL server.
// All the others need neither and run in parallel; the script commands
// duo and graph start the upload stand-ins in this process.

var updateScripts = flag.Bool("update", false, "rewrite the golden sections of testdata/script/*.txtar from the actual output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"tokenctl": func() { os.Exit(runWith(scriptFactory(), os.Args[1:])) },
	})
}

// scriptFactory is the real world, except that no script sees the
// machine's own USB keys: YubiKeys come from the emulator, over PC/SC.
func scriptFactory() *factory {
	f := newFactory(os.Stdout, os.Stderr)
	f.Devices.USB = func() ([]device.HIDKey, error) { return nil, nil }
	return f
}

// scripts lists testdata/script/*.txtar: those named PREFIX*, or with
// prefix "", those that are neither device-* nor pg-* scripts.
func scripts(t *testing.T, prefix string) []string {
	all, err := filepath.Glob(filepath.Join("testdata", "script", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		base := filepath.Base(f)
		special := strings.HasPrefix(base, "device-") || strings.HasPrefix(base, "pg-")
		if (prefix == "" && !special) || (prefix != "" && strings.HasPrefix(base, prefix)) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no scripts found")
	}
	return out
}

func scriptParams(files []string) testscript.Params {
	return testscript.Params{
		Files:               files,
		UpdateScripts:       *updateScripts,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"exits": cmdExits, "redact": cmdRedact, "duo": cmdDuo, "graph": cmdGraph},
		Condition:           peerCondition,
	}
}

// peerCondition is the script condition [peer:PROGRAM]: PROGRAM (a peer
// such as jq or ykman) is installed. When it is not, the lines it guards
// are left out, except under CI=true, where its absence fails the script
// (testpeer.Missing's rule).
func peerCondition(cond string) (bool, error) {
	name, ok := strings.CutPrefix(cond, "peer:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			return false, fmt.Errorf("%s is not installed (required under CI=true; make deps)", name)
		}
		return false, nil
	}
	return true, nil
}

// cmdExits is the script command "exits CODE program [args...]": it runs
// the program as exec does and checks that it ends with exit code CODE
// (exec alone only tells success from failure, and the exit code is part
// of tokenctl's interface: 1 invalid data, 2 usage, 3 device).
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
	}
}

// TestScript runs the scripts that need no device, in parallel. They see
// no PC/SC service (pcsc-lite's socket is pointed at a file that is not
// there) and no USB key, so that they behave the same on any machine and
// none of them can reach the emulators the device scripts use.
func TestScript(t *testing.T) {
	t.Parallel()
	p := scriptParams(scripts(t, ""))
	p.Setup = func(e *testscript.Env) error {
		e.Setenv("PCSCLITE_CSOCK_NAME", filepath.Join(e.WorkDir, "no-pcscd"))
		return nil
	}
	testscript.Run(t, p)
}

// TestScriptDevice runs the device-*.txtar scripts one after another,
// each with the emulator (tokenctl-sim on $PATH) and both virtual readers
// to itself. Without pcscd or vpcd it skips, and fails under CI=true.
func TestScriptDevice(t *testing.T) {
	pcsctest.Require(t)
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building tokenctl-sim: %v", err)
	}
	bin := t.TempDir()
	build := exec.Command(gocmd, "build", "-o", filepath.Join(bin, "tokenctl-sim"), "../tokenctl-sim")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building tokenctl-sim: %v\n%s", err, out)
	}
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	t.Run("examples", func(t *testing.T) {
		// The emulator's help examples are in the scripts too (its package
		// is a main package, so they are read from its --help).
		all := allScripts(t)
		for _, cmd := range [][]string{{"--help"}, {"token2", "--help"}, {"yubikey", "--help"}, {"fido", "--help"}, {"molto2", "--help"}} {
			out, err := exec.Command(filepath.Join(bin, "tokenctl-sim"), cmd...).Output()
			if err != nil {
				t.Fatalf("tokenctl-sim %v: %v", cmd, err)
			}
			_, ex, ok := strings.Cut(string(out), "Examples:\n")
			if !ok {
				t.Fatalf("tokenctl-sim %v: no examples", cmd)
			}
			ex, _, _ = strings.Cut(ex, "\n\n")
			for _, l := range strings.Split(ex, "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.Contains(all, l) {
					t.Errorf("tokenctl-sim %v: help example not in any script: %s", cmd, l)
				}
			}
		}
	})
	for _, file := range scripts(t, "device-") {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			pcsctest.LockReader(t, vpcd.Port0)
			pcsctest.LockReader(t, vpcd.Port1)
			p := scriptParams([]string{file})
			p.Cmds["card"] = cmdCard
			p.Setup = func(e *testscript.Env) error {
				e.Setenv("PATH", path)
				return nil
			}
			testscript.Run(t, p)
		})
	}
}

// TestScriptPostgres runs the pg-*.txtar scripts, each with $PGDSN, the
// connection string of a fresh database on the private PostgreSQL server
// (internal/pgtest). Without a server they skip, and fail under CI=true.
func TestScriptPostgres(t *testing.T) {
	t.Parallel()
	for _, file := range scripts(t, "pg-") {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dsn := pgtest.Database(t)
			p := scriptParams([]string{file})
			p.Setup = func(e *testscript.Env) error {
				e.Setenv("PCSCLITE_CSOCK_NAME", filepath.Join(e.WorkDir, "no-pcscd"))
				e.Setenv("PGDSN", dsn)
				return nil
			}
			testscript.Run(t, p)
		})
	}
}

// cmdDuo is the script command "duo IKEY SKEY [USERNAME...]": it starts
// the Duo Admin API stand-in (internal/duostandin) for the rest of the
// script, accepting requests signed with IKEY and SKEY and knowing the
// users named, and sets $DUOHOST (its host:port) and $CA (a PEM file of
// its certificate, for --ca-file).
func cmdDuo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: duo IKEY SKEY [USERNAME...]")
	}
	s := duostandin.New(args[0], args[1])
	ts.Defer(s.Close)
	for _, u := range args[2:] {
		s.AddUser(u)
	}
	ts.Setenv("DUOHOST", s.Host())
	writeCA(ts, "duo-ca.pem", s.Certificate().Raw)
}

// cmdGraph is the script command "graph TOKEN [UPN...]": it starts the
// Microsoft Graph stand-in (internal/graphstandin) for the rest of the
// script, accepting the bearer token TOKEN and knowing the users named,
// and sets $GRAPHURL (its root, for --graph-url) and $CA (for --ca-file).
func cmdGraph(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: graph TOKEN [UPN...]")
	}
	s := graphstandin.New(args[0])
	ts.Defer(s.Close)
	for _, u := range args[1:] {
		s.AddUser(u)
	}
	ts.Setenv("GRAPHURL", s.BaseURL())
	writeCA(ts, "graph-ca.pem", s.Certificate().Raw)
}

// writeCA writes a stand-in's certificate to NAME in the work directory
// and points $CA at it.
func writeCA(ts *testscript.TestScript, name string, der []byte) {
	p := ts.MkAbs(name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Setenv("CA", p)
}

// cmdCard is the script command "card READER" (wait until pcscd sees a
// card in READER) or "! card READER" (wait until it sees none), at most
// 20 s: an emulator started in the background has put its token in, or
// taken it out, before the next command looks for it.
func cmdCard(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: [!] card READER")
	}
	pc, err := nfc.NewContext()
	if err != nil {
		ts.Fatalf("PC/SC: %v", err)
	}
	defer pc.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wait := pc.WaitForCard
	if neg {
		wait = pc.WaitForRemoval
	}
	if err := wait(ctx, args[0]); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
}

// redactions replace what changes from run to run in an output (times,
// keys and digests made at random; cmdRedact adds the operator's login
// name, the host name and the stand-ins' and database's addresses) with fixed words, so that the rest of it can be compared with a golden file.
var redactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?`), "<time>"},
	{regexp.MustCompile(`\b\d{19}\b`), "<unix-nano>"},
	{regexp.MustCompile(`\bage1(pq)?[02-9ac-hj-np-z]{20,}\b`), "<age-public-key>"},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "<digest>"},
	{regexp.MustCompile(`\b\d{8}-\d{6}\b`), "<date-time>"}, // default batch names
	{regexp.MustCompile(`\bin \d+ s\b`), "in <n> s"},
	{regexp.MustCompile(`"(ms|seconds)":[0-9.]+`), `"$1":<n>`},
}

// cmdRedact is the script command "redact FILE OUT": FILE (or stdout,
// stderr) with redactions applied, written to OUT.
func cmdRedact(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: redact FILE OUT")
	}
	s := ts.ReadFile(args[0])
	for _, r := range redactions {
		s = r.re.ReplaceAllString(s, r.with)
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		s = regexp.MustCompile(`\b`+regexp.QuoteMeta(u.Username)+`\b`).ReplaceAllString(s, "<operator>")
	}
	for _, name := range []string{"PGDSN", "GRAPHURL", "DUOHOST", "CA"} { // set by TestScriptPostgres, graph, duo
		if v := ts.Getenv(name); v != "" {
			s = strings.ReplaceAll(s, v, "$"+name)
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		s = regexp.MustCompile(`\b`+regexp.QuoteMeta(h)+`\b`).ReplaceAllString(s, "<host>")
	}
	if err := os.WriteFile(ts.MkAbs(args[1]), []byte(s), 0o600); err != nil {
		ts.Fatalf("%v", err)
	}
}

// TestScriptsCoverHelpExamples: every example in every command's help
// appears, word for word, in a script, either as the command the script
// runs (exec tokenctl ...) or, where it must be adapted to run here (a
// pipe, a count of 200, a reader that is not there), as a comment right
// above the adapted command.
func TestScriptsCoverHelpExamples(t *testing.T) {
	t.Parallel()
	scripts := allScripts(t)
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, l := range strings.Split(c.Example, "\n") {
			if i := strings.Index(l, " # "); i >= 0 {
				l = l[:i] // a comment after the command
			}
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") || !strings.Contains(l, "tokenctl ") {
				continue
			}
			n++
			if !strings.Contains(scripts, l) {
				t.Errorf("%s: help example not in any script: %s", c.CommandPath(), l)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&factory{}))
	if n < 60 {
		t.Fatalf("only %d examples found", n)
	}
}

// allScripts is the text of every script, for looking examples up.
func allScripts(t *testing.T) string {
	var all strings.Builder
	files, _ := filepath.Glob(filepath.Join("testdata", "script", "*.txtar"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	return all.String()
}
