package yubikey_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tokenctl/tokenctl/sim/vpcd"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// A batch test presents 20 keys in vpcd's second reader, pulls key 5 out
// before it answers its 3rd APDU (the configuration write after SELECT and
// the serial), and afterwards checks what each key holds.
func ExampleStream() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := &yksim.Stream{
		Port:        vpcd.Port1,
		FirstSerial: 20000001,
		Count:       20,
		PullAfter: func(i int) int {
			if i == 4 {
				return 2
			}
			return 0
		},
	}
	go st.Run(ctx)
	// ... run the batch against "Virtual PCD 00 01" ...
	for _, k := range st.Keys() {
		if s := k.Slot(1); s.Configured {
			cfg, _ := yubikey.ParseConfig(s.Config)
			fmt.Println(k.SerialNumber(), cfg.Mode())
		}
	}
}
