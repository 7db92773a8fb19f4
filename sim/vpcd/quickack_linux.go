package vpcd

import (
	"net"
	"syscall"
)

// quickAck makes the kernel acknowledge what arrives on c at once. vpcd
// writes a message's length and its body in two sends with Nagle's
// algorithm on, so the body waits for the ACK of the length; with Linux's
// delayed ACKs that costs 40 ms per APDU. TCP_QUICKACK does not stick, so
// it is set again before every read.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	raw.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
