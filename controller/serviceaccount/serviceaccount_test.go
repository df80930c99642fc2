package serviceaccount_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/serviceaccount"
)

func start(t *testing.T) *client.Client {
	t.Helper()
	c := apiservertest.Start(t)
	f := controller.NewFactory(c, nil)
	ctrl, _, err := serviceaccount.New(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	f.Start(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); _ = ctrl.Start(ctx) }()
	return c
}

func TestDefaultServiceAccount(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	sas := client.MustFor[*core.ServiceAccount](c)
	apiservertest.Namespace(t, c, "team-a")
	tests := []struct {
		name, namespace string
		before          func(t *testing.T)
	}{
		{"system namespace", "kube-system", nil},
		{"new namespace", "team-a", nil},
		{"recreated after delete", "team-a", func(t *testing.T) {
			if err := sas.Namespace("team-a").Delete(ctx, serviceaccount.DefaultName, nil); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var uid string
			if tt.before != nil {
				if sa, err := sas.Namespace(tt.namespace).Get(ctx, serviceaccount.DefaultName); err == nil {
					uid = sa.UID
				}
				tt.before(t)
			}
			apiservertest.Eventually(t, 5*time.Second, func() error {
				sa, err := sas.Namespace(tt.namespace).Get(ctx, serviceaccount.DefaultName)
				if err != nil {
					return err
				}
				if uid != "" && sa.UID == uid {
					t.Fatal("the deleted account came back with its old uid")
				}
				return nil
			})
		})
	}
}
