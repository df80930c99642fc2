package runtimetest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func (s *suite) sandboxIDs(f *runtimeapi.PodSandboxFilter) []string {
	s.t.Helper()
	if f.LabelSelector == nil {
		f.LabelSelector = map[string]string{}
	}
	f.LabelSelector[LabelRun] = s.run
	resp, err := s.rt.ListPodSandbox(s.ctx(), &runtimeapi.ListPodSandboxRequest{Filter: f})
	if err != nil {
		s.t.Fatalf("ListPodSandbox(%v): %v", f, err)
	}
	var ids []string
	for _, it := range resp.GetItems() {
		ids = append(ids, it.GetId())
	}
	slices.Sort(ids)
	return ids
}

func (s *suite) containerIDs(f *runtimeapi.ContainerFilter) []string {
	s.t.Helper()
	if f.LabelSelector == nil {
		f.LabelSelector = map[string]string{}
	}
	f.LabelSelector[LabelRun] = s.run
	resp, err := s.rt.ListContainers(s.ctx(), &runtimeapi.ListContainersRequest{Filter: f})
	if err != nil {
		s.t.Fatalf("ListContainers(%v): %v", f, err)
	}
	var ids []string
	for _, c := range resp.GetContainers() {
		ids = append(ids, c.GetId())
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

func testFilters(s *suite) {
	ctx := s.ctx()
	a := s.newPod("filter-a", "app", "a")
	b := s.newPod("filter-b", "app", "b")
	ca := s.runContainer(a, "ca", sleeper, "tier", "front")
	cb := s.runContainer(b, "cb", sleeper, "tier", "back")
	cdone := s.runContainer(b, "cdone", []string{"true"}, "tier", "back")
	s.waitState(ca, runtimeapi.ContainerState_CONTAINER_RUNNING)
	s.waitState(cb, runtimeapi.ContainerState_CONTAINER_RUNNING)
	s.waitState(cdone, runtimeapi.ContainerState_CONTAINER_EXITED)
	if _, err := s.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: b.id}); err != nil {
		s.t.Fatalf("StopPodSandbox: %v", err)
	}
	ready := &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}
	notReady := &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY}
	running := &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	exited := &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_EXITED}
	sandboxTests := []struct {
		name   string
		filter *runtimeapi.PodSandboxFilter
		want   []string
	}{
		{"all", &runtimeapi.PodSandboxFilter{}, sorted(a.id, b.id)},
		{"id", &runtimeapi.PodSandboxFilter{Id: a.id}, []string{a.id}},
		{"ready", &runtimeapi.PodSandboxFilter{State: ready}, []string{a.id}},
		{"notready", &runtimeapi.PodSandboxFilter{State: notReady}, []string{b.id}},
		{"label", &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"app": "b"}}, []string{b.id}},
		{"label mismatch", &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"app": "c"}}, nil},
	}
	for _, tt := range sandboxTests {
		if got := s.sandboxIDs(tt.filter); !slices.Equal(got, tt.want) {
			s.t.Errorf("ListPodSandbox %s = %v, want %v", tt.name, got, tt.want)
		}
	}
	containerTests := []struct {
		name   string
		filter *runtimeapi.ContainerFilter
		want   []string
	}{
		{"all", &runtimeapi.ContainerFilter{}, sorted(ca, cb, cdone)},
		{"id", &runtimeapi.ContainerFilter{Id: cb}, []string{cb}},
		{"sandbox", &runtimeapi.ContainerFilter{PodSandboxId: b.id}, sorted(cb, cdone)},
		{"running", &runtimeapi.ContainerFilter{State: running}, []string{ca}},
		{"exited", &runtimeapi.ContainerFilter{State: exited}, sorted(cb, cdone)},
		{"label", &runtimeapi.ContainerFilter{LabelSelector: map[string]string{"tier": "front"}}, []string{ca}},
		{"sandbox and state", &runtimeapi.ContainerFilter{PodSandboxId: a.id, State: exited}, nil},
	}
	for _, tt := range containerTests {
		if got := s.containerIDs(tt.filter); !slices.Equal(got, tt.want) {
			s.t.Errorf("ListContainers %s = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testEvents(s *suite) {
	s.need("Events", s.o.Events)
	p := s.newPod("events")
	ctx, cancel := context.WithCancel(s.ctx())
	defer cancel()
	var mu sync.Mutex
	var got []runtimeapi.ContainerEventType
	watched := make(chan string, 1)
	errc := make(chan error, 1)
	subscribed := make(chan struct{})
	go func() {
		var once sync.Once
		// Events before the subscription exists are lost; a probe event
		// (the first one seen) tells that the stream is live.
		errc <- s.rt.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{}, func(ev *runtimeapi.ContainerEventResponse) error {
			once.Do(func() { close(subscribed) })
			select {
			case id := <-watched:
				watched <- id
				// CREATED may or may not be seen: the ID is known only
				// after CreateContainer returned.
				if ev.GetContainerId() == id && ev.GetContainerEventType() != runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT {
					mu.Lock()
					got = append(got, ev.GetContainerEventType())
					mu.Unlock()
				}
			default:
			}
			return nil
		})
	}()
	// Probe containers until the subscription sees one.
	for i := 0; ; i++ {
		s.runContainer(p, fmt.Sprintf("probe%d", i), []string{"true"})
		select {
		case <-subscribed:
		case err := <-errc:
			s.t.Fatalf("GetContainerEvents: %v", err)
		case <-time.After(time.Second):
			if i < 10 {
				continue
			}
			s.t.Fatalf("GetContainerEvents delivered nothing")
		}
		break
	}
	id := s.newContainer(p, "watched", []string{"true"})
	watched <- id
	s.start(id)
	s.waitState(id, runtimeapi.ContainerState_CONTAINER_EXITED)
	if _, err := s.rt.RemoveContainer(s.ctx(), &runtimeapi.RemoveContainerRequest{ContainerId: id}); err != nil {
		s.t.Fatalf("RemoveContainer: %v", err)
	}
	want := []runtimeapi.ContainerEventType{
		runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT,
		runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT,
		runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT,
	}
	s.eventually("started, stopped and deleted events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= len(want)
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got[:len(want)], want) {
		s.t.Fatalf("events of the watched container = %v, want %v", got, want)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		s.t.Fatalf("GetContainerEvents after cancel returned %v, want context.Canceled", err)
	}
}

func testSharedLocalhost(s *suite) {
	s.need("RealProcesses", s.o.RealProcesses)
	p := s.newPod("localhost")
	server := s.runContainer(p, "server", []string{"sh", "-c",
		"mkdir -p /tmp/www && echo shared-" + s.run + " > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:18080 -h /tmp/www"})
	client := s.runContainer(p, "client", sleeper)
	s.waitState(server, runtimeapi.ContainerState_CONTAINER_RUNNING)
	s.waitState(client, runtimeapi.ContainerState_CONTAINER_RUNNING)
	var last string
	defer func() {
		if s.t.Failed() {
			s.t.Logf("last attempt: %s", last)
		}
	}()
	s.eventually("the client container to reach the server over localhost", func() bool {
		resp, err := s.execSync(client, 5, "wget", "-q", "-O", "-", "http://127.0.0.1:18080/index.html")
		if err != nil {
			last = err.Error()
			return false
		}
		last = fmt.Sprintf("exit %d stdout %q stderr %q", resp.GetExitCode(), resp.GetStdout(), resp.GetStderr())
		return resp.GetExitCode() == 0 && strings.TrimSpace(string(resp.GetStdout())) == "shared-"+s.run
	})
}

func testConcurrentPods(s *suite) {
	const n = 5
	type result struct {
		ip  string
		err error
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			results <- s.podRoundTrip(fmt.Sprintf("conc%d", i))
		}()
	}
	seen := map[string]bool{}
	for range n {
		r := <-results
		if r.err != nil {
			s.t.Errorf("concurrent pod: %v", r.err)
			continue
		}
		if s.o.Networking {
			if seen[r.ip] {
				s.t.Errorf("two concurrent pods got IP %s", r.ip)
			}
			seen[r.ip] = true
		}
	}
	if got := s.sandboxIDs(&runtimeapi.PodSandboxFilter{}); len(got) != 0 {
		s.t.Errorf("after removing the concurrent pods ListPodSandbox still shows %v", got)
	}
}

