package core

import (
	"encoding/json"
	"testing"

	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

func TestSetDefaultsPod(t *testing.T) {
	p := &Pod{
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: PodSpec{
			InitContainers: []Container{{Name: "init", Image: "busybox:1.36"}},
			Containers: []Container{{
				Name:  "app",
				Image: "nginx",
				Ports: []ContainerPort{{ContainerPort: 80}},
				Resources: ResourceRequirements{
					Limits:   ResourceList{ResourceCPU: resource.MustParse("500m"), ResourceMemory: resource.MustParse("1.0001Gi")},
					Requests: ResourceList{ResourceCPU: resource.MustParse("100m")},
				},
				LivenessProbe:  &Probe{ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{Port: intstr.FromInt(80)}}},
				ReadinessProbe: &Probe{ProbeHandler: ProbeHandler{GRPC: &GRPCAction{Port: 9000}}, PeriodSeconds: 3},
				Env:            []EnvVar{{Name: "NODE", ValueFrom: &EnvVarSource{FieldRef: &ObjectFieldSelector{FieldPath: "spec.nodeName"}}}},
				Lifecycle:      &Lifecycle{PreStop: &LifecycleHandler{HTTPGet: &HTTPGetAction{Port: intstr.FromString("http")}}},
			}},
			Volumes: []Volume{
				{Name: "scratch"},
				{Name: "cfg", VolumeSource: VolumeSource{ConfigMap: &ConfigMapVolumeSource{LocalObjectReference: LocalObjectReference{Name: "cfg"}}}},
				{Name: "sec", VolumeSource: VolumeSource{Secret: &SecretVolumeSource{SecretName: "s", DefaultMode: ptr(int32(0o400))}}},
				{Name: "host", VolumeSource: VolumeSource{HostPath: &HostPathVolumeSource{Path: "/data"}}},
				{Name: "proj", VolumeSource: VolumeSource{Projected: &ProjectedVolumeSource{Sources: []VolumeProjection{
					{ServiceAccountToken: &ServiceAccountTokenProjection{Path: "token"}},
					{DownwardAPI: &DownwardAPIProjection{Items: []DownwardAPIVolumeFile{{Path: "name", FieldRef: &ObjectFieldSelector{FieldPath: "metadata.name"}}}}},
				}}}},
			},
		},
	}
	SetDefaultsPod(p)
	s := p.Spec
	c := s.Containers[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"restartPolicy", s.RestartPolicy, RestartPolicyAlways},
		{"dnsPolicy", s.DNSPolicy, DNSClusterFirst},
		{"terminationGracePeriodSeconds", *s.TerminationGracePeriodSeconds, int64(30)},
		{"schedulerName", s.SchedulerName, "default-scheduler"},
		{"securityContext", s.SecurityContext != nil, true},
		{"enableServiceLinks", *s.EnableServiceLinks, true},
		{"imagePullPolicy untagged", c.ImagePullPolicy, PullAlways},
		{"imagePullPolicy tagged", s.InitContainers[0].ImagePullPolicy, PullIfNotPresent},
		{"terminationMessagePath", c.TerminationMessagePath, "/dev/termination-log"},
		{"terminationMessagePolicy", c.TerminationMessagePolicy, TerminationMessageReadFile},
		{"port protocol", c.Ports[0].Protocol, ProtocolTCP},
		{"hostPort untouched", c.Ports[0].HostPort, int32(0)},
		{"request kept", c.Resources.Requests.Cpu().String(), "100m"},
		{"request from limit", c.Resources.Requests.Memory().String(), "1073849198183m"},
		{"limit rounded to milli", c.Resources.Limits.Memory().String(), "1073849198183m"},
		{"probe timeout", c.LivenessProbe.TimeoutSeconds, int32(1)},
		{"probe period", c.LivenessProbe.PeriodSeconds, int32(10)},
		{"probe period kept", c.ReadinessProbe.PeriodSeconds, int32(3)},
		{"probe success", c.LivenessProbe.SuccessThreshold, int32(1)},
		{"probe failure", c.LivenessProbe.FailureThreshold, int32(3)},
		{"httpGet scheme", c.LivenessProbe.HTTPGet.Scheme, URISchemeHTTP},
		{"httpGet path", c.LivenessProbe.HTTPGet.Path, "/"},
		{"grpc service", *c.ReadinessProbe.GRPC.Service, ""},
		{"preStop httpGet scheme", c.Lifecycle.PreStop.HTTPGet.Scheme, URISchemeHTTP},
		{"env fieldRef apiVersion", c.Env[0].ValueFrom.FieldRef.APIVersion, "v1"},
		{"sourceless volume is emptyDir", s.Volumes[0].EmptyDir != nil, true},
		{"configMap defaultMode", *s.Volumes[1].ConfigMap.DefaultMode, int32(420)},
		{"secret defaultMode kept", *s.Volumes[2].Secret.DefaultMode, int32(0o400)},
		{"hostPath type", *s.Volumes[3].HostPath.Type, HostPathUnset},
		{"projected defaultMode", *s.Volumes[4].Projected.DefaultMode, int32(420)},
		{"token expiration", *s.Volumes[4].Projected.Sources[0].ServiceAccountToken.ExpirationSeconds, int64(3600)},
		{"projected fieldRef", s.Volumes[4].Projected.Sources[1].DownwardAPI.Items[0].FieldRef.APIVersion, "v1"},
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if ck.got != ck.want {
				t.Errorf("got %v, want %v", ck.got, ck.want)
			}
		})
	}
	// Defaulting is idempotent.
	before, _ := json.Marshal(p)
	SetDefaultsPod(p)
	after, _ := json.Marshal(p)
	if string(before) != string(after) {
		t.Errorf("second SetDefaultsPod changed the pod:\n%s\n%s", before, after)
	}
}

