package storetest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/longshore/longshore/store"
)

// faultEnv names the fault TestReference injects into the reference store;
// TestSuiteCatchesFaults sets it in a child test process.
const faultEnv = "STORETEST_REF_FAULT"

func TestReference(t *testing.T) {
	fault := os.Getenv(faultEnv)
	Run(t, func(t testing.TB) store.Store {
		s := newRefStore(fault)
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestSuiteCatchesFaults runs the suite against the reference store with
// one fault injected at a time, in a child process, and checks that the
// subtest meant to catch the fault fails. This is what keeps the suite's
// checks able to fail.
func TestSuiteCatchesFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite once per fault")
	}
	for _, tc := range []struct{ fault, subtest string }{
		{"ignorectx", "CancelledContext"},
		{"futureok", "FutureRevision"},
		{"nocompacterr", "Compact"},
		{"pastread", "ReadAtPastRevision"},
		{"revskip", "CreateGet"},
		{"listnopin", "ListPaginationUnderWrites"},
		{"continueexclusive", "ListContinueAnyToken"},
		{"prefixloose", "ListPrefixIsolation"},
		{"remainingoff", "ListPagination"},
		{"badinputwrites", "BadInput"},
		{"recreatekeepsversion", "RecreateAfterDelete"},
		{"conflictignored", "Update"},
		{"conflictignored", "ConcurrentCAS"},
		{"updatedropslease", "LeaseExpiry"},
		{"noprev", "WatchEvents"},
		{"seam", "WatchReplayThenLive"},
		{"watchgap", "WatchSlowConsumer"},
		{"watchnowreplays", "WatchFromNow"},
		{"nocancel", "WatchCancelContext"},
		{"closenoerr", "CloseStore"},
		{"noprogress", "WatchProgress"},
		{"leasenodelete", "LeaseExpiry"},
		{"leasenodelete", "LeaseRevoke"},
		{"keepaliveignored", "LeaseKeepAlive"},
	} {
		t.Run(tc.fault+"/"+tc.subtest, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run", "^TestReference$/^"+tc.subtest+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), faultEnv+"="+tc.fault)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("subtest %s passed against a store with fault %q:\n%s", tc.subtest, tc.fault, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestReference/"+tc.subtest) {
				t.Fatalf("fault %q: subtest %s did not fail as such:\n%s", tc.fault, tc.subtest, out)
			}
		})
	}
}
