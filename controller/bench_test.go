package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// benchPod is a pod of typical size (about 1.3 KiB of JSON).
func benchPod(i int) core.Pod {
	name := fmt.Sprintf("web-%05d", i)
	return core.Pod{
		TypeMeta: meta.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: fmt.Sprintf("ns-%d", i%20), UID: fmt.Sprintf("0000-%08d", i),
			ResourceVersion: strconv.Itoa(i + 1), Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%100), "tier": "web", "pod-template-hash": "6d4cf56db6"},
			Annotations: map[string]string{"example.com/owner": "team-" + strconv.Itoa(i%7)}},
		Spec: core.PodSpec{NodeName: fmt.Sprintf("node-%d", i%50), Containers: []core.Container{{
			Name: "app", Image: "registry.example/web:1.4.2", Ports: []core.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: core.ProtocolTCP}},
			Env:            []core.EnvVar{{Name: "MODE", Value: "production"}, {Name: "LOG_LEVEL", Value: "info"}},
			ReadinessProbe: &core.Probe{ProbeHandler: core.ProbeHandler{HTTPGet: &core.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}},
		}}},
		Status: core.PodStatus{Phase: core.PodRunning, PodIP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), HostIP: "192.0.2.1",
			Conditions:        []core.PodCondition{{Type: core.PodReady, Status: core.ConditionTrue}},
			ContainerStatuses: []core.ContainerStatus{{Name: "app", Ready: true, Image: "registry.example/web:1.4.2", ImageID: "sha256:0123456789abcdef"}}},
	}
}

// pagedServer serves n pods in pre-encoded pages of 500 and holds watches
// open without events, so the benchmark measures the informer alone.
func pagedServer(b *testing.B, n int) (*client.Client, int) {
	b.Helper()
	var pages [][]byte
	jsonBytes := 0
	for start := 0; start < n; start += 500 {
		l := core.PodList{TypeMeta: meta.TypeMeta{Kind: "PodList", APIVersion: "v1"}, ListMeta: meta.ListMeta{ResourceVersion: strconv.Itoa(n)}}
		for i := start; i < min(start+500, n); i++ {
			l.Items = append(l.Items, benchPod(i))
		}
		if start+500 < n {
			l.Continue = strconv.Itoa(len(pages) + 1)
		}
		data, err := json.Marshal(l)
		if err != nil {
			b.Fatal(err)
		}
		jsonBytes += len(data)
		pages = append(pages, data)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") == "true" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		_, _ = w.Write(pages[page])
	}))
	b.Cleanup(hs.Close)
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		b.Fatal(err)
	}
	return c, jsonBytes
}

// BenchmarkInformerSync measures listing and caching 10,000 pods: time and
// allocations per full sync, and the heap the synced cache retains per
// object.
func BenchmarkInformerSync(b *testing.B) {
	const n = 10000
	c, jsonBytes := pagedServer(b, n)
	pods := client.MustFor[*core.Pod](c)
	var retained uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before runtime.MemStats
		if i == 0 {
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.StartTimer()
		}
		ctx, cancel := context.WithCancel(context.Background())
		inf := NewInformer(pods, InformerOptions{})
		done := make(chan struct{})
		go func() { defer close(done); _ = inf.Run(ctx) }()
		if err := WaitForSync(ctx, inf); err != nil {
			b.Fatal(err)
		}
		if inf.Len() != n {
			b.Fatalf("cached %d pods", inf.Len())
		}
		if i == 0 {
			b.StopTimer()
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			retained = after.HeapAlloc - before.HeapAlloc
			runtime.KeepAlive(inf)
			b.StartTimer()
		}
		cancel()
		<-done
	}
	b.ReportMetric(float64(retained)/n, "retained-B/pod")
	b.ReportMetric(float64(jsonBytes)/n, "json-B/pod")
}

// BenchmarkCacheList measures selector queries on a 10,000-pod cache:
// one answered from the label index, one that must scan.
func BenchmarkCacheList(b *testing.B) {
	c := newCache[*core.Pod](nil)
	for i := 0; i < 10000; i++ {
		p := benchPod(i)
		c.put(&p)
	}
	for _, bc := range []struct{ name, sel string }{{"indexed app=app-7", "app=app-7"}, {"scan app!=app-7", "app!=app-7,tier=web"}} {
		b.Run(bc.name, func(b *testing.B) {
			sel, err := labels.Parse(bc.sel)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_ = c.List(sel)
			}
		})
	}
}