// podRoundTrip runs a pod with a running container, checks it, and removes
// it, reporting errors instead of failing (it runs off the test goroutine).
func (s *suite) podRoundTrip(name string) (res struct {
	ip  string
	err error
}) {
	ctx, cancel := context.WithTimeout(context.Background(), s.o.Timeout+time.Minute)
	defer cancel()
	// Built here rather than by sandboxConfig, which may call t.Fatal: this
	// runs off the test goroutine.
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "runtimetest", Uid: randHex(8)},
		Hostname: name,
		Labels:   s.labels(),
	}
	run, err := s.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg, RuntimeHandler: s.o.RuntimeHandler})
	if err != nil {
		res.err = fmt.Errorf("RunPodSandbox(%s): %w", name, err)
		return res
	}
	id := run.GetPodSandboxId()
	defer func() {
		if _, err := s.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil && res.err == nil {
			res.err = fmt.Errorf("RemovePodSandbox(%s): %w", name, err)
		}
	}()
	st, err := s.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil {
		res.err = fmt.Errorf("PodSandboxStatus(%s): %w", name, err)
		return res
	}
	res.ip = st.GetStatus().GetNetwork().GetIp()
	if s.o.Networking {
		if _, err := netip.ParseAddr(res.ip); err != nil {
			res.err = fmt.Errorf("pod %s has no IP: %q", name, res.ip)
			return res
		}
	}
	c, err := s.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: id, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "main"},
		Image:    &runtimeapi.ImageSpec{Image: s.o.Image},
		Command:  sleeper,
		Labels:   s.labels(),
	}})
	if err != nil {
		res.err = fmt.Errorf("CreateContainer(%s): %w", name, err)
		return res
	}
	if _, err := s.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.GetContainerId()}); err != nil {
		res.err = fmt.Errorf("StartContainer(%s): %w", name, err)
		return res
	}
	cs, err := s.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.GetContainerId()})
	if err != nil || cs.GetStatus().GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
		res.err = fmt.Errorf("container of %s: state %v, err %v; want RUNNING", name, cs.GetStatus().GetState(), err)
		return res
	}
	if _, err := s.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		res.err = fmt.Errorf("StopPodSandbox(%s): %w", name, err)
	}
	return res
}

