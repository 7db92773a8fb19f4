package yubikey_test

import (
	"testing"

	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// BenchmarkCCIDProgramKey is what tokenctl does per key over CCID, against
// the in-process emulator: select, serial, build and write a Yubico OTP
// configuration.
func BenchmarkCCIDProgramKey(b *testing.B) {
	k := yksim.New(yksim.Options{})
	priv, aes := []byte{1, 2, 3, 4, 5, 6}, make([]byte, 16)
	for i := 0; i < b.N; i++ {
		be, err := yubikey.NewCCID(k.APDU())
		if err != nil {
			b.Fatal(err)
		}
		s, err := yubikey.NewSession(be)
		if err != nil {
			b.Fatal(err)
		}
		serial, err := s.Serial()
		if err != nil {
			b.Fatal(err)
		}
		c, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(serial), priv, aes)
		if err := s.Put(1, c, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOTP(b *testing.B) {
	key := []byte("0123456789abcdef")
	otp, _ := yubikey.EncodeOTP([]byte{0xFF, 0, 1, 2, 3, 4}, key, []byte{6, 5, 4, 3, 2, 1}, 1, 2, 3, 4)
	for i := 0; i < b.N; i++ {
		if _, err := yubikey.DecodeOTP(otp, key, []byte{6, 5, 4, 3, 2, 1}); err != nil {
			b.Fatal(err)
		}
	}
}