func TestImagePullPolicy(t *testing.T) {
	tests := []struct {
		image string
		want  PullPolicy
	}{
		{"nginx", PullAlways},
		{"nginx:latest", PullAlways},
		{"nginx:1.25", PullIfNotPresent},
		{"localhost:5000/nginx", PullAlways},
		{"localhost:5000/nginx:v1", PullIfNotPresent},
		{"nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", PullIfNotPresent},
		{"nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", PullAlways},
		{"", PullAlways},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			c := Container{Image: tt.image}
			SetDefaultsContainer(&c)
			if c.ImagePullPolicy != tt.want {
				t.Errorf("imagePullPolicy = %s, want %s", c.ImagePullPolicy, tt.want)
			}
		})
	}
}

func TestPodTemplateDefaultsAreSpecOnly(t *testing.T) {
	tpl := PodTemplateSpec{Spec: PodSpec{Containers: []Container{{Name: "a", Image: "x:1",
		Resources: ResourceRequirements{Limits: ResourceList{ResourceCPU: resource.MustParse("1")}}}}}}
	SetDefaultsPodTemplateSpec(&tpl)
	if tpl.Spec.RestartPolicy != RestartPolicyAlways || tpl.Spec.SchedulerName != DefaultSchedulerName {
		t.Error("spec defaults missing")
	}
	if tpl.Spec.EnableServiceLinks != nil {
		t.Error("a template got enableServiceLinks, which only Pods get")
	}
	if tpl.Spec.Containers[0].Resources.Requests != nil {
		t.Error("a template got requests from limits, which only Pods get")
	}
}

func TestHostNetworkPorts(t *testing.T) {
	p := &Pod{Spec: PodSpec{HostNetwork: true, Containers: []Container{{Name: "a", Ports: []ContainerPort{{ContainerPort: 8080}, {ContainerPort: 9, HostPort: 10}}}}}}
	SetDefaultsPod(p)
	if got := p.Spec.Containers[0].Ports; got[0].HostPort != 8080 || got[1].HostPort != 10 {
		t.Errorf("host ports = %d, %d", got[0].HostPort, got[1].HostPort)
	}
}

