package apiserver

import (
	"context"
	"net/netip"
	"strconv"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/store"
)

func TestServiceAddresses(t *testing.T) {
	ts := newTestServer(t, Config{ServiceCIDR: "198.19.0.0/28", NodePortRange: "30000-30002"})
	prefix := netip.MustParsePrefix("198.19.0.0/28")
	var k8s core.Service
	ts.do(t, "GET", "/api/v1/namespaces/default/services/kubernetes", "", "", &k8s)
	if k8s.Spec.ClusterIP != "198.19.0.1" {
		t.Fatalf("kubernetes service IP %q, want the first address", k8s.Spec.ClusterIP)
	}
	var a core.Service
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"type":"NodePort","ports":[{"name":"a","port":80},{"name":"b","port":81,"nodePort":30001}]}}`, &a); code != 201 {
		t.Fatalf("create: %d", code)
	}
	ip, err := netip.ParseAddr(a.Spec.ClusterIP)
	if err != nil || !prefix.Contains(ip) || ip.String() == "198.19.0.1" || len(a.Spec.ClusterIPs) != 1 {
		t.Fatalf("cluster IP %q", a.Spec.ClusterIP)
	}
	if a.Spec.Ports[1].NodePort != 30001 || a.Spec.Ports[0].NodePort < 30000 || a.Spec.Ports[0].NodePort > 30002 || a.Spec.Ports[0].NodePort == 30001 {
		t.Fatalf("node ports %d %d", a.Spec.Ports[0].NodePort, a.Spec.Ports[1].NodePort)
	}
	// The same IP or node port twice: 422.
	var st meta.Status
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"b"},"spec":{"clusterIP":"`+a.Spec.ClusterIP+`","ports":[{"port":80}]}}`, &st); code != 422 {
		t.Fatalf("duplicate IP: %d %s", code, st.Message)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"b"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30001}]}}`, &st); code != 422 {
		t.Fatalf("duplicate node port: %d", code)
	}
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"c"},"spec":{"clusterIP":"192.0.2.9","ports":[{"port":80}]}}`, &st); code != 422 {
		t.Fatalf("IP out of range: %d", code)
	}
	// The failed creates leaked nothing: the one port left is free.
	var b core.Service
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"b"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`, &b); code != 201 {
		t.Fatalf("service with the last free port: %d", code)
	}
	// Headless and ExternalName services get no IP.
	var h core.Service
	ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"h"},"spec":{"clusterIP":"None","ports":[{"port":80}]}}`, &h)
	if h.Spec.ClusterIP != "None" {
		t.Fatalf("headless: %q", h.Spec.ClusterIP)
	}
	// Changing to ClusterIP releases the node ports; deleting releases the IP.
	var changed core.Service // fresh: decoding into a reused slice keeps stale fields
	if code := ts.do(t, "PATCH", "/api/v1/namespaces/default/services/a", "application/merge-patch+json", `{"spec":{"type":"ClusterIP","ports":[{"name":"a","port":80},{"name":"b","port":81}]}}`, &changed); code != 200 {
		t.Fatalf("type change: %d", code)
	}
	if changed.Spec.Ports[0].NodePort != 0 || changed.Spec.ClusterIP != a.Spec.ClusterIP {
		t.Fatalf("ClusterIP service kept node port %d / changed IP %q", changed.Spec.Ports[0].NodePort, changed.Spec.ClusterIP)
	}
	ctx := context.Background()
	if _, err := ts.s.cacher.Store().Get(ctx, portKeyPrefix+"30001", store.GetOptions{}); err == nil {
		t.Fatal("node port 30001 still allocated after the type change")
	}
	ts.do(t, "DELETE", "/api/v1/namespaces/default/services/a", "", "", nil)
	if _, err := ts.s.cacher.Store().Get(ctx, ipKeyPrefix+a.Spec.ClusterIP, store.GetOptions{}); err == nil {
		t.Fatal("ClusterIP still allocated after delete")
	}
	// An address range with one free address left hands it out, then 500s.
	for i := range 20 {
		var s map[string]any
		code := ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"fill`+string(rune('a'+i))+`"},"spec":{"ports":[{"port":80}]}}`, &s)
		if code != 201 {
			if code != 500 || i < 10 {
				t.Fatalf("filling the range: create %d answered %d", i, code)
			}
			return
		}
	}
	t.Fatal("a /28 handed out more than 13 addresses")
}

// A create that fails because the service exists must not free the
// existing service's addresses (the owner names are the same).
func TestFailedCreateKeepsExistingAllocation(t *testing.T) {
	ts := newTestServer(t, Config{})
	var a core.Service
	ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", `{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`, &a)
	// Same name, same IP and node port asked for: 409, nothing released.
	again := `{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"type":"NodePort","clusterIP":"` + a.Spec.ClusterIP + `","ports":[{"port":80,"nodePort":` + strconv.Itoa(int(a.Spec.Ports[0].NodePort)) + `}]}}`
	if code := ts.do(t, "POST", "/api/v1/namespaces/default/services", "application/json", again, nil); code != 409 {
		t.Fatalf("duplicate create: %d", code)
	}
	ctx := context.Background()
	for _, k := range []string{ipKeyPrefix + a.Spec.ClusterIP, portKeyPrefix + strconv.Itoa(int(a.Spec.Ports[0].NodePort))} {
		if _, err := ts.s.cacher.Store().Get(ctx, k, store.GetOptions{}); err != nil {
			t.Fatalf("%s released by a failed create: %v", k, err)
		}
	}
	// The kubernetes service survives a restart's bootstrap the same way.
	if err := ts.s.bootstrapKubernetesService(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.s.cacher.Store().Get(ctx, ipKeyPrefix+"198.19.0.1", store.GetOptions{}); err != nil {
		t.Fatalf("kubernetes service IP released by a second bootstrap: %v", err)
	}
}
