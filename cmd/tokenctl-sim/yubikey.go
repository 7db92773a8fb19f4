package main

import (
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/exitcode"
	"github.com/tokenctl/tokenctl/internal/fsutil"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

func newSimYubiKeyCmd() *cobra.Command {
	var serial uint32
	var version string
	var port, count int
	var touchOut, transport string
	var idle time.Duration
	c := &cobra.Command{
		Use:   "yubikey",
		Short: "Emulate a YubiKey 5 NFC (OTP application) in a virtual PC/SC reader",
		Long: `Run an emulated YubiKey 5 NFC in vsmartcard's virtual reader: the OTP
application (both slots, access codes, programming sequence, serial,
challenge-response) and enough of the management application for ykman.
With --count N it presents N keys one after another, serials counting up
from --serial: a key leaves the reader once it was programmed and the
host disconnected (or after --idle without commands), and the next one
goes in. The key is reached over CCID (--transport ccid, the only choice
here): the USB HID side of the emulator is only available in process (Go
tests). Runs until interrupted or the last key is done.`,
		Example: `  tokenctl-sim yubikey --serial 12345678 &
  tokenctl yubikey info --transport ccid --reader 'Virtual PCD 00 01'
  ykman --reader 'Virtual PCD 00 01' otp info
  tokenctl-sim yubikey --count 3 --serial 20000001 &`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if transport != "ccid" {
				return usagef("--transport %q: the emulator serves CCID through vpcd; its USB HID side runs only in process (Go tests)", transport)
			}
			if touchOut != "" && count == 0 {
				return usagef("--touch-out goes with --count (a key is touched as it leaves the reader)")
			}
			if port != vpcd.Port0 && port != vpcd.Port1 {
				return usagef("--port %d: vpcd listens on %d and %d", port, vpcd.Port0, vpcd.Port1)
			}
			var v yubikey.Version
			if _, err := fmt.Sscanf(version, "%d.%d.%d", &v[0], &v[1], &v[2]); err != nil {
				return usagef("--firmware %q: want X.Y.Z", version)
			}
			ctx, stop := signal.NotifyContext(c.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			errw := c.ErrOrStderr()
			st := &yksim.Stream{Port: port, FirstSerial: serial, Count: count, Idle: idle, Options: yksim.Options{Version: v},
				OnInsert: func(i int, k *yksim.Key) {
					fmt.Fprintf(errw, "YubiKey %d (firmware %s) in %s\n", k.SerialNumber(), v, vpcd.ReaderName(port))
				},
				OnRelease: func(i int, k *yksim.Key) {
					if touchOut == "" {
						return
					}
					// The operator touches the key once: record what slot 1 types.
					typed, err := k.Press(1)
					if err != nil {
						return
					}
					if err := fsutil.Append(touchOut, []byte(fmt.Sprintf("%d,%s\n", k.SerialNumber(), typed))); err != nil {
						fmt.Fprintf(errw, "--touch-out: %v\n", err)
					}
				}}
			if count == 0 {
				// One key that stays until interrupted.
				k := yksim.New(yksim.Options{Serial: serial, Version: v})
				st.OnInsert(0, k)
				conn, done, err := yksim.Insert(ctx, port, k)
				if err != nil {
					return exitcode.DeviceErr(err)
				}
				select {
				case <-ctx.Done():
					conn.Remove()
					<-done
					return nil
				case err := <-done:
					return exitcode.DeviceErr(err)
				}
			}
			var release func()
			st.Host, release = simHost(port)
			defer release()
			if err := st.Run(ctx); err != nil {
				return exitcode.DeviceErr(err)
			}
			if ctx.Err() == nil {
				fmt.Fprintf(errw, "%d keys presented\n", count)
			}
			return nil
		},
	}
	c.Flags().Uint32Var(&serial, "serial", yksim.DefaultSerial, "serial number (of the first key with --count)")
	c.Flags().IntVar(&port, "port", vpcd.Port1, "vpcd port: 35963 (Virtual PCD 00 00) or 35964 (Virtual PCD 00 01)")
	c.Flags().IntVar(&count, "count", 0, "present this many keys one after another (0: one key until interrupted)")
	c.Flags().DurationVar(&idle, "idle", 2*time.Second, "with --count: pull a programmed key after this long without commands")
	c.Flags().StringVar(&touchOut, "touch-out", "", "with --count: touch each programmed key once as it leaves and append serial,typed-OTP to this file")
	c.Flags().StringVar(&transport, "transport", "ccid", "how hosts reach the key: ccid (through vpcd and pcscd)")
	c.Flags().StringVar(&version, "firmware", yksim.DefaultVersion.String(), "firmware version to report")
	return c
}
