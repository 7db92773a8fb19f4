// Package pgtest gives tests a private PostgreSQL server: one cluster per
// test binary, made with Debian's initdb and pg_ctl in a temporary folder,
// listening only on a Unix socket in that folder (no TCP), run as the
// postgres user when the tests run as root. Each test gets a fresh
// database of its own.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.Database(t) // skips (fails under CI=true) without a server
//		...
//	}
//
// A test binary started by another (a helper process) reaches the same
// cluster through the connection string it is given; it must not call
// Main's cleanup (Main stops only a cluster its own process started).
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tokenctl/tokenctl/internal/testpeer"
)

type cluster struct {
	dir, bin string
	runAs    *user.User // nil: as this process
	err      error
}

var (
	once    sync.Once
	the     cluster
	counter atomic.Int64
)

// Main runs the tests and then stops the cluster if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the cluster and removes its folder (Main calls it).
func Stop() {
	if the.dir == "" || the.err != nil {
		return
	}
	the.run("pg_ctl", "-D", filepath.Join(the.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(the.dir)
	the.dir = ""
}

// binDir finds the newest /usr/lib/postgresql/*/bin with initdb.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return "", errors.New("PostgreSQL server binaries not found (apt-get install postgresql)")
	}
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))))
		return vi > vj
	})
	return filepath.Dir(dirs[0]), nil
}

func (c *cluster) command(prog string, args ...string) *exec.Cmd {
	p := filepath.Join(c.bin, prog)
	if c.runAs != nil {
		return exec.Command("runuser", append([]string{"-u", c.runAs.Username, "--", p}, args...)...)
	}
	return exec.Command(p, args...)
}

func (c *cluster) run(prog string, args ...string) error {
	out, err := c.command(prog, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", prog, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func start() (c cluster) {
	var err error
	if c.bin, err = binDir(); err != nil {
		c.err = err
		return c
	}
	if c.dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
		c.err = err
		return c
	}
	fail := func(err error) cluster {
		c.err = err
		os.RemoveAll(c.dir)
		c.dir = ""
		return c
	}
	if os.Geteuid() == 0 {
		// The server refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			return fail(fmt.Errorf("running as root and no postgres user: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return fail(err)
		}
		c.runAs = u
	}
	data := filepath.Join(c.dir, "data")
	if err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		return fail(err)
	}
	// Unix socket in the folder only; fsync off: a test server never
	// outlives its data.
	opts := fmt.Sprintf("-k %s -h '' -F -c max_connections=200", c.dir)
	if err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fail(fmt.Errorf("%w\n%s", err, log))
	}
	c.watchdog()
	return c
}

// watchdog stops the server and removes its folder when this process
// ends without Main's Stop (a test binary killed by its timeout).
func (c *cluster) watchdog() {
	stop := c.command("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	script := fmt.Sprintf(`while [ -d /proc/%d ]; do sleep 1; done; [ -d %s ] || exit 0; %s >/dev/null 2>&1; rm -rf %s`,
		os.Getpid(), shellQuote(c.dir), shellJoin(stop.Args), shellQuote(c.dir))
	w := exec.Command("sh", "-c", script)
	detach(w)
	if w.Start() == nil {
		go w.Wait()
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// DSN is the keyword connection string of database db on the cluster.
func (c *cluster) DSN(db string) string {
	return fmt.Sprintf("host=%s user=postgres dbname=%s sslmode=disable", c.dir, db)
}

// Server starts the cluster once and returns the connection string of its
// postgres database, or calls testpeer.Missing when no server can start.
func Server(t testing.TB) string {
	t.Helper()
	once.Do(func() { the = start() })
	if the.err != nil {
		testpeer.Missing(t, "no private PostgreSQL server for the tests: "+the.err.Error())
	}
	return the.DSN("postgres")
}

// Database creates a fresh, empty database for t (dropped at its end) and
// returns its libpq keyword connection string.
func Database(t testing.TB) string {
	t.Helper()
	admin := Server(t)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), counter.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := exec1(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		exec1(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return the.DSN(name)
}

// Exec runs one SQL statement on the database dsn names, as the superuser.
func Exec(ctx context.Context, dsn, sql string) error { return exec1(ctx, dsn, sql) }

func exec1(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// Command runs a client program of the cluster's version (pg_dump, psql)
// with args, as the cluster's user, and returns its standard output.
func Command(t testing.TB, prog string, args ...string) []byte {
	t.Helper()
	Server(t)
	cmd := the.command(prog, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", prog, err, stderr.String())
	}
	return out
}
