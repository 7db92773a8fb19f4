package main

import (
	"os"
	"strings"
)

// progressWidth is the widest progress line ("\r%d rows…"), which a
// terminal that takes no escape sequences has overwritten with spaces.
const progressWidth = 24

// ansiOK says whether escape sequences may be written to the terminal f:
// not with NO_COLOR set (https://no-color.org) or TERM=dumb, and on Windows
// only where the console has virtual terminal processing on, or lets it be
// turned on (Windows Terminal, Windows 10 and later; not the old console).
func ansiOK(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return enableVT(f)
}

// eraseLine returns the cursor to the start of a progress line and blanks
// it: with the erase-line sequence where escapes are allowed, else by
// writing spaces over it.
func eraseLine(ansi bool) string {
	if ansi {
		return "\r\033[K"
	}
	return "\r" + strings.Repeat(" ", progressWidth) + "\r"
}
