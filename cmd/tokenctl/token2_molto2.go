package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/device"
	"github.com/tokenctl/tokenctl/internal/secretin"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
	"github.com/tokenctl/tokenctl/token2/molto2"
)

func newToken2MoltoCmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "molto2",
		Short: "Program Token2 Molto2 multi-profile TOTP tokens (50 or 100 profiles, USB CCID)",
		Long: `Molto2 and Molto2 v2 hold 50 or 100 TOTP profiles, numbered from 0, each
with its own seed, title (at most 12 UTF-8 bytes), digits, hash, step,
display timeout and clock. Writes need the device's customer key, from
--key-file or --key-env (the factory key when neither is given). A refused
key costs one of the device's attempts and is never retried: the error says
how many are left. A profile in use is not overwritten without --replace.
Titles and which profiles are in use can be read without the key: do not
put secrets in titles.`,
		Example: `  tokenctl token2 molto2 list --reader 'Virtual PCD 00 00'
  tokenctl token2 molto2 burn --profile 3 --title GitHub --secret-file seed.b32 --key-file molto.key`,
	}
	c.AddCommand(newMoltoListCmd(f), newMoltoBurnCmd(f), newMoltoDeleteCmd(f), newMoltoTitleCmd(f), newMoltoSyncCmd(f), newMoltoLockCmd(f))
	return c
}

// moltoConn are the flags that reach the device and its key.
type moltoConn struct {
	t2Conn
	firmware string
	key      *secretin.Source
}

// add adds the flags (reader: --reader too, unless batch's flags have it).
func (o *moltoConn) add(c *cobra.Command, reader bool) {
	o.t2Conn.add(c, "the device", reader)
	c.Flags().StringVar(&o.firmware, "firmware", "", "the device's firmware version, when known (screen lock needs "+molto2.MinScreenLockFirmware+")")
	o.key = secretFlags(c, "key", "the customer key (default: the factory key)")
}

// open reaches the device (device.OpenMolto2) with the customer key.
func (o *moltoConn) open(c *cobra.Command, f *factory) (*device.Molto2, error) {
	co, err := o.card("a Molto2")
	if err != nil {
		return nil, err
	}
	var key []byte
	if o.key.IsSet() {
		if key, err = o.key.Bytes("customer key", molto2.KeyText); err != nil {
			return nil, err
		}
		defer seed.Zero(key)
	}
	return f.Devices.OpenMolto2(c.Context(), co, molto2.Options{CustomerKey: key, Firmware: o.firmware})
}

func newMoltoListCmd(f *factory) *cobra.Command {
	var conn moltoConn
	c := &cobra.Command{
		Use: "list", Short: "List the profiles: title, in use, digits, hash, step (no key needed)",
		Example: "  tokenctl token2 molto2 list --json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			m, err := conn.open(c, f)
			if err != nil {
				return err
			}
			defer m.Close()
			pubs, err := m.Session.List()
			if err != nil {
				return err
			}
			l := molto2.List(m.Info.Serial, m.Info.Clock, pubs)
			return f.emit(l, f.Out, "%s", l)
		},
	}
	conn.add(c, true)
	return c
}

func newMoltoBurnCmd(f *factory) *cobra.Command {
	var (
		conn        moltoConn
		sd          t2Seed
		set         moltoSettings
		from, title string
		profile     int
		replace     bool
	)
	c := &cobra.Command{
		Use:   "burn",
		Short: "Write a seed, title and TOTP settings into a profile (or fill profiles from a seed file)",
		Long: `Burn one profile (--profile N) with a seed from --secret-file/--secret-env
or generated (--generate, which needs -o FILE --to FORMAT), or fill profiles
N, N+1, ... from a seed file (--seeds FILE, each token's serial as the
title unless --title), taking each token's hash, digits and step. The
profile's clock is set to the host's. A profile in use is refused unless
--replace, which deletes its seed first.`,
		Example: `  tokenctl token2 molto2 burn --profile 0 --title GitHub --secret-file seed.b32 --digits 6
  tokenctl token2 molto2 burn --seeds entra.csv --profile 10 --key-env MOLTO_KEY`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			p, err := set.params()
			if err != nil {
				return err
			}
			var toks []*seed.Token
			switch {
			case sd.seeds != "" && (sd.src.IsSet() || sd.generate):
				return usagef("--seeds conflicts with --secret-file/--secret-env/--generate")
			case sd.seeds != "":
				if toks, err = convert.ReadSeedFile(sd.seeds, from, "--from"); err != nil {
					return err
				}
			default:
				if err := sd.one("give the seed with --secret-file or --secret-env, --generate, or --seeds FILE", "burn a seed that is kept nowhere"); err != nil {
					return err
				}
				secret, err := sd.secret(p.Hash.DefaultSecretLen(), func() ([]byte, error) { return sd.src.Bytes("seed", seed.Base32, seed.Hex) })
				if err != nil {
					return err
				}
				toks = []*seed.Token{{Kind: seed.TOTP, Hash: p.Hash, Digits: set.digits, Period: set.period, Secret: secret}}
			}
			defer func() {
				for _, t := range toks {
					t.Wipe()
				}
			}()
			burns, err := molto2.Plan(toks, profile, title, replace, p.Display)
			if err != nil { // before the device is opened
				return usagef("%v", err)
			}
			m, err := conn.open(c, f)
			if err != nil {
				return err
			}
			defer m.Close()
			defer func() { sd.out.Close() }() // opened with the first profile
			done := molto2.Burned{Serial: m.Info.Serial}
			for i, t := range toks {
				b := burns[i]
				molto2.Name(t, m.Info.Serial, b.Profile)
				if i == 0 {
					if err := sd.preflight(t); err != nil {
						return err
					}
				}
				if err := sd.out.Take(t); err != nil {
					return err
				}
				pub, err := m.Session.Burn(b)
				if err == nil {
					err = sd.record(f, fmt.Sprintf("Molto2 %s profile %d", m.Info.Serial, b.Profile))
				}
				if err != nil {
					return fmt.Errorf("%w (%d profiles burned before it)", err, len(done.Burned))
				}
				done.Burned = append(done.Burned, pub.Summary())
			}
			return f.emit(done, f.Out, "%s", done)
		},
	}
	conn.add(c, true)
	sd.add(c, "the seed (base32 or hex)", "generate the seed (needs -o)", 0, "")
	c.Flags().StringVar(&sd.seeds, "seeds", "", "fill consecutive profiles from this seed file")
	c.Flags().StringVar(&from, "from", "", "format of --seeds (default: detected)")
	c.Flags().StringVar(&title, "title", "", "profile title, at most 12 UTF-8 bytes (with --seeds: default each serial)")
	c.Flags().IntVar(&profile, "profile", 0, "the profile (or the first, with --seeds), from 0")
	set.add(c, "")
	c.Flags().BoolVar(&replace, "replace", false, "delete the seed of a profile in use first")
	return c
}

