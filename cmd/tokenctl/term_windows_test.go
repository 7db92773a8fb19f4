package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWindowsVTNotAConsole: a handle that is not a console (a file, a pipe)
// takes no escape sequences on Windows.
func TestWindowsVTNotAConsole(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if enableVT(f) {
		t.Fatal("virtual terminal processing reported on a plain file")
	}
}
