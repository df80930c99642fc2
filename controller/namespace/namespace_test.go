package namespace_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/namespace"
)

func start(t *testing.T) *client.Client {
	t.Helper()
	c := apiservertest.Start(t)
	f := controller.NewFactory(c, nil)
	ctrl, _, err := namespace.New(f, &namespace.Options{RecheckPeriod: 100 * time.Millisecond})
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

// fill creates a few kinds of objects in ns.
func fill(t *testing.T, c *client.Client, ns string) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := client.MustFor[*core.ConfigMap](c).Namespace(ns).Create(ctx, &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: fmt.Sprintf("cm%d", i)}}, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.MustFor[*core.Secret](c).Namespace(ns).Create(ctx, &core.Secret{ObjectMeta: meta.ObjectMeta{Name: "s"}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.MustFor[*core.Pod](c).Namespace(ns).Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "p"},
		Spec: core.PodSpec{Containers: []core.Container{{Name: "c", Image: "img"}}}}, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, c *client.Client, ns string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	cms, err := client.MustFor[*core.ConfigMap](c).Namespace(ns).List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := client.MustFor[*core.Secret](c).Namespace(ns).List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pods, err := client.MustFor[*core.Pod](c).Namespace(ns).List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n += len(cms.Items) + len(secrets.Items) + len(pods.Items)
	return n
}

func TestNamespaceDeletionEmptiesIt(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	nss := client.MustFor[*core.Namespace](c)
	apiservertest.Namespace(t, c, "bystander")
	fill(t, c, "bystander")
	tests := []struct {
		name       string
		finalizers []string
	}{
		{"deleted at once", nil},
		{"held by a finalizer", []string{"example.com/hold"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("ns-%d", len(tt.finalizers))
			if _, err := nss.Create(ctx, &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: name, Finalizers: tt.finalizers}}, client.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			fill(t, c, name)
			if err := nss.Delete(ctx, name, nil); err != nil {
				t.Fatal(err)
			}
			apiservertest.Eventually(t, 10*time.Second, func() error {
				if n := count(t, c, name); n != 0 {
					return fmt.Errorf("%d objects left", n)
				}
				return nil
			})
			if n := count(t, c, "bystander"); n != 5 {
				t.Fatalf("another namespace lost objects: %d left", n)
			}
			if tt.finalizers == nil {
				// Nothing else holds it: finalizing removes the namespace.
				apiservertest.Eventually(t, 10*time.Second, func() error {
					if _, err := nss.Get(ctx, name); !apierror.IsNotFound(err) {
						return fmt.Errorf("namespace still there (err %v)", err)
					}
					return nil
				})
				return
			}
			// Held by another finalizer: "kubernetes" leaves spec.finalizers
			// and the namespace stays, terminating, until that one goes.
			apiservertest.Eventually(t, 5*time.Second, func() error {
				ns, err := nss.Get(ctx, name)
				if err != nil {
					return err
				}
				if ns.DeletionTimestamp == nil || ns.Status.Phase != core.NamespaceTerminating {
					return fmt.Errorf("namespace not terminating: %+v", ns.Status)
				}
				if slices.Contains(ns.Spec.Finalizers, core.FinalizerKubernetes) {
					return fmt.Errorf("finalizers %v", ns.Spec.Finalizers)
				}
				return nil
			})
		})
	}
}

func TestResources(t *testing.T) {
	c := apiservertest.Start(t)
	res, err := namespace.Resources(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range res {
		have[r.GroupVersionResource.String()] = true
		if !r.Namespaced {
			t.Errorf("%v is not namespaced", r)
		}
	}
	tests := []struct {
		gvr  meta.GroupVersionResource
		want bool
	}{
		{meta.GroupVersionResource{Version: "v1", Resource: "pods"}, true},
		{meta.GroupVersionResource{Version: "v1", Resource: "configmaps"}, true},
		{meta.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, true},
		{meta.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}, true},
		{meta.GroupVersionResource{Version: "v1", Resource: "nodes"}, false},
		{meta.GroupVersionResource{Version: "v1", Resource: "namespaces"}, false},
		{meta.GroupVersionResource{Version: "v1", Resource: "pods/status"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.gvr.Resource, func(t *testing.T) {
			if have[tt.gvr.String()] != tt.want {
				t.Fatalf("%v listed = %v, want %v", tt.gvr, have[tt.gvr.String()], tt.want)
			}
		})
	}
}
