package apiservertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
)

func TestStartAndHelpers(t *testing.T) {
	c := Start(t)
	Namespace(t, c, "team")
	Namespace(t, c, "team") // idempotent
	if _, err := client.MustFor[*core.Namespace](c).Get(context.Background(), "team"); err != nil {
		t.Fatal(err)
	}
	n := 0
	Eventually(t, time.Second, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
}