func testCleanup(s *suite) {
	ctx := s.ctx()
	var pods []pod
	for i := range 2 {
		p := s.newPod(fmt.Sprintf("clean%d", i))
		s.runContainer(p, "main", sleeper)
		s.runContainer(p, "done", []string{"true"})
		pods = append(pods, p)
	}
	for _, p := range pods {
		if _, err := s.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.id}); err != nil {
			s.t.Fatalf("StopPodSandbox: %v", err)
		}
		if _, err := s.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.id}); err != nil {
			s.t.Fatalf("RemovePodSandbox: %v", err)
		}
	}
	if got := s.sandboxIDs(&runtimeapi.PodSandboxFilter{}); len(got) != 0 {
		s.t.Fatalf("removed sandboxes still listed: %v", got)
	}
	if got := s.containerIDs(&runtimeapi.ContainerFilter{}); len(got) != 0 {
		s.t.Fatalf("containers of removed sandboxes still listed: %v", got)
	}
	if s.o.Leaks == nil {
		s.t.Log("runtimetest: no Options.Leaks: namespaces, IPs and mounts were not checked")
		return
	}
	var leaks []string
	s.eventually("no leftovers of removed pods", func() bool {
		leaks = s.o.Leaks(s.t)
		return len(leaks) == 0
	})
	if len(leaks) > 0 {
		s.t.Fatalf("left behind: %s", strings.Join(leaks, "; "))
	}
}
