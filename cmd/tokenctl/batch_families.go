package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/batch"
	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/token2/fido"
)

func newBatchFIDOCmd(f *factory) *cobra.Command {
	var bf batchFlags
	var serials string
	var digits int
	var opts fido.Options
	c := &cobra.Command{
		Use:   "fido [--serials FILE] [--digits 6|8]",
		Short: "Program the button HOTP of a box of Token2 FIDO2 keys laid one after another on the reader",
		Long: `Seal a new random HOTP seed (20 bytes, counter 0) into the button of each
Token2 FIDO2 key presented, recorded in the ledger first. The key has no
serial number to read: they come from --serials FILE, one a line in the
order the keys are presented, or are asked for (type or scan the serial
printed on each key). Export to Duo with 'ledger export --to duo-hotp'.`,
		Example: `  tokenctl batch fido --ledger tokens.ledger --serials box-3.txt --digits 6 --identity-file k.age
  tokenctl ledger export --ledger tokens.ledger --family fido2 --to duo-hotp -o duo.csv --identity-file k.age`,
		Args: cobra.NoArgs,
	}
	bf.add(c)
	c.Flags().StringVar(&serials, "serials", "", "the keys' serials, one a line, in the order they are presented (default: asked for each key)")
	c.Flags().IntVar(&digits, "digits", 6, "HOTP digits: 6 or 8")
	c.Flags().BoolVar(&opts.NoEnter, "no-enter", false, "the button types no Enter after the code")
	c.Flags().BoolVar(&opts.LongPress, "long-press", false, "the code is typed on a long press only")
	c.Flags().BoolVar(&opts.Keypad, "keypad", false, "typed with keypad scan codes")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if digits != 6 && digits != 8 {
			return usagef("--digits %d: want 6 or 8", digits)
		}
		next, err := batch.KeySerials(serials, batch.NewLinePrompter(f.In, f.Err))
		if err != nil {
			return usagef("--serials: %v", err)
		}
		return bf.runBatch(f, cmd, batch.Config{Recipe: batch.FIDORecipe{Digits: digits}}, nil, func() (batch.Station, func(), error) {
			return batch.NewFIDOStation(f.Devices, bf.reader, next, opts)
		})
	}
	return c
}

func newBatchMoltoCmd(f *factory) *cobra.Command {
	var (
		bf                  batchFlags
		conn                moltoConn
		set                 moltoSettings
		seeds, from, titles string
		first               int
	)
	c := &cobra.Command{
		Use:   "molto2 [--seeds FILE | --titles FILE]",
		Short: "Fill the profiles of a Token2 Molto2 one after another, recorded in a ledger",
		Long: `Fill a Molto2's profiles from --first-profile on, each recorded in the
ledger (serial DEVICE-PP) before it is written: from a seed file (--seeds,
one profile per token, its serial as the title, its hash, digits and step),
or with generated TOTP seeds (--hash, --digits, --period) titled from
--titles FILE (one a line). A profile in use is skipped unless --reprogram.`,
		Example: `  tokenctl batch molto2 --ledger tokens.ledger --seeds entra.csv --identity-file k.age
  tokenctl batch molto2 --ledger tokens.ledger --titles accounts.txt --first-profile 10 --count 5`,
		Args: cobra.NoArgs,
	}
	bf.add(c)
	conn.add(c, false)
	c.Flags().StringVar(&seeds, "seeds", "", "fill the profiles from this seed file, one token each")
	c.Flags().StringVar(&from, "from", "", "format of --seeds (default: detected)")
	c.Flags().StringVar(&titles, "titles", "", "titles of the generated profiles, one a line")
	c.Flags().IntVar(&first, "first-profile", 0, "the first profile to fill")
	set.add(c, "generated seeds: ")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		p, err := set.params()
		if err != nil {
			return err
		}
		r := &batch.Molto2Recipe{First: first, Hash: p.Hash, Digits: set.digits, Period: set.period}
		switch {
		case seeds != "" && titles != "":
			return usagef("--titles goes with generated seeds, not --seeds (the file's serials are the titles)")
		case seeds != "":
			if r.Tokens, err = convert.ReadSeedFile(seeds, from, "--from"); err != nil {
				return err
			}
			defer r.Wipe()
		case titles != "":
			if r.Titles, err = batch.ReadTitles(titles); err != nil {
				return usagef("--titles: %v", err)
			}
		}
		err = bf.runBatch(f, cmd, batch.Config{Recipe: r}, nil, func() (batch.Station, func(), error) {
			conn.reader = bf.reader
			m, err := conn.open(cmd, f)
			if err != nil {
				return nil, nil, err
			}
			return &batch.Molto2Station{Session: m.Session, Serial: m.Info.Serial, First: first, End: r.End(), Display: p.Display}, m.Close, nil
		})
		if errors.Is(err, batch.ErrNoMore) {
			return nil
		}
		return err
	}
	return c
}
