package endpoints

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
)

func pod(name, ip string, ready bool, ports ...core.ContainerPort) *core.Pod {
	p := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name, Labels: map[string]string{"app": "web"}},
		Spec:   core.PodSpec{NodeName: "node-1", Containers: []core.Container{{Name: "c", Image: "img", Ports: ports}}},
		Status: core.PodStatus{Phase: core.PodRunning, PodIP: ip}}
	if ready {
		p.Status.Conditions = []core.PodCondition{{Type: core.PodReady, Status: core.ConditionTrue}}
	}
	return p
}

func service(ports ...core.ServicePort) *core.Service {
	return &core.Service{ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: core.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: ports}}
}

func addr(name, ip string) core.EndpointAddress {
	node := "node-1"
	return core.EndpointAddress{IP: ip, NodeName: &node, TargetRef: &core.ObjectReference{Kind: "Pod", Namespace: "default", Name: name, UID: "uid-" + name}}
}

func TestSubsets(t *testing.T) {
	httpPort := core.ContainerPort{Name: "http", ContainerPort: 8080}
	named := core.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}
	numeric := core.ServicePort{Name: "metrics", Port: 9090, TargetPort: intstr.FromInt(9100)}
	done := pod("done", "192.0.2.9", true, httpPort)
	done.Status.Phase = core.PodSucceeded
	deleting := pod("deleting", "192.0.2.8", true, httpPort)
	now := meta.Now()
	deleting.DeletionTimestamp = &now
	tests := []struct {
		name string
		svc  *core.Service
		pods []*core.Pod
		want []core.EndpointSubset
	}{
		{"ready and not ready share a subset", service(named),
			[]*core.Pod{pod("b", "192.0.2.2", false, httpPort), pod("a", "192.0.2.1", true, httpPort)},
			[]core.EndpointSubset{{Addresses: []core.EndpointAddress{addr("a", "192.0.2.1")}, NotReadyAddresses: []core.EndpointAddress{addr("b", "192.0.2.2")},
				Ports: []core.EndpointPort{{Name: "http", Port: 8080, Protocol: core.ProtocolTCP}}}}},
		{"pod lacking the named port is left out of that port", service(named, numeric),
			[]*core.Pod{pod("a", "192.0.2.1", true, httpPort), pod("b", "192.0.2.2", true)},
			[]core.EndpointSubset{
				{Addresses: []core.EndpointAddress{addr("a", "192.0.2.1")}, Ports: []core.EndpointPort{{Name: "http", Port: 8080, Protocol: core.ProtocolTCP}, {Name: "metrics", Port: 9100, Protocol: core.ProtocolTCP}}},
				{Addresses: []core.EndpointAddress{addr("b", "192.0.2.2")}, Ports: []core.EndpointPort{{Name: "metrics", Port: 9100, Protocol: core.ProtocolTCP}}},
			}},
		{"no IP, finished and deleting pods are left out", service(numeric),
			[]*core.Pod{pod("noip", "", true), done, deleting, pod("a", "192.0.2.1", true)},
			[]core.EndpointSubset{{Addresses: []core.EndpointAddress{addr("a", "192.0.2.1")}, Ports: []core.EndpointPort{{Name: "metrics", Port: 9100, Protocol: core.ProtocolTCP}}}}},
		{"only the named port, nobody has it", service(named), []*core.Pod{pod("a", "192.0.2.1", true)}, nil},
		{"targetPort 0 means the service port", service(core.ServicePort{Port: 53, Protocol: core.ProtocolUDP}),
			[]*core.Pod{pod("a", "192.0.2.1", true)},
			[]core.EndpointSubset{{Addresses: []core.EndpointAddress{addr("a", "192.0.2.1")}, Ports: []core.EndpointPort{{Port: 53, Protocol: core.ProtocolUDP}}}}},
		{"publishNotReadyAddresses", func() *core.Service { s := service(numeric); s.Spec.PublishNotReadyAddresses = true; return s }(),
			[]*core.Pod{pod("a", "192.0.2.1", false)},
			[]core.EndpointSubset{{Addresses: []core.EndpointAddress{addr("a", "192.0.2.1")}, Ports: []core.EndpointPort{{Name: "metrics", Port: 9100, Protocol: core.ProtocolTCP}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Subsets(tt.svc, tt.pods); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestEndpointsController(t *testing.T) {
	c := apiservertest.Start(t)
	f := controller.NewFactory(c, nil)
	ctrl, _, err := New(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	f.Start(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); _ = ctrl.Start(ctx) }()

	pods := client.MustFor[*core.Pod](c).Namespace("default")
	svcs := client.MustFor[*core.Service](c).Namespace("default")
	eps := client.MustFor[*core.Endpoints](c).Namespace("default")
	setStatus := func(name, ip string, ready bool) {
		t.Helper()
		p, err := pods.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		p.Status = pod(name, ip, ready).Status
		if _, err := pods.UpdateStatus(ctx, p, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a", "b"} {
		p := pod(name, "", false, core.ContainerPort{Name: "http", ContainerPort: 8080})
		p.UID = ""
		if _, err := pods.Create(ctx, p, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svcs.Create(ctx, service(core.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	wait := func(check func(*core.Endpoints) error) time.Duration {
		t.Helper()
		start := time.Now()
		apiservertest.Eventually(t, 5*time.Second, func() error {
			ep, err := eps.Get(ctx, "web")
			if err != nil {
				return err
			}
			return check(ep)
		})
		return time.Since(start)
	}
	wait(func(ep *core.Endpoints) error {
		if len(ep.Subsets) != 0 {
			return fmt.Errorf("subsets %+v before pods have IPs", ep.Subsets)
		}
		return nil
	})
	setStatus("a", "192.0.2.1", true)
	setStatus("b", "192.0.2.2", false)
	wait(func(ep *core.Endpoints) error {
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 1 || len(ep.Subsets[0].NotReadyAddresses) != 1 {
			return fmt.Errorf("subsets %+v", ep.Subsets)
		}
		a := ep.Subsets[0].Addresses[0]
		if a.IP != "192.0.2.1" || a.TargetRef == nil || a.TargetRef.Name != "a" || a.NodeName == nil || *a.NodeName != "node-1" {
			return fmt.Errorf("address %+v", a)
		}
		if p := ep.Subsets[0].Ports; len(p) != 1 || p[0].Port != 8080 || p[0].Name != "http" {
			return fmt.Errorf("ports %+v", p)
		}
		return nil
	})
	setStatus("b", "192.0.2.2", true)
	took := wait(func(ep *core.Endpoints) error {
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 2 {
			return fmt.Errorf("subsets %+v", ep.Subsets)
		}
		return nil
	})
	t.Logf("endpoints followed a pod readiness change in %v", took)
	if err := pods.Delete(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	wait(func(ep *core.Endpoints) error {
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 1 || ep.Subsets[0].Addresses[0].TargetRef.Name != "b" {
			return fmt.Errorf("subsets %+v", ep.Subsets)
		}
		return nil
	})
	if err := svcs.Delete(ctx, "web", nil); err != nil {
		t.Fatal(err)
	}
	apiservertest.Eventually(t, 5*time.Second, func() error {
		if _, err := eps.Get(ctx, "web"); !apierror.IsNotFound(err) {
			return errors.New("endpoints still there")
		}
		return nil
	})
}
