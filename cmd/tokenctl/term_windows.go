package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// enableVT turns on virtual terminal processing on the console f, and
// reports whether it is on: escape sequences would be printed raw
// otherwise (the old console host).
func enableVT(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
