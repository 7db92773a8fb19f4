package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/internal/exitcode"
	simmolto "github.com/tokenctl/tokenctl/sim/molto2"
	"github.com/tokenctl/tokenctl/sim/t2fido"
	"github.com/tokenctl/tokenctl/sim/vpcd"
)

func init() { commands = append(commands, newSimFIDOCmd, newSimMoltoCmd) }

func checkPort(port int) error {
	if port != vpcd.Port0 && port != vpcd.Port1 {
		return usagef("--port %d: vpcd listens on %d and %d", port, vpcd.Port0, vpcd.Port1)
	}
	return nil
}

func newSimFIDOCmd() *cobra.Command {
	var port, count int
	var idle time.Duration
	c := &cobra.Command{
		Use:   "fido",
		Short: "Emulate Token2 FIDO2 keys' OTP applet (button HOTP) in a vpcd virtual reader",
		Long: `Present emulated Token2 FIDO2 keys (the OTP applet: P-256 key, sealed
button HOTP, options) in vsmartcard's virtual reader. Each key's P-256 key
comes from its serial (T2F2-0001, T2F2-0002...). With --count N, N keys one
after another (a key leaves once it was programmed and left idle); without,
one key until interrupted. When a key leaves, the code its button would type
first is logged (never its seed).`,
		Example: "  tokenctl-sim fido --count 3 &\n  tokenctl token2 fido hotp --wait --serial T2F2-0001 --generate -o duo.csv --to duo-hotp",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkPort(port); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errw := c.ErrOrStderr()
			st := &t2fido.Stream{Port: port, Count: count, Stay: count == 0, Idle: idle,
				OnInsert: func(i int, k *t2fido.Key) {
					fmt.Fprintf(errw, "FIDO2 key %s in %s\n", k.Serial(), vpcd.ReaderName(port))
				},
				OnRemove: func(i int, k *t2fido.Key, faulted bool) {
					s := k.State()
					code, _ := k.Code(0)
					fmt.Fprintf(errw, "FIDO2 key %s out: button HOTP %d digits, %d-byte seed, first code %q, forbidden commands %d\n", k.Serial(), s.Digits, len(s.Seed), code, len(k.Forbidden()))
				}}
			if count == 0 {
				st.Count = 1
			}
			var release func()
			st.Host, release = simHost(port)
			defer release()
			if err := st.Run(ctx); err != nil && ctx.Err() == nil {
				return exitcode.DeviceErr(err)
			}
			return nil
		},
	}
	c.Flags().IntVar(&port, "port", vpcd.Port0, "vpcd port: 35963 (Virtual PCD 00 00) or 35964 (Virtual PCD 00 01)")
	c.Flags().IntVar(&count, "count", 0, "present this many keys one after another (0: one key until interrupted)")
	c.Flags().DurationVar(&idle, "idle", 2*time.Second, "with --count: pull a key after this long without commands")
	return c
}

func newSimMoltoCmd() *cobra.Command {
	var port, profiles, attempts int
	var serial, firmware string
	c := &cobra.Command{
		Use:   "molto2",
		Short: "Emulate a Token2 Molto2 (50 or 100 TOTP profiles) in a vpcd virtual reader",
		Long: `Plug an emulated Molto2 into vsmartcard's virtual reader until
interrupted: its profiles, the factory customer key with its attempts
counter, profiles in use, screen lock (firmware 2.1), and the button wait
of a key change or a factory reset (pressed by the emulator at once).`,
		Example: "  tokenctl-sim molto2 --profiles 100 &\n  tokenctl token2 molto2 list --reader 'Virtual PCD 00 00'",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := checkPort(port); err != nil {
				return err
			}
			if profiles != 50 && profiles != 100 {
				return usagef("--profiles %d: a Molto2 has 50, a Molto2 v2 100", profiles)
			}
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			d := simmolto.New(simmolto.Options{Serial: serial, Profiles: profiles, Attempts: attempts, Firmware: firmware})
			host, release := simHost(port)
			defer release()
			conn, served, err := simmolto.Insert(ctx, port, d, host)
			if err != nil {
				return exitcode.DeviceErr(err)
			}
			fmt.Fprintf(c.ErrOrStderr(), "Molto2 %s (%d profiles) in %s\n", d.Serial(), profiles, vpcd.ReaderName(port))
			go func() {
				for range d.Waiting() {
					fmt.Fprintln(c.ErrOrStderr(), "the Molto2 waits for its button: pressed")
					d.Press()
				}
			}()
			select {
			case <-ctx.Done():
				conn.Remove()
				<-served
			case err := <-served:
				if err != nil && ctx.Err() == nil {
					return exitcode.DeviceErr(err)
				}
			}
			st := d.State()
			n := 0
			for _, p := range st.Profiles {
				if p.InUse() {
					n++
				}
			}
			fmt.Fprintf(c.ErrOrStderr(), "Molto2 %s: %d profiles in use, %d authentications refused\n", d.Serial(), n, st.BadAuths)
			return nil
		},
	}
	c.Flags().IntVar(&port, "port", vpcd.Port0, "vpcd port")
	c.Flags().IntVar(&profiles, "profiles", 100, "50 (Molto2) or 100 (Molto2 v2)")
	c.Flags().IntVar(&attempts, "attempts", 0, "customer-key attempts before the device locks (default the emulator's)")
	c.Flags().StringVar(&serial, "serial", "", "serial number (default the emulator's)")
	c.Flags().StringVar(&firmware, "firmware", "", "firmware version, major.minor (default the emulator's)")
	return c
}
