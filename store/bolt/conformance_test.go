package bolt_test

import (
	"path/filepath"
	"testing"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
	"github.com/longshore/longshore/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t testing.TB) store.Store {
		db, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
