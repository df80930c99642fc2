package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/bolt"
	"github.com/longshore/longshore/store/memory"
)

// Benchmarks of the storage layer with realistic pods (about 1.5 KB of
// JSON). The store is store/memory unless the name says bolt, so that the
// figures are the storage layer's own cost (encoding, the cache, dispatch)
// rather than the disk's.

const podPrefix = "/registry/pods/"

func benchPod(ns, name string) *core.Pod {
	res := core.ResourceRequirements{
		Requests: core.ResourceList{core.ResourceCPU: resource.MustParse("250m"), core.ResourceMemory: resource.MustParse("256Mi")},
		Limits:   core.ResourceList{core.ResourceCPU: resource.MustParse("1"), core.ResourceMemory: resource.MustParse("512Mi")},
	}
	p := &core.Pod{
		ObjectMeta: meta.ObjectMeta{
			Name: name, Namespace: ns, UID: "5f1e8a52-3b9c-4b7e-9d0a-" + fmt.Sprintf("%012d", len(name)),
			Labels:      map[string]string{"app": "web", "pod-template-hash": "7d9f8c6b5d", "tier": "frontend"},
			Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
		},
		Spec: core.PodSpec{
			Containers: []core.Container{{
				Name: "web", Image: "registry.example.com/payments/web:v1.42.7",
				Args:      []string{"--listen=:8080", "--metrics=:9090", "--log-level=info"},
				Ports:     []core.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: "TCP"}, {Name: "metrics", ContainerPort: 9090, Protocol: "TCP"}},
				Env:       []core.EnvVar{{Name: "DATABASE_URL", Value: "postgres://payments-db.payments.svc.cluster.local:5432/payments"}, {Name: "CACHE_ADDR", Value: "redis.payments.svc.cluster.local:6379"}},
				Resources: res,
				VolumeMounts: []core.VolumeMount{{Name: "config", MountPath: "/etc/web"},
					{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
				ImagePullPolicy: "IfNotPresent",
			}, {
				Name: "log-shipper", Image: "registry.example.com/infra/fluent-bit:2.2.0", Resources: res, ImagePullPolicy: "IfNotPresent",
			}},
			RestartPolicy: "Always", DNSPolicy: "ClusterFirst", ServiceAccountName: "default", NodeName: "node-0042",
		},
		Status: core.PodStatus{Phase: core.PodRunning, PodIP: "10.244.3.17", HostIP: "192.0.2.42"},
	}
	return p
}

type benchFixture struct {
	st  store.Store
	c   *Cacher
	res *Resource
}

func newBenchFixture(b *testing.B, st store.Store) *benchFixture {
	b.Helper()
	c := NewCacher(st, nil)
	res, err := c.Register(context.Background(), ResourceConfig{
		Prefix: podPrefix, GVK: meta.GroupVersionKind{Version: "v1", Kind: "Pod"},
		New: func() meta.Object { return &core.Pod{} },
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	<-c.Ready()
	return &benchFixture{st: st, c: c, res: res}
}

func memoryFixture(b *testing.B) *benchFixture {
	b.Helper()
	st := memory.New(nil)
	b.Cleanup(func() { st.Close() })
	return newBenchFixture(b, st)
}

// fill creates n pods in namespace ns and waits until the cache holds them.
func (f *benchFixture) fill(b *testing.B, ns string, n int) {
	b.Helper()
	ctx := context.Background()
	for i := range n {
		name := fmt.Sprintf("pod-%05d", i)
		if _, err := f.res.Create(ctx, podPrefix+ns+"/"+name, benchPod(ns, name), CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := f.c.waitConsistent(ctx); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkCreate(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memory", func(b *testing.B) store.Store { return memory.New(nil) }},
		{"bolt-fsync", func(b *testing.B) store.Store {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			return db
		}},
	}
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			b.Cleanup(func() { st.Close() })
			f := newBenchFixture(b, st)
			ctx := context.Background()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				name := fmt.Sprintf("pod-%08d", i)
				i++
				if _, err := f.res.Create(ctx, podPrefix+"default/"+name, benchPod("default", name), CreateOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	f := memoryFixture(b)
	f.fill(b, "default", 1000)
	ctx := context.Background()
	for _, rv := range []struct{ name, rv string }{{"consistent", ""}, {"rv0", "0"}} {
		b.Run(rv.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				key := fmt.Sprintf("%sdefault/pod-%05d", podPrefix, i%1000)
				i++
				if _, err := f.res.Get(ctx, key, rv.rv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkList(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			f := memoryFixture(b)
			f.fill(b, "default", n)
			ctx := context.Background()
			b.Run("cache", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					res, err := f.res.List(ctx, podPrefix+"default/", ListOptions{})
					if err != nil || len(res.Items) != n {
						b.Fatalf("list: %d items, %v", len(res.Items), err)
					}
				}
			})
			b.Run("store-page500", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					res, err := f.res.List(ctx, podPrefix+"default/", ListOptions{Limit: 500})
					if err != nil || len(res.Items) != 500 {
						b.Fatalf("list: %d items, %v", len(res.Items), err)
					}
				}
			})
		})
	}
}

// BenchmarkWatchDispatch measures one write reaching every watcher: each
// iteration updates a pod through the store and waits until all watchers
// have returned its event from Next.
func BenchmarkWatchDispatch(b *testing.B) {
	for _, watchers := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("watchers=%d", watchers), func(b *testing.B) {
			f := memoryFixture(b)
			f.fill(b, "default", 10)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rv := fmt.Sprint(f.c.Revision())
			var got sync.WaitGroup
			var wg sync.WaitGroup
			for range watchers {
				w, err := f.res.Watch(ctx, podPrefix+"default/", WatchOptions{ResourceVersion: rv})
				if err != nil {
					b.Fatal(err)
				}
				wg.Go(func() {
					for {
						if _, err := w.Next(ctx); err != nil {
							return
						}
						got.Done()
					}
				})
			}
			b.Cleanup(func() { cancel(); wg.Wait() })
			key := podPrefix + "default/pod-00000"
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				got.Add(watchers)
				i++
				if _, err := f.res.Update(ctx, key, func(cur meta.Object) (meta.Object, error) {
					cur.GetObjectMeta().Labels["n"] = fmt.Sprint(i)
					return cur, nil
				}, false); err != nil {
					b.Fatal(err)
				}
				got.Wait()
			}
		})
	}
}
