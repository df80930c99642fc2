package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/garbagecollector"
	"github.com/longshore/longshore/examples/customcontroller/website"
)

// startServer runs an in-process API server on a memory store for the
// test's lifetime and returns a client of it.
func startServer(tb testing.TB) *client.Client { return apiservertest.Start(tb) }

// startOperator runs the example (run, as main does) until the test ends
// or the returned stop is called.
func startOperator(tb testing.TB, c *client.Client, identity string) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := config{LeaseNamespace: "default", LeaseName: "website-controller", Identity: identity, Workers: 2,
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}
	go func() { done <- run(ctx, c, cfg) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("operator %s: %v", identity, err)
				}
			case <-time.After(30 * time.Second):
				tb.Errorf("operator %s did not stop", identity)
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

// startGarbageCollector runs controller/garbagecollector until the test
// ends. It discovers resources once, at Start: call it after the CRD is
// served.
func startGarbageCollector(tb testing.TB, c *client.Client) {
	tb.Helper()
	gc, err := garbagecollector.New(c, &garbagecollector.Options{Workers: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gc.Start(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("garbage collector: %v", err)
		}
	})
	eventually(tb, func() error {
		if !gc.HasSynced() {
			return errors.New("garbage collector not synced")
		}
		return nil
	})
}

// eventually polls cond until it returns nil or the timeout passes.
func eventually(tb testing.TB, cond func() error) {
	tb.Helper()
	const timeout = 20 * time.Second
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not met after %v: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkOwner(m *meta.ObjectMeta, w *unstructured.Object) error {
	if len(m.OwnerReferences) != 1 {
		return fmt.Errorf("%s: ownerReferences %+v, want one", m.Name, m.OwnerReferences)
	}
	ref := m.OwnerReferences[0]
	if ref.APIVersion != website.Group+"/"+website.Version || ref.Kind != website.Kind || ref.Name != w.Name || ref.UID != w.UID ||
		ref.Controller == nil || !*ref.Controller || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		return fmt.Errorf("%s: ownerReference %+v does not name website %s (uid %s) as controller", m.Name, ref, w.Name, w.UID)
	}
	return nil
}

