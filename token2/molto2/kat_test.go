package molto2

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/token2"
)

// vectors holds the Molto2 known-answer values of the Token2 reference
// vectors (testdata/vectors.json).
type vectors struct {
	Molto2 struct {
		Auth struct {
			APDU      string `json:"apdu"`
			Challenge string `json:"challenge"`
		} `json:"auth"`
		CustomerKeyASCII string `json:"customer_key_ascii"`
		MACExample       struct {
			MAC     string `json:"mac"`
			Message string `json:"message_ascii"`
		} `json:"mac_example"`
		SM4Key   string `json:"sm4_key"`
		TimeSync struct {
			APDU    string `json:"apdu"`
			Profile string `json:"profile"`
			UTC     string `json:"utc"`
		} `json:"time_sync"`
		WriteConfig struct {
			APDU    string `json:"apdu"`
			Profile string `json:"profile"`
			TLV     string `json:"tlv"`
		} `json:"write_config"`
		WriteSeed []struct {
			APDU    string `json:"apdu"`
			Note    string `json:"note"`
			Profile string `json:"profile"`
			Seed    string `json:"seed"`
		} `json:"write_seed"`
		WriteTitle struct {
			APDU    string `json:"apdu"`
			Profile string `json:"profile"`
			Title   string `json:"title"`
		} `json:"write_title"`
	} `json:"molto2"`
}

func loadVectors(t *testing.T) *vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Molto2.WriteSeed) != 2 || v.Molto2.SM4Key == "" {
		t.Fatal("vector file changed shape")
	}
	return &v
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func num(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestKATProbe(t *testing.T) {
	v := loadVectors(t).Molto2
	key := SM4Key([]byte(v.CustomerKeyASCII))
	t.Logf("key %X", key)
	for _, c := range v.WriteSeed {
		s := unhex(t, c.Seed)
		for _, clear := range []bool{false, true} {
			body, err := SeedBody(key, s, clear)
			if err != nil {
				t.Log(err)
				continue
			}
			cmd, _ := token2.SecureCommand(key, 0xC5, 1, byte(num(t, c.Profile)), body)
			t.Logf("%s clear=%v %X want %s", c.Note, clear, cmd, c.APDU)
		}
	}
	_ = bytes.Equal
	_ = seed.SHA1
	_ = time.Now
}
