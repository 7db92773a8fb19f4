package yubikey_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenctl/tokenctl/internal/pcsctest"
	"github.com/tokenctl/tokenctl/nfc"
	"github.com/tokenctl/tokenctl/sim/vpcd"
	yksim "github.com/tokenctl/tokenctl/sim/yubikey"
	"github.com/tokenctl/tokenctl/yubikey"
)

// programNext waits for the next key, reads its serial and programs slot 1
// with a chal-resp credential, as a batch would.
func programNext(ctx context.Context, pc *nfc.Context, reader string) (uint32, error) {
	if err := pc.WaitForCard(ctx, reader); err != nil {
		return 0, err
	}
	card, err := pc.Connect(reader)
	if err != nil {
		return 0, err
	}
	defer card.Close()
	b, err := yubikey.NewCCID(card)
	if err != nil {
		return 0, err
	}
	s, err := yubikey.NewSession(b)
	if err != nil {
		return 0, err
	}
	serial, err := s.Serial()
	if err != nil {
		return 0, err
	}
	c, _ := yubikey.ChalRespConfig([]byte{byte(serial), 2, 3}, false)
	return serial, s.Put(1, c, nil)
}

// settle leaves the reader empty long enough after a key was pulled from
// under a connected host for pcscd to see it empty again.
func settle(t *testing.T) { t.Cleanup(func() { time.Sleep(time.Second) }) }

func TestStreamWithFault(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	settle(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Key 2 (index 1) answers 2 APDUs (select, serial) and is pulled on
	// the 3rd, the configuration write; it is then presented again.
	st := &yksim.Stream{Port: vpcd.Port1, FirstSerial: 30000001, Count: 3, Idle: 5 * time.Second,
		PullAfter: func(i int) int {
			if i == 1 {
				return 2
			}
			return 0
		}, OnInsert: func(i int, k *yksim.Key) { t.Logf("%s: insert key %d", time.Now().Format("05.000"), i) }}
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port1)
	var got []uint32
	failures := 0
	for len(got) < 3 && failures < 5 {
		serial, err := programNext(ctx, pc, reader)
		if err != nil {
			failures++
			t.Logf("%s: attempt failed (expected once): %v", time.Now().Format("05.000"), err)
			if !nfc.Removed(err) {
				t.Fatalf("not a removal: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		got = append(got, serial)
		if err := pc.WaitForRemoval(ctx, reader); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != 30000001 || got[1] != 30000002 || got[2] != 30000003 || failures < 1 {
		t.Fatalf("programmed %v with %d failures", got, failures)
	}
	for i, k := range st.Keys() {
		if !k.Slot(1).Configured {
			t.Errorf("key %d not programmed", i)
		}
	}
}

// TestStreamLostAnswer: key 1's configuration write takes, but the key is
// pulled before the host hears it; presented again, it is found
// programmed.
func TestStreamLostAnswer(t *testing.T) {
	pcsctest.Require(t)
	pcsctest.LockReader(t, vpcd.Port1)
	settle(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := &yksim.Stream{Port: vpcd.Port1, FirstSerial: 40000001, Count: 1, Idle: 5 * time.Second,
		LoseAnswer: func(i int) int { return 3 }} // select, serial, write
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	pc, err := nfc.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port1)
	if _, err := programNext(ctx, pc, reader); err == nil || !nfc.Removed(err) {
		t.Fatalf("first attempt: %v, want a removal", err)
	}
	k := st.Keys()[0]
	if !k.Slot(1).Configured {
		t.Fatal("the write did not take on the key")
	}
	time.Sleep(300 * time.Millisecond)
	if serial, err := programNext(ctx, pc, reader); err != nil || serial != 40000001 {
		t.Fatalf("second attempt: %d %v", serial, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// BenchmarkProgramThroughPCSC: one key programmed per iteration through
// pcscd and vpcd (connect, select, serial, write, disconnect).
func BenchmarkProgramThroughPCSC(b *testing.B) {
	pcsctest.Require(b)
	pcsctest.LockReader(b, vpcd.Port1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	k := yksim.New(yksim.Options{})
	conn, done, err := yksim.Insert(ctx, vpcd.Port1, k)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { conn.Remove(); <-done }()
	pc, err := nfc.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Release()
	reader := vpcd.ReaderName(vpcd.Port1)
	if err := pc.WaitForCard(ctx, reader); err != nil {
		b.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let pcscd finish powering the new card
	b.ResetTimer()
	retries := 0
	for i := 0; i < b.N; i++ {
		if _, err := programNext(ctx, pc, reader); err != nil {
			// vpcd occasionally drops an exchange right after a reset.
			retries++
			if _, err := programNext(ctx, pc, reader); err != nil || retries > b.N/10+1 {
				b.Fatalf("%v (%d retries)", err, retries)
			}
		}
	}
	b.ReportMetric(float64(retries), "retries")
}
