package garbagecollector

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
)

type env struct {
	cms *client.Resource[*core.ConfigMap]
	gc  *GarbageCollector
}

func setup(t *testing.T) *env {
	t.Helper()
	c := apiservertest.Start(t)
	gc, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := gc.Start(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	apiservertest.Eventually(t, 10*time.Second, func() error {
		if !gc.HasSynced() {
			return fmt.Errorf("not synced")
		}
		return nil
	})
	return &env{cms: client.MustFor[*core.ConfigMap](c).Namespace("default"), gc: gc}
}

func ref(owner *core.ConfigMap, block bool) meta.OwnerReference {
	return meta.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID, BlockOwnerDeletion: &block}
}

func (e *env) cm(t *testing.T, name string, finalizers []string, owners ...meta.OwnerReference) *core.ConfigMap {
	t.Helper()
	out, err := e.cms.Create(context.Background(), &core.ConfigMap{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default",
		Finalizers: finalizers, OwnerReferences: owners}}, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) del(t *testing.T, name string, policy meta.DeletionPropagation) {
	t.Helper()
	if err := e.cms.Delete(context.Background(), name, &meta.DeleteOptions{PropagationPolicy: &policy}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) gone(t *testing.T, name string) {
	t.Helper()
	apiservertest.Eventually(t, 10*time.Second, func() error {
		_, err := e.cms.Get(context.Background(), name)
		if apierror.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("%s still exists (err %v)", name, err)
	})
}

func (e *env) get(t *testing.T, name string) *core.ConfigMap {
	t.Helper()
	cm, err := e.cms.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

// stays checks that name is still there after the collector had time to act.
func (e *env) stays(t *testing.T, name string) *core.ConfigMap {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	return e.get(t, name)
}

func TestBackgroundDeletion(t *testing.T) {
	e := setup(t)
	owner := e.cm(t, "owner", nil)
	child := e.cm(t, "child", nil, ref(owner, false))
	e.cm(t, "grandchild", nil, ref(child, false))
	e.del(t, "owner", meta.DeletePropagationBackground)
	e.gone(t, "child")
	e.gone(t, "grandchild")
}

func TestOwnerVerifiedByUID(t *testing.T) {
	e := setup(t)
	owner := e.cm(t, "owner", nil)
	stale := ref(owner, false)
	stale.UID = "00000000-0000-0000-0000-000000000001" // an older incarnation of "owner"
	e.cm(t, "of-old-owner", nil, stale)
	e.cm(t, "of-owner", nil, ref(owner, false))
	e.gone(t, "of-old-owner")
	e.stays(t, "of-owner")
}

func TestRemainingOwnerKeepsDependent(t *testing.T) {
	e := setup(t)
	a, b := e.cm(t, "a", nil), e.cm(t, "b", nil)
	e.cm(t, "shared", nil, ref(a, false), ref(b, false))
	e.del(t, "a", meta.DeletePropagationBackground)
	apiservertest.Eventually(t, 10*time.Second, func() error {
		cm := e.get(t, "shared")
		if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != b.UID {
			return fmt.Errorf("owner references %+v, want only b", cm.OwnerReferences)
		}
		return nil
	})
}

func TestOrphanDeletion(t *testing.T) {
	e := setup(t)
	owner := e.cm(t, "owner", nil)
	e.cm(t, "child", nil, ref(owner, true))
	e.del(t, "owner", meta.DeletePropagationOrphan)
	e.gone(t, "owner")
	if cm := e.stays(t, "child"); len(cm.OwnerReferences) != 0 {
		t.Fatalf("orphaned child still has owners %+v", cm.OwnerReferences)
	}
}

func TestForegroundDeletionWaitsForBlockingDependents(t *testing.T) {
	e := setup(t)
	owner := e.cm(t, "owner", nil)
	// The blocking dependent has a finalizer of its own, which the
	// collector must respect: the owner waits until someone removes it.
	e.cm(t, "blocker", []string{"example.com/hold"}, ref(owner, true))
	e.cm(t, "loose", nil, ref(owner, false))
	e.del(t, "owner", meta.DeletePropagationForeground)
	e.gone(t, "loose")
	apiservertest.Eventually(t, 10*time.Second, func() error {
		if cm := e.get(t, "blocker"); cm.DeletionTimestamp == nil {
			return fmt.Errorf("blocker not being deleted")
		}
		return nil
	})
	if o := e.stays(t, "owner"); o.DeletionTimestamp == nil || !o.HasFinalizer(FinalizerForeground) {
		t.Fatalf("owner should wait with the foregroundDeletion finalizer: %+v", o.ObjectMeta)
	}
	blocker := e.get(t, "blocker")
	blocker.Finalizers = nil
	if _, err := e.cms.Update(context.Background(), blocker, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.gone(t, "blocker")
	e.gone(t, "owner")
}

func TestDiscover(t *testing.T) {
	c := apiservertest.Start(t)
	rs, err := Discover(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"pods": true, "configmaps": true, "replicasets": true, "deployments": true, "namespaces": true}
	for _, r := range rs {
		if r.Resource == "events" || r.Resource == "pods/status" {
			t.Fatalf("discovered %s, which must be skipped", r.Resource)
		}
		if r.Resource == "pods" && (!r.Namespaced || r.Kind != "Pod" || r.Version != "v1") {
			t.Fatalf("pods resource %+v", r)
		}
		if r.Resource == "namespaces" && r.Namespaced {
			t.Fatal("namespaces discovered as namespaced")
		}
		delete(want, r.Resource)
	}
	if len(want) > 0 {
		t.Fatalf("not discovered: %v", want)
	}
}
