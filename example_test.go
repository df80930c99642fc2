package longshore_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/controllermanager"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/kubelet"
	"github.com/longshore/longshore/scheduler"
	"github.com/longshore/longshore/store/memory"
)

// Example follows one Deployment through the blocks, all in this process:
// the API server stores it (on an in-memory store), the controller
// manager's deployment and replicaset controllers create its pods, the
// scheduler binds them to the only node, and that node's kubelet (on the
// fake runtime: a hollow node) runs them and reports them Running.
// examples/cluster wires the same blocks on the durable store, containerd
// and nftables.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// store + API server, the only door to the store.
	st := memory.New(nil)
	defer st.Close()
	srv, err := apiserver.New(apiserver.Config{Store: st})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := client.New(&client.Config{Host: hs.URL, QPS: -1})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Every other block talks to the API server through a client.
	done := make(chan error, 3)
	go func() { done <- controllermanager.Run(ctx, c, controllermanager.Options{}) }()
	sched, err := scheduler.New(ctx, c, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { done <- sched.Run(ctx) }()
	dir, _ := os.MkdirTemp("", "longshore-example")
	defer os.RemoveAll(dir)
	rt, _ := fake.New(nil)
	node, err := kubelet.New(c, rt, rt, &kubelet.Options{
		NodeName: "node-1",
		Capacity: core.ResourceList{core.ResourceCPU: resource.MustParse("4"), core.ResourceMemory: resource.MustParse("8Gi")},
		RootDir:  filepath.Join(dir, "root"), PodLogsDir: filepath.Join(dir, "logs"),
		Pressure: func(context.Context) kubelet.Pressure { return kubelet.Pressure{} },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	go func() { done <- node.Run(ctx) }()

	// The user's object.
	replicas := int32(2)
	labels := map[string]string{"app": "web"}
	_, err = client.MustFor[*apps.Deployment](c).Namespace("default").Create(ctx, &apps.Deployment{
		ObjectMeta: meta.ObjectMeta{Name: "web"},
		Spec: apps.DeploymentSpec{
			Replicas: &replicas,
			Selector: &meta.LabelSelector{MatchLabels: labels},
			Template: core.PodTemplateSpec{
				ObjectMeta: meta.ObjectMeta{Labels: labels},
				Spec:       core.PodSpec{Containers: []core.Container{{Name: "web", Image: "example.com/web:1"}}},
			},
		},
	}, client.WriteOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}

	pods := client.MustFor[*core.Pod](c).Namespace("default")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		list, err := pods.List(ctx, client.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(list.Items) != 2 {
			continue
		}
		var lines []string
		for _, p := range list.Items {
			if p.Status.Phase != core.PodRunning {
				break
			}
			owner := p.OwnerReferences[0].Kind
			lines = append(lines, fmt.Sprintf("pod owned by a %s, on %s, %s", owner, p.Spec.NodeName, p.Status.Phase))
		}
		if len(lines) == 2 {
			sort.Strings(lines)
			for _, l := range lines {
				fmt.Println(l)
			}
			break
		}
	}
	cancel()
	for range 3 {
		<-done
	}
	// Output:
	// pod owned by a ReplicaSet, on node-1, Running
	// pod owned by a ReplicaSet, on node-1, Running
}