func checkDeployment(d *apps.Deployment, w *unstructured.Object, replicas int32, image string, port int32) error {
	if err := checkOwner(&d.ObjectMeta, w); err != nil {
		return err
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != replicas {
		return fmt.Errorf("deployment replicas %v, want %d", d.Spec.Replicas, replicas)
	}
	cs := d.Spec.Template.Spec.Containers
	if len(cs) != 1 || cs[0].Image != image || len(cs[0].Ports) != 1 || cs[0].Ports[0].ContainerPort != port {
		return fmt.Errorf("deployment containers %+v, want one with image %s and port %d", cs, image, port)
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			return fmt.Errorf("selector %v does not select the template's labels %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
		}
	}
	return nil
}

// waitDeployment waits until the Website's Deployment is owned by w and
// has the replicas, image and port.
func waitDeployment(tb testing.TB, deps *client.Resource[*apps.Deployment], w *unstructured.Object, replicas int32, image string, port int32) {
	tb.Helper()
	eventually(tb, func() error {
		d, err := deps.Get(context.Background(), w.Name)
		if err != nil {
			return err
		}
		return checkDeployment(d, w, replicas, image, port)
	})
}

// waitService waits until the Website's Service is owned by w, selects
// its pods and forwards port to the same container port.
func waitService(tb testing.TB, svcs *client.Resource[*core.Service], w *unstructured.Object, port int32) {
	tb.Helper()
	eventually(tb, func() error {
		s, err := svcs.Get(context.Background(), w.Name)
		if err != nil {
			return err
		}
		if err := checkOwner(&s.ObjectMeta, w); err != nil {
			return err
		}
		if len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != port || s.Spec.Ports[0].TargetPort != intstr.FromInt(port) {
			return fmt.Errorf("service ports %+v, want %d -> %d", s.Spec.Ports, port, port)
		}
		if s.Spec.Selector[website.LabelInstance] != w.Name {
			return fmt.Errorf("service selector %v", s.Spec.Selector)
		}
		return nil
	})
}

func websiteStatus(tb testing.TB, ws *client.Resource[*unstructured.Object], name string) (*website.Website, error) {
	tb.Helper()
	obj, err := ws.Get(context.Background(), name)
	if err != nil {
		return nil, err
	}
	return website.FromUnstructured(obj)
}

func TestOperator(t *testing.T) {
	ctx := context.Background()
	c := startServer(t)
	if err := website.InstallCRD(ctx, c); err != nil {
		t.Fatal(err)
	}
	startOperator(t, c, "replica-1")
	startGarbageCollector(t, c)
	ws := client.Dynamic(c, website.GVR).Namespace("default")
	deps := client.MustFor[*apps.Deployment](c).Namespace("default")
	svcs := client.MustFor[*core.Service](c).Namespace("default")

	// The port is left out: the CRD's schema defaults it to 80.
	obj, err := website.ToUnstructured(&website.Website{ObjectMeta: meta.ObjectMeta{Name: "hello"}, Spec: website.Spec{Replicas: 2, Image: "nginx:1.27"}})
	if err != nil {
		t.Fatal(err)
	}
	delete(obj.UnstructuredContent()["spec"].(map[string]any), "port")
	hello, err := ws.Create(ctx, obj, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("deployment and service created, owned by the website", func(t *testing.T) {
		waitDeployment(t, deps, hello, 2, "nginx:1.27", 80)
		waitService(t, svcs, hello, 80)
		eventually(t, func() error {
			w, err := websiteStatus(t, ws, "hello")
			if err != nil {
				return err
			}
			cond := w.Status.Condition(website.ConditionReady)
			if cond == nil || cond.Status != meta.ConditionFalse || cond.Reason != website.ReasonProgressing {
				return fmt.Errorf("Ready condition %+v, want False/Progressing", cond)
			}
			if w.Status.ObservedGeneration != w.Generation {
				return fmt.Errorf("observedGeneration %d, generation %d", w.Status.ObservedGeneration, w.Generation)
			}
			return nil
		})
	})

	t.Run("spec change: the deployment follows", func(t *testing.T) {
		eventually(t, func() error { // retried on a conflict with the status writes
			cur, err := ws.Get(ctx, "hello")
			if err != nil {
				return err
			}
			spec := cur.UnstructuredContent()["spec"].(map[string]any)
			spec["replicas"], spec["image"], spec["port"] = 3, "nginx:1.28", 8080
			_, err = ws.Update(ctx, cur, client.WriteOptions{})
			return err
		})
		waitDeployment(t, deps, hello, 3, "nginx:1.28", 8080)
		waitService(t, svcs, hello, 8080)
	})

	t.Run("deployment status: the website's status follows", func(t *testing.T) {
		// What the deployment and replicaset controllers would report once
		// three pods of the new template are ready.
		eventually(t, func() error {
			d, err := deps.Get(ctx, "hello")
			if err != nil {
				return err
			}
			d.Status = apps.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3}
			_, err = deps.UpdateStatus(ctx, d, client.WriteOptions{})
			return err
		})
		eventually(t, func() error {
			w, err := websiteStatus(t, ws, "hello")
			if err != nil {
				return err
			}
			cond := w.Status.Condition(website.ConditionReady)
			if w.Status.ReadyReplicas != 3 || cond == nil || cond.Status != meta.ConditionTrue || cond.Reason != website.ReasonAvailable || cond.Message != "3/3 replicas ready" {
				return fmt.Errorf("status %+v, want 3 ready and Ready=True/Available", w.Status)
			}
			return nil
		})
	})

	t.Run("drift is repaired", func(t *testing.T) {
		eventually(t, func() error {
			d, err := deps.Get(ctx, "hello")
			if err != nil {
				return err
			}
			seven := int32(7)
			d.Spec.Replicas = &seven
			_, err = deps.Update(ctx, d, client.WriteOptions{})
			return err
		})
		waitDeployment(t, deps, hello, 3, "nginx:1.28", 8080)
	})

	t.Run("a deployment owned by someone else is left alone", func(t *testing.T) {
		one := int32(1)
		labels := map[string]string{"app": "other"}
		if _, err := deps.Create(ctx, &apps.Deployment{
			ObjectMeta: meta.ObjectMeta{Name: "taken"},
			Spec: apps.DeploymentSpec{Replicas: &one, Selector: &meta.LabelSelector{MatchLabels: labels},
				Template: core.PodTemplateSpec{ObjectMeta: meta.ObjectMeta{Labels: labels}, Spec: core.PodSpec{Containers: []core.Container{{Name: "x", Image: "busybox"}}}}},
		}, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		obj, err := website.ToUnstructured(&website.Website{ObjectMeta: meta.ObjectMeta{Name: "taken"}, Spec: website.Spec{Replicas: 4, Image: "nginx", Port: 80}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ws.Create(ctx, obj, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, func() error {
			w, err := websiteStatus(t, ws, "taken")
			if err != nil {
				return err
			}
			if cond := w.Status.Condition(website.ConditionReady); cond == nil || cond.Reason != website.ReasonConflict {
				return fmt.Errorf("Ready condition %+v, want reason Conflict", cond)
			}
			return nil
		})
		d, err := deps.Get(ctx, "taken")
		if err != nil {
			t.Fatal(err)
		}
		if *d.Spec.Replicas != 1 || len(d.OwnerReferences) != 0 || d.Spec.Template.Spec.Containers[0].Image != "busybox" {
			t.Errorf("foreign deployment changed: %+v", d.Spec)
		}
	})

	t.Run("deleting the website deletes what it owns (garbage collector)", func(t *testing.T) {
		if err := ws.Delete(ctx, "hello", nil); err != nil {
			t.Fatal(err)
		}
		eventually(t, func() error {
			if _, err := deps.Get(ctx, "hello"); !apierror.IsNotFound(err) {
				return fmt.Errorf("deployment hello: %v, want NotFound", err)
			}
			if _, err := svcs.Get(ctx, "hello"); !apierror.IsNotFound(err) {
				return fmt.Errorf("service hello: %v, want NotFound", err)
			}
			return nil
		})
		// The foreign Deployment has no owner: the collector keeps it.
		if _, err := deps.Get(ctx, "taken"); err != nil {
			t.Errorf("foreign deployment: %v", err)
		}
	})
}

// leaseHolder returns the identity holding the operator's Lease.
func leaseHolder(c *client.Client) (string, error) {
	l, err := client.MustFor[*coordination.Lease](c).Namespace("default").Get(context.Background(), "website-controller")
	if err != nil {
		return "", err
	}
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
		return "", errors.New("lease not held")
	}
	return *l.Spec.HolderIdentity, nil
}

func TestLeaderElection(t *testing.T) {
	ctx := context.Background()
	c := startServer(t)
	if err := website.InstallCRD(ctx, c); err != nil {
		t.Fatal(err)
	}
	stops := map[string]func(){
		"replica-1": startOperator(t, c, "replica-1"),
		"replica-2": startOperator(t, c, "replica-2"),
	}
	ws := client.Dynamic(c, website.GVR).Namespace("default")
	deps := client.MustFor[*apps.Deployment](c).Namespace("default")
	create := func(name string) {
		t.Helper()
		obj, err := website.ToUnstructured(&website.Website{ObjectMeta: meta.ObjectMeta{Name: name}, Spec: website.Spec{Replicas: 1, Image: "nginx", Port: 80}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ws.Create(ctx, obj, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, func() error { _, err := deps.Get(ctx, name); return err })
	}

	var leader string
	eventually(t, func() error {
		var err error
		leader, err = leaseHolder(c)
		return err
	})
	if stops[leader] == nil {
		t.Fatalf("lease held by %q, not by a replica", leader)
	}
	create("before")

	// The leader stops and releases the lease: the other replica takes
	// over and reconciles a Website created afterwards.
	stops[leader]()
	eventually(t, func() error {
		h, err := leaseHolder(c)
		if err != nil {
			return err
		}
		if h == leader {
			return fmt.Errorf("lease still held by the stopped %s", h)
		}
		return nil
	})
	create("after")
}

func TestRunInstallsCRD(t *testing.T) {
	c := startServer(t)
	crds := client.MustFor[*apiextensions.CustomResourceDefinition](c)
	if _, err := crds.Get(context.Background(), website.CRDName); err == nil {
		t.Fatal("the CRD exists before the operator starts")
	}
	startOperator(t, c, "replica-1")
	eventually(t, func() error {
		crd, err := crds.Get(context.Background(), website.CRDName)
		if err != nil {
			return err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensions.Established && cond.Status == meta.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("not established: %+v", crd.Status.Conditions)
	})
	if _, err := client.Dynamic(c, website.GVR).Namespace("default").List(context.Background(), client.ListOptions{}); err != nil {
		t.Fatalf("websites not served: %v", err)
	}
}

func TestStartNeedsKubeconfig(t *testing.T) {
	tests := []struct {
		name, kubeconfig string
	}{
		{name: "no flag", kubeconfig: ""},
		{name: "missing file", kubeconfig: filepath.Join(t.TempDir(), "nope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := start(context.Background(), tt.kubeconfig, "", config{})
			if err == nil {
				t.Fatal("start succeeded without a usable kubeconfig")
			}
		})
	}
}
