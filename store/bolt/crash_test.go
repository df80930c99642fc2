package bolt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/longshore/longshore/store"
)

// crashEnv makes the test binary act as the crash test's writer child.
const crashEnv = "LONGSHORE_BOLT_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		os.Exit(crashChild(path, os.Getenv(crashEnv+"_ROUND")))
	}
	os.Exit(m.Run())
}

// crashChild writes until killed, printing "revision key" for every
// acknowledged write. Values are derived from keys so the parent can check
// them.
func crashChild(path, round string) int {
	db, err := Open(path, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 2
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	deadline := time.Now().Add(30 * time.Second) // bounded even if never killed
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				key := fmt.Sprintf("/crash/%s/%d/%d", round, w, i)
				kv, err := db.Create(context.Background(), key, crashValue(key), 0)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child create:", err)
					return
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %s\n", kv.ModRevision, key)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	// An updater guarded by compare-and-swap, and a compactor, so that
	// crashes also hit updates and compactions.
	wg.Add(2)
	go func() {
		defer wg.Done()
		key := fmt.Sprintf("/crash/%s/counter", round)
		kv, err := db.Create(context.Background(), key, []byte("0"), 0)
		for n := 1; err == nil && time.Now().Before(deadline); n++ {
			kv, err = db.Update(context.Background(), key, []byte(strconv.Itoa(n)), kv.ModRevision)
			if err == nil {
				mu.Lock()
				fmt.Fprintf(out, "%d %s %d\n", kv.ModRevision, key, n)
				out.Flush()
				mu.Unlock()
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child update:", err)
		}
	}()
	go func() {
		defer wg.Done()
		for time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			cur, _, err := db.Revision(context.Background())
			if err == nil && cur > 50 {
				err = db.Compact(context.Background(), cur-50)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "child compact:", err)
				return
			}
		}
	}()
	wg.Wait()
	return 0
}

func crashValue(key string) []byte { return []byte("value-of-" + key) }

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the binary 20 times")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	const rounds = 20
	var lastRev int64
	acked := map[string]int64{}
	deadline := time.Now().Add(2 * time.Minute)
	for round := 0; round < rounds && time.Now().Before(deadline); round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, crashEnv+"_ROUND="+strconv.Itoa(round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan []string, 1)
		first := make(chan struct{})
		go func() { lines <- readAcks(stdout, first) }()
		// Kill at a random moment once the child is writing (opening a
		// growing file takes a while).
		select {
		case <-first:
		case <-time.After(30 * time.Second):
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		got := <-lines
		cmd.Wait()
		if len(got) == 0 {
			t.Fatalf("round %d: child acknowledged nothing; stderr: %s", round, stderr.String())
		}
		counters := map[string][2]int64{} // key -> last acknowledged revision, value
		for _, l := range got {
			f := strings.Fields(l)
			rev, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil || len(f) < 2 || len(f) > 3 {
				t.Fatalf("bad line %q", l)
			}
			if len(f) == 3 {
				n, _ := strconv.ParseInt(f[2], 10, 64)
				counters[f[1]] = [2]int64{rev, n}
				continue
			}
			acked[f[1]] = rev
		}

		db, err := Open(path, nil)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		ctx := context.Background()
		rev, _, _ := db.Revision(ctx)
		if rev < lastRev {
			t.Fatalf("round %d: revision went back from %d to %d", round, lastRev, rev)
		}
		lastRev = rev
		for key, krev := range acked {
			kv, err := db.Get(ctx, key, store.GetOptions{})
			if err != nil {
				t.Fatalf("round %d: acknowledged key %s lost: %v", round, key, err)
			}
			if string(kv.Value) != string(crashValue(key)) || kv.ModRevision != krev {
				t.Fatalf("round %d: key %s = %q at %d, want %q at %d", round, key, kv.Value, kv.ModRevision, crashValue(key), krev)
			}
		}
		for key, c := range counters {
			// Updates after the last acknowledged one may have landed.
			kv, err := db.Get(ctx, key, store.GetOptions{})
			if err != nil {
				t.Fatalf("round %d: counter %s lost: %v", round, key, err)
			}
			n, _ := strconv.ParseInt(string(kv.Value), 10, 64)
			if kv.ModRevision < c[0] || n < c[1] {
				t.Fatalf("round %d: counter %s = %d at %d, acknowledged %d at %d", round, key, n, kv.ModRevision, c[1], c[0])
			}
		}
		if _, compacted, _ := db.Revision(ctx); compacted > rev {
			t.Fatalf("round %d: compaction point %d above revision %d", round, compacted, rev)
		}
		if _, err := db.Create(ctx, fmt.Sprintf("/after/%d", round), []byte("x"), 0); err != nil {
			t.Fatalf("round %d: store unusable after crash: %v", round, err)
		}
		lastRev++
		db.Close()
		t.Logf("round %d: %d writes acknowledged before SIGKILL, revision %d", round, len(got), rev)
	}
}

// readAcks reads complete lines until EOF; a line cut by the kill is
// dropped (it was not acknowledged to anyone).
func readAcks(r io.Reader, first chan<- struct{}) []string {
	var out []string
	br := bufio.NewReader(r)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			if out == nil {
				close(first)
			}
			return out
		}
		if out == nil {
			close(first)
		}
		out = append(out, strings.TrimSuffix(l, "\n"))
	}
}
