//go:build !windows

package main

import "os"

// enableVT: Unix terminals take escape sequences.
func enableVT(*os.File) bool { return true }