// moltoSettings are the TOTP settings flags of molto2 burn and batch
// molto2 (prefix starts their help).
type moltoSettings struct {
	hash                    string
	digits, period, display int
}

func (o *moltoSettings) add(c *cobra.Command, prefix string) {
	c.Flags().StringVar(&o.hash, "hash", "sha1", prefix+"sha1 or sha256")
	c.Flags().IntVar(&o.digits, "digits", 6, prefix+"4, 6, 8 or 10 digits")
	c.Flags().IntVar(&o.period, "period", 30, prefix+"30 or 60 seconds")
	c.Flags().IntVar(&o.display, "display", 30, "display timeout: 15, 30, 60 or 120 seconds")
}

// params parses --hash and --display (token2.Settings: errors name them).
func (o *moltoSettings) params() (token2.Params, error) {
	return token2.Settings{Hash: o.hash, Display: strconv.Itoa(o.display)}.Params()
}

// moltoProfileCmd is a command acting on one profile.
func moltoProfileCmd(f *factory, use, short, example string, act func(m *device.Molto2, p int, arg string) (string, error)) *cobra.Command {
	var conn moltoConn
	var profile int
	var all bool
	c := &cobra.Command{
		Use: use, Short: short, Example: example,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if profile < 0 && !all {
				if c.Flags().Lookup("all") != nil {
					return usagef("give --profile N, or --all")
				}
				return usagef("give --profile N")
			}
			m, err := conn.open(c, f)
			if err != nil {
				return err
			}
			defer m.Close()
			p := profile
			if all {
				p = -1
			}
			msg, err := act(m, p, strings.Join(args, ""))
			if err != nil {
				return err
			}
			fmt.Fprintln(f.Err, msg)
			return nil
		},
	}
	conn.add(c, true)
	c.Flags().IntVar(&profile, "profile", -1, "the profile, from 0")
	if strings.HasPrefix(use, "sync") {
		c.Flags().BoolVar(&all, "all", false, "every profile")
	}
	return c
}

func newMoltoDeleteCmd(f *factory) *cobra.Command {
	return moltoProfileCmd(f, "delete", "Delete a profile's seed (its title stays)", "  tokenctl token2 molto2 delete --profile 3 --key-file molto.key",
		func(m *device.Molto2, p int, _ string) (string, error) {
			return fmt.Sprintf("profile %d deleted", p), m.Session.Delete(p)
		})
}

func newMoltoTitleCmd(f *factory) *cobra.Command {
	return moltoProfileCmd(f, "title TITLE", "Set a profile's title (at most 12 UTF-8 bytes)", "  tokenctl token2 molto2 title --profile 3 GitLab",
		func(m *device.Molto2, p int, t string) (string, error) {
			return fmt.Sprintf("profile %d titled %q", p, t), m.Session.SetTitle(p, t)
		})
}

func newMoltoSyncCmd(f *factory) *cobra.Command {
	return moltoProfileCmd(f, "sync", "Set one profile's clock, or every profile's (--all), to the host's", "  tokenctl token2 molto2 sync --all",
		func(m *device.Molto2, p int, _ string) (string, error) {
			if p < 0 {
				n, err := m.Session.SyncAll(m.Context, time.Time{})
				return fmt.Sprintf("%d profiles synced", n), err
			}
			return fmt.Sprintf("profile %d synced", p), m.Session.Sync(p, time.Time{})
		})
}

func newMoltoLockCmd(f *factory) *cobra.Command {
	var unlock bool
	c := moltoProfileCmd(f, "lock", "Lock (or --unlock) the device's screen (firmware 2.1 and later)", "  tokenctl token2 molto2 lock --firmware 2.1",
		func(m *device.Molto2, _ int, _ string) (string, error) {
			return fmt.Sprintf("screen lock: %v", !unlock), m.Session.ScreenLock(!unlock)
		})
	c.Flags().BoolVar(&unlock, "unlock", false, "unlock instead")
	c.Flags().Lookup("profile").Hidden = true
	c.Flags().Set("profile", "0")
	return c
}
