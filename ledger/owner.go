package ledger

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// An owner names the process holding a pending record:
// "host:pid:start:nonce", where start is the process start time from
// /proc (so a reused pid is not mistaken for the owner) and nonce tells
// apart several ledgers opened by one process.

var (
	liveMu     sync.Mutex
	liveOwners = map[string]bool{} // owners of ledgers open in this process
)

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown-host"
	}
	return h
}

func newOwner() string {
	pid := os.Getpid()
	o := fmt.Sprintf("%s:%d:%s:%s", hostname(), pid, processStart(pid), randomID()[:12])
	liveMu.Lock()
	liveOwners[o] = true
	liveMu.Unlock()
	return o
}

func releaseOwner(o string) {
	liveMu.Lock()
	delete(liveOwners, o)
	liveMu.Unlock()
}

// processStart is the start time of pid in clock ticks since boot, or ""
// when /proc does not say.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	// After "pid (comm)": state is field 3, starttime field 22.
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// ownerGone reports whether the process named by owner has certainly
// ended: it ran on this host and its pid is gone or now belongs to a
// process started at another time. An owner on another host is never
// known to be gone; its claim lapses with its lease.
func ownerGone(owner string) bool {
	parts := strings.Split(owner, ":")
	if len(parts) < 4 {
		return false
	}
	n := len(parts)
	host, start := strings.Join(parts[:n-3], ":"), parts[n-2]
	pid, err := strconv.Atoi(parts[n-3])
	if err != nil || host != hostname() || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		liveMu.Lock()
		defer liveMu.Unlock()
		return !liveOwners[owner]
	}
	if cur := processStart(pid); cur != "" {
		return start != "" && cur != start
	}
	return !processAlive(pid)
}
