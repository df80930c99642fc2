package containerd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/internal/testenv"
)

// The CRI config reaches the running process: user, read-only root, bind
// mounts, env, working dir, capabilities, hostname, hosts and memory limit;
// and stats come from the container's cgroup.
func TestContainerSpecApplied(t *testing.T) {
	testenv.NeedFile(t, "/sys/fs/cgroup/memory") // the limits are checked in cgroup v1
	e := newEnv(t)
	rt := e.runtime(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: "specs", Namespace: "e2e", Uid: "u-spec"},
		Hostname:     "spec-host",
		LogDirectory: t.TempDir(),
		DnsConfig:    &runtimeapi.DNSConfig{Servers: []string{"192.0.2.53"}, Searches: []string{"svc.example"}},
	}
	run, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	pod := run.GetPodSandboxId()
	t.Cleanup(func() {
		rt.StopPodSandbox(context.Background(), &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod})
		rt.RemovePodSandbox(context.Background(), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod})
	})
	st, err := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil {
		t.Fatal(err)
	}
	podIP := st.GetStatus().GetNetwork().GetIp()

	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "data"), []byte("from-host"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
		Metadata:   &runtimeapi.ContainerMetadata{Name: "probe"},
		Image:      &runtimeapi.ImageSpec{Image: testBusybox},
		Command:    []string{"sleep", "3600"},
		Envs:       []*runtimeapi.KeyValue{{Key: "GREETING", Value: []byte("hello")}},
		WorkingDir: "/tmp",
		Mounts:     []*runtimeapi.Mount{{ContainerPath: "/mnt/host", HostPath: host, Readonly: true}},
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 64 << 20, CpuShares: 256, OomScoreAdj: 500},
			SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
				RunAsUser:      &runtimeapi.Int64Value{Value: 1234},
				RunAsGroup:     &runtimeapi.Int64Value{Value: 2345},
				ReadonlyRootfs: true,
				Capabilities:   &runtimeapi.Capability{DropCapabilities: []string{"ALL"}, AddCapabilities: []string{"NET_BIND_SERVICE"}},
			},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := c.GetContainerId()
	if _, err := rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cmd  string
		want string // substring of stdout; "" with wantFail
		fail bool
	}{
		{"user", "id -u; id -g", "1234\n2345", false},
		{"env", "echo $GREETING $HOSTNAME", "hello spec-host", false},
		{"workdir", "pwd", "/tmp", false},
		{"bind mount", "cat /mnt/host/data", "from-host", false},
		{"bind mount is read-only", "echo x > /mnt/host/other", "", true},
		{"root is read-only", "touch /newfile", "", true},
		{"hostname", "hostname; cat /etc/hostname", "spec-host\nspec-host", false},
		{"hosts has the pod IP", "cat /etc/hosts", podIP + "\tspec-host", false},
		{"resolv.conf from DNS config", "cat /etc/resolv.conf", "search svc.example\nnameserver 192.0.2.53", false},
		{"capabilities", "grep CapBnd /proc/self/status", "0000000000000400", false},
		{"oom score adj", "cat /proc/self/oom_score_adj", "500", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"sh", "-c", tt.cmd}, Timeout: 10})
			if err != nil {
				t.Fatal(err)
			}
			if tt.fail {
				if resp.GetExitCode() == 0 {
					t.Fatalf("%q succeeded, want a failure", tt.cmd)
				}
				return
			}
			if resp.GetExitCode() != 0 || !strings.Contains(string(resp.GetStdout()), tt.want) {
				t.Fatalf("%q: exit %d stdout %q stderr %q; want %q", tt.cmd, resp.GetExitCode(), resp.GetStdout(), resp.GetStderr(), tt.want)
			}
		})
	}
	stats, err := rt.ContainerStats(ctx, &runtimeapi.ContainerStatsRequest{ContainerId: id})
	if err != nil {
		t.Fatal(err)
	}
	if s := stats.GetStats(); s.GetCpu().GetUsageCoreNanoSeconds().GetValue() == 0 || s.GetMemory().GetWorkingSetBytes().GetValue() == 0 {
		t.Fatalf("stats without usage: cpu %v memory %v", s.GetCpu(), s.GetMemory())
	}
	ps, err := rt.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: pod})
	if err != nil {
		t.Fatal(err)
	}
	if l := ps.GetStats().GetLinux(); len(l.GetContainers()) != 1 || l.GetCpu().GetUsageCoreNanoSeconds().GetValue() < s0cpu(stats) || l.GetMemory().GetWorkingSetBytes().GetValue() == 0 {
		t.Fatalf("PodSandboxStats = %v", ps.GetStats())
	}
	if all, err := rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{Filter: &runtimeapi.PodSandboxStatsFilter{Id: pod}}); err != nil || len(all.GetStats()) != 1 {
		t.Fatalf("ListPodSandboxStats = %v, %v", all.GetStats(), err)
	}
	list, err := rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{PodSandboxId: pod}})
	if err != nil || len(list.GetStats()) != 1 {
		t.Fatalf("ListContainerStats = %v, %v", list.GetStats(), err)
	}
	// Limits land in the container's cgroup (v1 here), seen from the host.
	limitFile := filepath.Join("/sys/fs/cgroup/memory", rt.cgroupsPath("", id), "memory.limit_in_bytes")
	if b, err := os.ReadFile(limitFile); err != nil || strings.TrimSpace(string(b)) != "67108864" {
		t.Fatalf("%s = %q, %v; want 64 MiB", limitFile, b, err)
	}
	if _, err := rt.UpdateContainerResources(ctx, &runtimeapi.UpdateContainerResourcesRequest{ContainerId: id, Linux: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 96 << 20}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(limitFile); err != nil || strings.TrimSpace(string(b)) != "100663296" {
		t.Fatalf("after UpdateContainerResources %s = %q, %v; want 96 MiB", limitFile, b, err)
	}
}

func s0cpu(r *runtimeapi.ContainerStatsResponse) uint64 {
	return r.GetStats().GetCpu().GetUsageCoreNanoSeconds().GetValue()
}
