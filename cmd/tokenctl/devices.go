package main

import (
	"github.com/spf13/cobra"
)

func newDevicesCmd(f *factory) *cobra.Command {
	return &cobra.Command{
		Use:   "devices",
		Short: "List the PC/SC readers and the YubiKeys on USB that tokenctl can use",
		Long: `List the PC/SC readers (for Token2 tokens, and YubiKeys over NFC or
CCID) with their names as the operating system gives them, which is what
--reader matches (Windows: 'ACS ACR1252 1S CL Reader PICC 0'; Linux
pcscd: 'ACS ACR1252 Dual Reader [ACR1252 Dual Reader PICC] 00 00'), and
the YubiKey OTP interfaces on USB with their HID device paths.

A transport that cannot be used (no PC/SC service, no reader driver, a
build without it) is reported as such, and the exit code is then 3 after
everything that could be listed is printed.`,
		Example: "  tokenctl devices\n  tokenctl devices --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			inv := f.Devices.Inventory()
			if err := f.emit(inv, f.Out, "%s", inv); err != nil {
				return err
			}
			return inv.Err()
		},
	}
}
