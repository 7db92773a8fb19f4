package yubikey_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/tokenctl/tokenctl/yubikey"
)

type vectors struct {
	CRC16 []struct {
		Data string `json:"data"`
		CRC  uint16 `json:"crc"`
	} `json:"crc16"`
	Modhex []struct {
		Modhex string `json:"modhex"`
		Hex    string `json:"hex"`
	} `json:"modhex"`
	Configs []struct {
		Name   string `json:"name"`
		Config string `json:"config"`
	} `json:"configs"`
	HIDWrites []struct {
		Name       string   `json:"name"`
		Command    byte     `json:"command"`
		Config     string   `json:"config"`
		AccessCode string   `json:"current_access_code"`
		Reports    []string `json:"reports"`
	} `json:"hid_writes"`
	Residual uint16            `json:"crc16_residual_ok"`
	CCID     map[string]string `json:"ccid_apdus_ykman_4_0_9"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/yubikey-otp.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCRC16Vectors(t *testing.T) {
	v := loadVectors(t)
	if len(v.CRC16) == 0 {
		t.Fatal("no vectors")
	}
	for _, c := range v.CRC16 {
		if got := yubikey.CRC16(unhex(t, c.Data)); got != c.CRC {
			t.Errorf("CRC16(%s) = %d, want %d", c.Data, got, c.CRC)
		}
		withCRC := yubikey.AppendCRC(unhex(t, c.Data))
		if !yubikey.CheckCRC(withCRC) || yubikey.CRC16(withCRC) != v.Residual {
			t.Errorf("residual over %s plus its CRC is %04x, want %04x", c.Data, yubikey.CRC16(withCRC), v.Residual)
		}
	}
	if yubikey.CRCResidual != v.Residual {
		t.Errorf("CRCResidual %04x, vectors say %04x", yubikey.CRCResidual, v.Residual)
	}
}

func TestModhexVectors(t *testing.T) {
	v := loadVectors(t)
	for _, m := range v.Modhex {
		b := unhex(t, m.Hex)
		if got := yubikey.Modhex(b); got != m.Modhex {
			t.Errorf("Modhex(%s) = %q, want %q", m.Hex, got, m.Modhex)
		}
		got, err := yubikey.ParseModhex(m.Modhex)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("ParseModhex(%q) = %x, %v; want %s", m.Modhex, got, err, m.Hex)
		}
	}
	for _, bad := range []string{"c", "ca", "cbx0", "cbdefghijklnrtuva"} {
		if _, err := yubikey.ParseModhex(bad); err == nil {
			t.Errorf("ParseModhex(%q) accepted", bad)
		}
	}
	if got, _ := yubikey.ParseModhex("CBDE"); !bytes.Equal(got, []byte{0x01, 0x23}) {
		t.Errorf("upper case modhex: %x", got)
	}
}

// TestConfigVectors rebuilds every configuration vector with the
// constructors, and parses each back.
func TestConfigVectors(t *testing.T) {
	v := loadVectors(t)
	key3040 := unhex(t, "303132333435363738393a3b3c3d3e3f40414243")
	build := []func() *yubikey.Config{
		func() *yubikey.Config { return &yubikey.Config{Tkt: yubikey.TktAppendCR} },
		func() *yubikey.Config {
			c := &yubikey.Config{Tkt: yubikey.TktAppendCR, Cfg: 0xF0}
			copy(c.Key[:], key3040)
			return c
		},
		func() *yubikey.Config {
			c, err := yubikey.HOTPConfig(key3040, yubikey.HOTPOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c.Ext = 0
			return c.SetAppendCR(false)
		},
		func() *yubikey.Config {
			c, err := yubikey.ChalRespConfig(key3040, false)
			if err != nil {
				t.Fatal(err)
			}
			c.Ext = yubikey.ExtSerialAPIVisible
			return c
		},
		func() *yubikey.Config {
			c, err := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(12345678), unhex(t, "010203040506"), unhex(t, "000102030405060708090a0b0c0d0e0f"))
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		func() *yubikey.Config {
			c, err := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	}
	if len(build) != len(v.Configs) {
		t.Fatalf("%d builders for %d vectors", len(build), len(v.Configs))
	}
	for i, want := range v.Configs {
		got := hex.EncodeToString(build[i]().Bytes())
		if got != want.Config {
			t.Errorf("%s:\n got %s\nwant %s", want.Name, got, want.Config)
		}
		c, err := yubikey.ParseConfig(unhex(t, want.Config))
		if err != nil {
			t.Errorf("%s: parse: %v", want.Name, err)
			continue
		}
		if got := hex.EncodeToString(c.Bytes()); got != want.Config {
			t.Errorf("%s: parse and re-encode gives %s", want.Name, got)
		}
	}
	for _, w := range v.HIDWrites {
		c, err := yubikey.ParseConfig(unhex(t, w.Config))
		if err != nil {
			t.Errorf("%s: %v", w.Name, err)
			continue
		}
		if got := hex.EncodeToString(c.Bytes()); got != w.Config {
			t.Errorf("%s: re-encoded %s", w.Name, got)
		}
	}
}

// TestCCIDVectorsFromYkman checks the APDUs ykman 4.0.9 was seen sending.
func TestCCIDVectorsFromYkman(t *testing.T) {
	v := loadVectors(t)
	if len(v.CCID) < 2 {
		t.Fatal("missing ykman APDU vectors")
	}
	hotp, _ := yubikey.HOTPConfig([]byte("12345678901234567890"), yubikey.HOTPOptions{})
	otp, _ := yubikey.YubicoOTPConfig(yubikey.SerialPublicID(12345678), unhex(t, "010203040506"), unhex(t, "000102030405060708090a0b0c0d0e0f"))
	zero := make([]byte, 6)
	cases := map[string][]byte{
		"hotp slot 2, key base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ, defaults":              yubikey.ConfigAPDU(yubikey.CmdConfig2, append(hotp.Bytes(), zero...)),
		"yubiotp slot 1, public id vvccccnrhbfu, private id 010203040506, key 000102..0f": yubikey.ConfigAPDU(yubikey.CmdConfig1, append(otp.Bytes(), zero...)),
	}
	for name, got := range cases {
		want, ok := v.CCID[name]
		if !ok {
			t.Errorf("vector %q missing", name)
			continue
		}
		if hex.EncodeToString(got) != want {
			t.Errorf("%s:\n got %x\nwant %s", name, got, want)
		}
	}
	if pub := yubikey.Modhex(yubikey.SerialPublicID(12345678)); pub != "vvccccnrhbfu" {
		t.Errorf("serial public ID %s", pub)
	}
}
