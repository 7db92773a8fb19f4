//go:build unix

package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAppendNeverFollowsSymlink: a link planted at the log's path is
// refused, and the file it points to is left as it was.
func TestAppendNeverFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("theirs\n"), 0o600)
	link := filepath.Join(dir, "log.csv")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"Append":          func() error { return Append(link, []byte("secret\n")) },
		"CheckAppendable": func() error { return CheckAppendable(link) },
	} {
		err := f()
		if !errors.Is(err, ErrNotPrivate) || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s through a symlink: %v", name, err)
		}
	}
	if got, _ := os.ReadFile(victim); string(got) != "theirs\n" {
		t.Fatalf("the link's target changed: %q", got)
	}
}

// TestAppendRefusesAnotherUsersFile: root included, a file someone else
// owns is not extended (it would hand them the secrets).
func TestAppendRefusesAnotherUsersFile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	p := filepath.Join(t.TempDir(), "log.csv")
	os.WriteFile(p, []byte("x\n"), 0o600)
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := Append(p, []byte("secret\n"))
	if !errors.Is(err, ErrNotPrivate) || !strings.Contains(err.Error(), "another user") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "x\n" {
		t.Fatalf("file changed: %q", got)
	}
}

// TestNoSpecialFiles: a FIFO or a device is neither appended to (which
// would block or leak) nor replaced by --force outputs.
func TestNoSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, os.DevNull} {
		done := make(chan error, 1)
		go func() { done <- Append(p, []byte("secret\n")) }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("Append to %s accepted", p)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Append to %s blocked", p)
		}
		err := WriteAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "secret"); return err })
		if err == nil || !strings.Contains(err.Error(), "refusing to replace") {
			t.Errorf("WriteAtomic over %s: %v", p, err)
		}
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", fi, err)
	}
	// Nor a symlink: replacing it would break what it points to.
	link := filepath.Join(dir, "link")
	os.Symlink(filepath.Join(dir, "elsewhere"), link)
	if err := WriteAtomic(link, func(io.Writer) error { return nil }); err == nil {
		t.Error("WriteAtomic replaced a symlink")
	}
}

// TestStaleTempsRemoved: a temporary file a killed run left beside the
// output is removed by the next write once it is old; a young one (another
// run writing right now), a file of another name and a link are left.
func TestStaleTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.csv")
	old := time.Now().Add(-2 * StaleAfter)
	stale := filepath.Join(dir, ".out.csv.tmp-0123456789abcdef")
	young := filepath.Join(dir, ".out.csv.tmp-fedcba9876543210")
	other := filepath.Join(dir, ".out.csv.tmp-notours")
	for _, f := range []string{stale, young, other} {
		os.WriteFile(f, []byte("half"), 0o600)
	}
	os.Chtimes(stale, old, old)
	os.Chtimes(other, old, old)
	link := filepath.Join(dir, ".out.csv.tmp-aaaaaaaaaaaaaaaa")
	os.Symlink(other, link)
	if err := WriteAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, "ok"); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp kept: %v", err)
	}
	for _, f := range []string{young, other, link} {
		if _, err := os.Lstat(f); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(f), err)
		}
	}
}

// TestAppendersSerialise: records appended by many goroutines at once come
// out whole, none interleaved.
func TestAppendersSerialise(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log.csv")
	rec := strings.Repeat("x", 8000) + "\n"
	done := make(chan error)
	for range 8 {
		go func() {
			for range 20 {
				if err := Append(p, []byte(rec)); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 160 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if l+"\n" != rec {
			t.Fatal("an interleaved record")
		}
	}
}
