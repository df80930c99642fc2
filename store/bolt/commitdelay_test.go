package bolt

import (
	"testing"
	"time"
)

func TestCommitDelayDefaults(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want time.Duration
	}{
		{Options{}, DefaultCommitDelay},
		{Options{NoSync: true}, 0},
		{Options{CommitDelay: -1}, 0},
		{Options{CommitDelay: 2 * time.Millisecond}, 2 * time.Millisecond},
		{Options{CommitDelay: 2 * time.Millisecond, NoSync: true}, 2 * time.Millisecond},
	} {
		if got := engineOptions(&tc.o).CommitDelay; got != tc.want {
			t.Errorf("%+v: CommitDelay %v, want %v", tc.o, got, tc.want)
		}
	}
}