func TestSetDefaultsService(t *testing.T) {
	tests := []struct {
		name  string
		spec  ServiceSpec
		check func(t *testing.T, s ServiceSpec)
	}{
		{"cluster IP", ServiceSpec{Ports: []ServicePort{{Port: 80}, {Port: 53, Protocol: ProtocolUDP, TargetPort: intstr.FromString("dns")}}}, func(t *testing.T, s ServiceSpec) {
			if s.Type != ServiceTypeClusterIP || s.SessionAffinity != ServiceAffinityNone {
				t.Errorf("type %s affinity %s", s.Type, s.SessionAffinity)
			}
			if s.Ports[0].Protocol != ProtocolTCP || s.Ports[0].TargetPort != intstr.FromInt(80) {
				t.Errorf("port 0 = %+v", s.Ports[0])
			}
			if s.Ports[1].Protocol != ProtocolUDP || s.Ports[1].TargetPort != intstr.FromString("dns") {
				t.Errorf("port 1 = %+v", s.Ports[1])
			}
			if s.ExternalTrafficPolicy != "" {
				t.Errorf("externalTrafficPolicy = %q on a ClusterIP service", s.ExternalTrafficPolicy)
			}
			if s.InternalTrafficPolicy == nil || *s.InternalTrafficPolicy != ServiceInternalTrafficPolicyCluster {
				t.Error("internalTrafficPolicy not Cluster")
			}
			if s.ClusterIP != "" || s.IPFamilyPolicy != nil || s.IPFamilies != nil {
				t.Error("cluster IP or IP families were defaulted")
			}
		}},
		{"node port", ServiceSpec{Type: ServiceTypeNodePort, Ports: []ServicePort{{Port: 80}}}, func(t *testing.T, s ServiceSpec) {
			if s.ExternalTrafficPolicy != ServiceExternalTrafficPolicyCluster {
				t.Errorf("externalTrafficPolicy = %q", s.ExternalTrafficPolicy)
			}
		}},
		{"load balancer", ServiceSpec{Type: ServiceTypeLoadBalancer}, func(t *testing.T, s ServiceSpec) {
			if s.ExternalTrafficPolicy != ServiceExternalTrafficPolicyCluster || s.AllocateLoadBalancerNodePorts == nil || !*s.AllocateLoadBalancerNodePorts {
				t.Errorf("etp %q, allocate %v", s.ExternalTrafficPolicy, s.AllocateLoadBalancerNodePorts)
			}
		}},
		{"external IPs", ServiceSpec{ExternalIPs: []string{"192.0.2.1"}}, func(t *testing.T, s ServiceSpec) {
			if s.ExternalTrafficPolicy != ServiceExternalTrafficPolicyCluster {
				t.Errorf("externalTrafficPolicy = %q", s.ExternalTrafficPolicy)
			}
		}},
		{"external name", ServiceSpec{Type: ServiceTypeExternalName, ExternalName: "example.com"}, func(t *testing.T, s ServiceSpec) {
			if s.InternalTrafficPolicy != nil {
				t.Error("internalTrafficPolicy set on ExternalName")
			}
		}},
		{"client IP affinity", ServiceSpec{SessionAffinity: ServiceAffinityClientIP}, func(t *testing.T, s ServiceSpec) {
			if s.SessionAffinityConfig == nil || *s.SessionAffinityConfig.ClientIP.TimeoutSeconds != 10800 {
				t.Errorf("affinity config %+v", s.SessionAffinityConfig)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &Service{Spec: tt.spec}
			SetDefaultsService(svc)
			tt.check(t, svc.Spec)
		})
	}
}

func TestSetDefaultsOthers(t *testing.T) {
	ep := &Endpoints{Subsets: []EndpointSubset{{Ports: []EndpointPort{{Port: 80}}}}}
	SetDefaultsEndpoints(ep)
	if ep.Subsets[0].Ports[0].Protocol != ProtocolTCP {
		t.Error("endpoints port protocol")
	}
	sec := &Secret{}
	SetDefaultsSecret(sec)
	if sec.Type != SecretTypeOpaque {
		t.Error("secret type")
	}
	ns := &Namespace{ObjectMeta: meta.ObjectMeta{Name: "team"}}
	SetDefaultsNamespace(ns)
	if ns.Labels[LabelMetadataName] != "team" || ns.Status.Phase != "" {
		t.Errorf("namespace labels %v phase %q", ns.Labels, ns.Status.Phase)
	}
	node := &Node{Status: NodeStatus{Capacity: ResourceList{ResourceCPU: resource.MustParse("2")}}}
	SetDefaultsNode(node)
	if node.Status.Allocatable.Cpu().String() != "2" {
		t.Error("allocatable not defaulted from capacity")
	}
	pv := &PersistentVolume{}
	SetDefaultsPersistentVolume(pv)
	if pv.Status.Phase != VolumePending || pv.Spec.PersistentVolumeReclaimPolicy != PersistentVolumeReclaimRetain || *pv.Spec.VolumeMode != PersistentVolumeFilesystem {
		t.Errorf("pv defaults %+v", pv)
	}
	pvc := &PersistentVolumeClaim{}
	SetDefaultsPersistentVolumeClaim(pvc)
	if pvc.Status.Phase != ClaimPending || *pvc.Spec.VolumeMode != PersistentVolumeFilesystem {
		t.Errorf("pvc defaults %+v", pvc)
	}
}

func TestDefaultersRegistered(t *testing.T) {
	for _, k := range Kinds() {
		obj := k.New()
		known := SetDefaults(obj)
		if !known {
			t.Errorf("SetDefaults does not know %s", k.Kind)
		}
		switch k.Kind {
		case "Pod", "Node", "Service", "Endpoints", "Namespace", "Secret", "PersistentVolume", "PersistentVolumeClaim":
			if k.Default == nil {
				t.Errorf("%s has no registered defaulter", k.Kind)
			}
		}
	}
	var pod meta.Object = &Pod{}
	for _, k := range Kinds() {
		if k.Kind == "Pod" {
			k.Default(pod)
		}
	}
	if pod.(*Pod).Spec.RestartPolicy != RestartPolicyAlways {
		t.Error("registered Pod defaulter did nothing")
	}
}
