package hid_test

import (
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/hid"
	"github.com/tokenctl/tokenctl/yubikey"
)

// fuzzDevice answers feature-report reads from a fuzzed byte stream.
type fuzzDevice struct{ data []byte }

func (d *fuzzDevice) GetFeatureReport(b []byte) (int, error) {
	b[0] = 0
	for i := 1; i < 9; i++ {
		if len(d.data) > 0 {
			b[i], d.data = d.data[0], d.data[1:]
		} else {
			b[i] = 0
		}
	}
	return 9, nil
}
func (d *fuzzDevice) SendFeatureReport(b []byte) (int, error) { return len(b), nil }
func (d *fuzzDevice) Close() error                            { return nil }

// FuzzOTPResponses: whatever a device answers, the transport ends (within
// its bounds) with data, a status or an error, never a panic.
func FuzzOTPResponses(f *testing.F) {
	f.Add([]byte{0, 5, 4, 3, 1, 0, 0, 0, 0x00, 0xbc, 0x61, 0x4e, 0x9d, 0x64, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 0, 0, 0, 0, 0, 0x40})
	f.Add([]byte{0, 5, 4, 3, 1, 0, 0, 0x80, 0, 5, 4, 3, 1, 0, 0, 0x20})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := hid.NewOTP(&fuzzDevice{data: data})
		o.Sleep = func(time.Duration) {}
		s, err := yubikey.NewSession(o)
		if err != nil {
			return
		}
		s.Serial()
		s.Put(1, &yubikey.Config{}, nil)
		s.CalculateHMAC(1, []byte("challenge"))
	})
}
