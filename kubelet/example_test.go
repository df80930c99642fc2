package kubelet_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/kubelet"
	"github.com/longshore/longshore/store/memory"
)

// A hollow node: a kubelet on the in-memory fake runtime runs a pod
// created through the API server.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := memory.New(nil)
	defer st.Close()
	srv, _ := apiserver.New(apiserver.Config{Store: st})
	_ = srv.Start(ctx)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, _ := client.New(&client.Config{Host: hs.URL})

	dir, _ := os.MkdirTemp("", "kubelet-example")
	defer os.RemoveAll(dir)
	rt, _ := fake.New(nil)
	k, err := kubelet.New(c, rt, rt, &kubelet.Options{
		NodeName: "hollow-1",
		Capacity: core.ResourceList{core.ResourceCPU: resource.MustParse("4"), core.ResourceMemory: resource.MustParse("8Gi")},
		RootDir:  filepath.Join(dir, "root"), PodLogsDir: filepath.Join(dir, "logs"),
		Pressure: func(context.Context) kubelet.Pressure { return kubelet.Pressure{} },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error)
	go func() { done <- k.Run(ctx) }()

	no := false
	pods := client.MustFor[*core.Pod](c).Namespace("default")
	_, _ = pods.Create(ctx, &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web"}, Spec: core.PodSpec{
		NodeName: "hollow-1", AutomountServiceAccountToken: &no,
		Containers: []core.Container{{Name: "app", Image: "example.com/web:1", Command: []string{"server"}}}}}, client.WriteOptions{})
	for i := 0; i < 500; i++ {
		p, err := pods.Get(ctx, "web")
		if err == nil && p.Status.Phase == core.PodRunning {
			fmt.Println(p.Status.Phase, p.Status.ContainerStatuses[0].Ready)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	// Output: Running true
}

func ExampleQOSClass() {
	p := &core.Pod{Spec: core.PodSpec{Containers: []core.Container{{Name: "a", Resources: core.ResourceRequirements{
		Requests: core.ResourceList{core.ResourceCPU: resource.MustParse("1")}}}}}}
	fmt.Println(kubelet.QOSClass(p))
	// Output: Burstable
}
