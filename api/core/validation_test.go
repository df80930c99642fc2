package core

import (
	"fmt"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/field/fieldtest"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
)

func validPod() *Pod {
	p := &Pod{
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec: PodSpec{
			Volumes: []Volume{{Name: "data", VolumeSource: VolumeSource{EmptyDir: &EmptyDirVolumeSource{}}}},
			Containers: []Container{{
				Name: "app", Image: "nginx:1.25",
				Ports:        []ContainerPort{{Name: "http", ContainerPort: 80}},
				VolumeMounts: []VolumeMount{{Name: "data", MountPath: "/data"}},
				Resources: ResourceRequirements{
					Requests: ResourceList{ResourceCPU: resource.MustParse("100m")},
					Limits:   ResourceList{ResourceCPU: resource.MustParse("1")},
				},
				ReadinessProbe: &Probe{ProbeHandler: ProbeHandler{HTTPGet: &HTTPGetAction{Port: intstr.FromString("http")}}},
			}},
		},
	}
	SetDefaultsPod(p)
	return p
}

func TestValidatePod(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Pod)
		want   []string
	}{
		{"valid", func(*Pod) {}, nil},
		{"no name", func(p *Pod) { p.Name = "" }, []string{"FieldValueRequired metadata.name"}},
		{"no containers", func(p *Pod) { p.Spec.Containers = nil }, []string{"FieldValueRequired spec.containers"}},
		{"container name missing", func(p *Pod) { p.Spec.Containers[0].Name = "" }, []string{"FieldValueRequired spec.containers[0].name"}},
		{"container name not a label", func(p *Pod) { p.Spec.Containers[0].Name = "App" }, []string{"FieldValueInvalid spec.containers[0].name"}},
		{"duplicate across init and app", func(p *Pod) {
			p.Spec.InitContainers = []Container{p.Spec.Containers[0]}
			p.Spec.InitContainers[0].ReadinessProbe = nil
		}, []string{"FieldValueDuplicate spec.containers[0].name"}},
		{"image required", func(p *Pod) { p.Spec.Containers[0].Image = "" }, []string{"FieldValueRequired spec.containers[0].image"}},
		{"bad container port", func(p *Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 70000 }, []string{"FieldValueInvalid spec.containers[0].ports[0].containerPort"}},
		{"missing container port", func(p *Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 0 }, []string{"FieldValueRequired spec.containers[0].ports[0].containerPort"}},
		{"duplicate port names", func(p *Pod) {
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports, ContainerPort{Name: "http", ContainerPort: 81, Protocol: ProtocolTCP})
		}, []string{"FieldValueDuplicate spec.containers[0].ports[1].name"}},
		{"bad port name", func(p *Pod) { p.Spec.Containers[0].Ports[0].Name = "HTTP" }, []string{
			"FieldValueInvalid spec.containers[0].ports[0].name", "FieldValueInvalid spec.containers[0].ports[0].name"}},
		{"bad protocol", func(p *Pod) { p.Spec.Containers[0].Ports[0].Protocol = "ICMP" }, []string{"FieldValueNotSupported spec.containers[0].ports[0].protocol"}},
		{"duplicate host port", func(p *Pod) {
			p.Spec.Containers[0].Ports = []ContainerPort{{ContainerPort: 80, HostPort: 8080, Protocol: ProtocolTCP}, {ContainerPort: 81, HostPort: 8080, Protocol: ProtocolTCP}}
			p.Spec.Containers[0].ReadinessProbe = nil
		}, []string{"FieldValueDuplicate spec.containers[0].ports[1].hostPort"}},
		{"bad env name", func(p *Pod) { p.Spec.Containers[0].Env = []EnvVar{{Name: "1BAD"}} }, []string{"FieldValueInvalid spec.containers[0].env[0].name"}},
		{"env value and valueFrom", func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "A", Value: "x", ValueFrom: &EnvVarSource{FieldRef: &ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}}
		}, []string{"FieldValueInvalid spec.containers[0].env[0].valueFrom"}},
		{"env unsupported fieldPath", func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "A", ValueFrom: &EnvVarSource{FieldRef: &ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.bogus"}}}}
		}, []string{"FieldValueNotSupported spec.containers[0].env[0].valueFrom.fieldRef.fieldPath"}},
		{"env label subscript ok", func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "A", ValueFrom: &EnvVarSource{FieldRef: &ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels['app']"}}}}
		}, nil},
		{"env secret key missing", func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "A", ValueFrom: &EnvVarSource{SecretKeyRef: &SecretKeySelector{LocalObjectReference: LocalObjectReference{Name: "s"}}}}}
		}, []string{"FieldValueRequired spec.containers[0].env[0].valueFrom.secretKeyRef.key"}},
		{"envFrom with nothing", func(p *Pod) { p.Spec.Containers[0].EnvFrom = []EnvFromSource{{}} }, []string{"FieldValueInvalid spec.containers[0].envFrom[0]"}},
		{"mount of unknown volume", func(p *Pod) { p.Spec.Containers[0].VolumeMounts[0].Name = "nope" }, []string{"FieldValueNotFound spec.containers[0].volumeMounts[0].name"}},
		{"mount path required", func(p *Pod) { p.Spec.Containers[0].VolumeMounts[0].MountPath = "" }, []string{"FieldValueRequired spec.containers[0].volumeMounts[0].mountPath"}},
		{"duplicate mount path", func(p *Pod) {
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, VolumeMount{Name: "data", MountPath: "/data"})
		}, []string{"FieldValueInvalid spec.containers[0].volumeMounts[1].mountPath"}},
		{"escaping subPath", func(p *Pod) { p.Spec.Containers[0].VolumeMounts[0].SubPath = "../etc" }, []string{"FieldValueInvalid spec.containers[0].volumeMounts[0].subPath"}},
		{"request over limit", func(p *Pod) { p.Spec.Containers[0].Resources.Requests[ResourceCPU] = resource.MustParse("2") }, []string{"FieldValueInvalid spec.containers[0].resources.requests[cpu]"}},
		{"negative request", func(p *Pod) { p.Spec.Containers[0].Resources.Requests[ResourceMemory] = resource.MustParse("-1") }, []string{"FieldValueInvalid spec.containers[0].resources.requests[memory]"}},
		{"unknown resource", func(p *Pod) { p.Spec.Containers[0].Resources.Requests["gpu"] = resource.MustParse("1") }, []string{"FieldValueInvalid spec.containers[0].resources.requests[gpu]"}},
		{"extended resource", func(p *Pod) { p.Spec.Containers[0].Resources.Limits["example.com/gpu"] = resource.MustParse("1") }, nil},
		{"probe without handler", func(p *Pod) { p.Spec.Containers[0].ReadinessProbe.HTTPGet = nil }, []string{"FieldValueRequired spec.containers[0].readinessProbe"}},
		{"probe with two handlers", func(p *Pod) {
			p.Spec.Containers[0].ReadinessProbe.TCPSocket = &TCPSocketAction{Port: intstr.FromInt(80)}
		}, []string{"FieldValueForbidden spec.containers[0].readinessProbe.tcpSocket"}},
		{"liveness success threshold", func(p *Pod) {
			p.Spec.Containers[0].LivenessProbe = &Probe{ProbeHandler: ProbeHandler{Exec: &ExecAction{Command: []string{"true"}}}, SuccessThreshold: 2}
		}, []string{"FieldValueInvalid spec.containers[0].livenessProbe.successThreshold"}},
		{"probe bad port name", func(p *Pod) { p.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromString("-x") }, []string{
			"FieldValueInvalid spec.containers[0].readinessProbe.httpGet.port"}},
		{"init container probe", func(p *Pod) {
			p.Spec.InitContainers = []Container{{Name: "init", Image: "busybox", ImagePullPolicy: PullAlways, TerminationMessagePolicy: TerminationMessageReadFile,
				LivenessProbe: &Probe{ProbeHandler: ProbeHandler{Exec: &ExecAction{Command: []string{"true"}}}, SuccessThreshold: 1}}}
		}, []string{"FieldValueForbidden spec.initContainers[0].livenessProbe"}},
		{"sidecar probe ok", func(p *Pod) {
			always := ContainerRestartPolicyAlways
			p.Spec.InitContainers = []Container{{Name: "side", Image: "busybox", ImagePullPolicy: PullAlways, TerminationMessagePolicy: TerminationMessageReadFile,
				RestartPolicy: &always, LivenessProbe: &Probe{ProbeHandler: ProbeHandler{Exec: &ExecAction{Command: []string{"true"}}}, SuccessThreshold: 1}}}
		}, nil},
		{"restartPolicy on app container", func(p *Pod) {
			always := ContainerRestartPolicyAlways
			p.Spec.Containers[0].RestartPolicy = &always
		}, []string{"FieldValueForbidden spec.containers[0].restartPolicy"}},
		{"bad pull policy", func(p *Pod) { p.Spec.Containers[0].ImagePullPolicy = "Sometimes" }, []string{"FieldValueNotSupported spec.containers[0].imagePullPolicy"}},
		{"volume name duplicate", func(p *Pod) { p.Spec.Volumes = append(p.Spec.Volumes, p.Spec.Volumes[0]) }, []string{"FieldValueDuplicate spec.volumes[1].name"}},
		{"volume without source", func(p *Pod) { p.Spec.Volumes[0].EmptyDir = nil }, []string{"FieldValueRequired spec.volumes[0]"}},
		{"volume with two sources", func(p *Pod) {
			p.Spec.Volumes[0].ConfigMap = &ConfigMapVolumeSource{LocalObjectReference: LocalObjectReference{Name: "c"}}
		}, []string{"FieldValueForbidden spec.volumes[0].configMap"}},
		{"secret volume without name", func(p *Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, Volume{Name: "s", VolumeSource: VolumeSource{Secret: &SecretVolumeSource{}}})
		}, []string{"FieldValueRequired spec.volumes[1].secret.secretName"}},
		{"bad default mode", func(p *Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, Volume{Name: "c", VolumeSource: VolumeSource{ConfigMap: &ConfigMapVolumeSource{
				LocalObjectReference: LocalObjectReference{Name: "c"}, DefaultMode: ptr(int32(0o1000))}}})
		}, []string{"FieldValueInvalid spec.volumes[1].configMap.defaultMode"}},
		{"item path escapes", func(p *Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, Volume{Name: "c", VolumeSource: VolumeSource{ConfigMap: &ConfigMapVolumeSource{
				LocalObjectReference: LocalObjectReference{Name: "c"}, Items: []KeyToPath{{Key: "k", Path: "/abs"}}}}})
		}, []string{"FieldValueInvalid spec.volumes[1].configMap.items[0].path"}},
		{"bad restart policy", func(p *Pod) { p.Spec.RestartPolicy = "Sometimes" }, []string{"FieldValueNotSupported spec.restartPolicy"}},
		{"dns none without config", func(p *Pod) { p.Spec.DNSPolicy = DNSNone }, []string{"FieldValueRequired spec.dnsConfig.nameservers"}},
		{"bad node selector", func(p *Pod) { p.Spec.NodeSelector = map[string]string{"a": "b c"} }, []string{"FieldValueInvalid spec.nodeSelector"}},
		{"bad service account", func(p *Pod) { p.Spec.ServiceAccountName = "Bad" }, []string{"FieldValueInvalid spec.serviceAccountName"}},
		{"zero deadline", func(p *Pod) { p.Spec.ActiveDeadlineSeconds = ptr(int64(0)) }, []string{"FieldValueInvalid spec.activeDeadlineSeconds"}},
		{"toleration exists with value", func(p *Pod) {
			p.Spec.Tolerations = []Toleration{{Key: "k", Operator: TolerationOpExists, Value: "v"}}
		}, []string{"FieldValueInvalid spec.tolerations[0].operator"}},
		{"toleration seconds without NoExecute", func(p *Pod) {
			p.Spec.Tolerations = []Toleration{{Key: "k", Operator: TolerationOpEqual, Value: "v", TolerationSeconds: ptr(int64(5))}}
		}, []string{"FieldValueInvalid spec.tolerations[0].effect"}},
		{"toleration empty key", func(p *Pod) { p.Spec.Tolerations = []Toleration{{Operator: TolerationOpEqual}} }, []string{"FieldValueInvalid spec.tolerations[0].operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPod()
			tt.mutate(p)
			fieldtest.ExpectErrors(t, ValidatePod(p), tt.want...)
		})
	}
}

func TestPodErrorText(t *testing.T) {
	p := validPod()
	p.Spec.Containers[0].Name = ""
	err := ValidatePod(p).ToAggregate()
	if err == nil || err.Error() != "spec.containers[0].name: Required value" {
		t.Errorf("error text = %v", err)
	}
	p = validPod()
	p.Spec.Containers[0].Resources.Requests[ResourceCPU] = resource.MustParse("2")
	if got := ValidatePod(p)[0].Error(); got != `spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1` {
		t.Errorf("error text = %s", got)
	}
}

func TestValidatePodUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Pod)
		want   []string
	}{
		{"unchanged", func(*Pod) {}, nil},
		{"image", func(p *Pod) { p.Spec.Containers[0].Image = "nginx:1.26" }, nil},
		{"labels", func(p *Pod) { p.Labels = map[string]string{"a": "b"} }, nil},
		{"deadline set", func(p *Pod) { p.Spec.ActiveDeadlineSeconds = ptr(int64(60)) }, nil},
		{"toleration added", func(p *Pod) { p.Spec.Tolerations = []Toleration{{Key: "k", Operator: TolerationOpExists}} }, nil},
		{"port changed", func(p *Pod) { p.Spec.Containers[0].Ports[0].ContainerPort = 81 }, []string{"FieldValueForbidden spec"}},
		{"container added", func(p *Pod) { p.Spec.Containers = append(p.Spec.Containers, p.Spec.Containers[0]) }, []string{
			"FieldValueDuplicate spec.containers[1].name", "FieldValueForbidden spec"}},
		{"node name changed", func(p *Pod) { p.Spec.NodeName = "node-2" }, []string{"FieldValueForbidden spec"}},
		{"same quantity other form", func(p *Pod) { p.Spec.Containers[0].Resources.Limits[ResourceCPU] = resource.MustParse("1000m") }, nil},
		{"name changed", func(p *Pod) { p.Name = "other" }, []string{"FieldValueInvalid metadata.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := validPod()
			n := validPod()
			tt.mutate(n)
			fieldtest.ExpectErrors(t, ValidatePodUpdate(n, old), tt.want...)
		})
	}
	old := validPod()
	old.Spec.ActiveDeadlineSeconds = ptr(int64(60))
	old.Spec.Tolerations = []Toleration{{Key: "k", Operator: TolerationOpExists, Effect: TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))}}
	for _, tt := range []struct {
		name   string
		mutate func(*Pod)
		want   []string
	}{
		{"deadline raised", func(p *Pod) { p.Spec.ActiveDeadlineSeconds = ptr(int64(120)) }, []string{"FieldValueInvalid spec.activeDeadlineSeconds"}},
		{"deadline unset", func(p *Pod) { p.Spec.ActiveDeadlineSeconds = nil }, []string{"FieldValueInvalid spec.activeDeadlineSeconds"}},
		{"toleration removed", func(p *Pod) { p.Spec.Tolerations = nil }, []string{"FieldValueForbidden spec.tolerations"}},
		{"toleration seconds lowered", func(p *Pod) { p.Spec.Tolerations[0].TolerationSeconds = ptr(int64(10)) }, nil},
		{"toleration seconds raised", func(p *Pod) { p.Spec.Tolerations[0].TolerationSeconds = ptr(int64(1000)) }, []string{"FieldValueForbidden spec.tolerations"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := old.DeepCopy()
			tt.mutate(n)
			fieldtest.ExpectErrors(t, ValidatePodUpdate(n, old), tt.want...)
		})
	}
}

func TestValidateBinding(t *testing.T) {
	b := &Binding{ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"}, Target: ObjectReference{Kind: "Pod"}}
	fieldtest.ExpectErrors(t, ValidateBinding(b), "FieldValueNotSupported target.kind", "FieldValueRequired target.name")
	b.Target = ObjectReference{Name: "node-1"}
	fieldtest.ExpectErrors(t, ValidateBinding(b))
}

func validService() *Service {
	s := &Service{ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec: ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []ServicePort{{Name: "http", Port: 80}, {Name: "dns", Port: 53, Protocol: ProtocolUDP}}}}
	SetDefaultsService(s)
	return s
}

func TestValidateService(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Service)
		want   []string
	}{
		{"valid", func(*Service) {}, nil},
		{"name not DNS-1035", func(s *Service) { s.Name = "1web" }, []string{"FieldValueInvalid metadata.name"}},
		{"no ports", func(s *Service) { s.Spec.Ports = nil }, []string{"FieldValueRequired spec.ports"}},
		{"headless without ports", func(s *Service) { s.Spec.Ports = nil; s.Spec.ClusterIP = ClusterIPNone }, nil},
		{"bad port", func(s *Service) { s.Spec.Ports[0].Port = 0 }, []string{"FieldValueInvalid spec.ports[0].port"}},
		{"unnamed among many", func(s *Service) { s.Spec.Ports[1].Name = "" }, []string{"FieldValueRequired spec.ports[1].name"}},
		{"duplicate names", func(s *Service) { s.Spec.Ports[1].Name = "http" }, []string{"FieldValueDuplicate spec.ports[1].name"}},
		{"duplicate port and protocol", func(s *Service) { s.Spec.Ports[1].Port = 80; s.Spec.Ports[1].Protocol = ProtocolTCP }, []string{"FieldValueDuplicate spec.ports[1]"}},
		{"same port other protocol", func(s *Service) { s.Spec.Ports[1].Port = 80 }, nil},
		{"bad target port", func(s *Service) { s.Spec.Ports[0].TargetPort = intstr.FromInt(70000) }, []string{"FieldValueInvalid spec.ports[0].targetPort"}},
		{"node port on ClusterIP", func(s *Service) { s.Spec.Ports[0].NodePort = 30080 }, []string{"FieldValueForbidden spec.ports[0].nodePort"}},
		{"node port out of range", func(s *Service) {
			s.Spec.Type = ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = ServiceExternalTrafficPolicyCluster
			s.Spec.Ports[0].NodePort = 8080
		}, []string{"FieldValueInvalid spec.ports[0].nodePort"}},
		{"node port in range", func(s *Service) {
			s.Spec.Type = ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = ServiceExternalTrafficPolicyCluster
			s.Spec.Ports[0].NodePort = 32767
		}, nil},
		{"duplicate node port", func(s *Service) {
			s.Spec.Type = ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = ServiceExternalTrafficPolicyCluster
			s.Spec.Ports[0].NodePort = 30000
			s.Spec.Ports[1].NodePort = 30000
			s.Spec.Ports[1].Protocol = ProtocolTCP
		}, []string{"FieldValueDuplicate spec.ports[1].nodePort"}},
		{"bad type", func(s *Service) { s.Spec.Type = "Magic" }, []string{"FieldValueNotSupported spec.type"}},
		{"bad cluster IP", func(s *Service) { s.Spec.ClusterIP = "10.0.0.300" }, []string{"FieldValueInvalid spec.clusterIP"}},
		{"headless node port", func(s *Service) {
			s.Spec.Type = ServiceTypeNodePort
			s.Spec.ExternalTrafficPolicy = ServiceExternalTrafficPolicyCluster
			s.Spec.ClusterIP = ClusterIPNone
		}, []string{"FieldValueInvalid spec.clusterIP"}},
		{"external name", func(s *Service) {
			s.Spec.Type = ServiceTypeExternalName
			s.Spec.ExternalName = "db.example.com."
		}, nil},
		{"external name missing", func(s *Service) { s.Spec.Type = ServiceTypeExternalName }, []string{"FieldValueRequired spec.externalName"}},
		{"etp on ClusterIP", func(s *Service) { s.Spec.ExternalTrafficPolicy = ServiceExternalTrafficPolicyLocal }, []string{"FieldValueInvalid spec.externalTrafficPolicy"}},
		{"bad affinity", func(s *Service) { s.Spec.SessionAffinity = "Sticky" }, []string{"FieldValueNotSupported spec.sessionAffinity"}},
		{"affinity timeout", func(s *Service) {
			s.Spec.SessionAffinity = ServiceAffinityClientIP
			s.Spec.SessionAffinityConfig = &SessionAffinityConfig{ClientIP: &ClientIPConfig{TimeoutSeconds: ptr(int32(0))}}
		}, []string{"FieldValueInvalid spec.sessionAffinityConfig.clientIP.timeoutSeconds"}},
		{"bad selector", func(s *Service) { s.Spec.Selector = map[string]string{"app": "-"} }, []string{"FieldValueInvalid spec.selector"}},
		{"bad external IP", func(s *Service) {
			s.Spec.ExternalIPs = []string{"x"}
			s.Spec.ExternalTrafficPolicy = ServiceExternalTrafficPolicyCluster
		}, []string{"FieldValueInvalid spec.externalIPs[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validService()
			tt.mutate(s)
			fieldtest.ExpectErrors(t, ValidateService(s), tt.want...)
		})
	}
}

func TestValidateServiceUpdate(t *testing.T) {
	old := validService()
	old.Spec.ClusterIP = "10.96.0.10"
	n := old.DeepCopy()
	n.Spec.ClusterIP = "10.96.0.11"
	fieldtest.ExpectErrors(t, ValidateServiceUpdate(n, old), "FieldValueInvalid spec.clusterIP")
	n = old.DeepCopy()
	n.Spec.Ports[0].Port = 8080
	fieldtest.ExpectErrors(t, ValidateServiceUpdate(n, old))
	unallocated := validService()
	n = unallocated.DeepCopy()
	n.Spec.ClusterIP = "10.96.0.12"
	fieldtest.ExpectErrors(t, ValidateServiceUpdate(n, unallocated))
}

func TestValidateNode(t *testing.T) {
	valid := func() *Node {
		return &Node{ObjectMeta: meta.ObjectMeta{Name: "node-1", ResourceVersion: "1"}, Spec: NodeSpec{PodCIDR: "10.244.1.0/24"},
			Status: NodeStatus{Capacity: ResourceList{ResourceCPU: resource.MustParse("2"), ResourcePods: resource.MustParse("110")}}}
	}
	tests := []struct {
		name   string
		mutate func(*Node)
		want   []string
	}{
		{"valid", func(*Node) {}, nil},
		{"namespaced", func(n *Node) { n.Namespace = "default" }, []string{"FieldValueForbidden metadata.namespace"}},
		{"bad cidr", func(n *Node) { n.Spec.PodCIDR = "10.244.1.0" }, []string{"FieldValueInvalid spec.podCIDR"}},
		{"taint without effect", func(n *Node) { n.Spec.Taints = []Taint{{Key: "k"}} }, []string{"FieldValueRequired spec.taints[0].effect"}},
		{"duplicate taint", func(n *Node) {
			n.Spec.Taints = []Taint{{Key: "k", Effect: TaintEffectNoSchedule}, {Key: "k", Value: "v", Effect: TaintEffectNoSchedule}}
		}, []string{"FieldValueDuplicate spec.taints[1]"}},
		{"negative capacity", func(n *Node) { n.Status.Capacity[ResourceMemory] = resource.MustParse("-1Gi") }, []string{"FieldValueInvalid status.capacity[memory]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := valid()
			tt.mutate(n)
			fieldtest.ExpectErrors(t, ValidateNode(n), tt.want...)
		})
	}
	old := valid()
	n := valid()
	n.Spec.PodCIDR = "10.244.2.0/24"
	fieldtest.ExpectErrors(t, ValidateNodeUpdate(n, old), "FieldValueInvalid spec.podCIDR")
	n = valid()
	n.Spec.Unschedulable = true
	fieldtest.ExpectErrors(t, ValidateNodeUpdate(n, old))
}

func TestValidateConfigMapAndSecret(t *testing.T) {
	om := meta.ObjectMeta{Name: "c", Namespace: "default", ResourceVersion: "1"}
	tests := []struct {
		name string
		errs field.ErrorList
		want []string
	}{
		{"configmap valid", ValidateConfigMap(&ConfigMap{ObjectMeta: om, Data: map[string]string{"a.conf": "x"}}), nil},
		{"configmap bad key", ValidateConfigMap(&ConfigMap{ObjectMeta: om, Data: map[string]string{"a/b": "x"}}), []string{"FieldValueInvalid data[a/b]"}},
		{"configmap duplicate key", ValidateConfigMap(&ConfigMap{ObjectMeta: om, Data: map[string]string{"k": "x"}, BinaryData: map[string][]byte{"k": {1}}}),
			[]string{"FieldValueInvalid binaryData[k]"}},
		{"configmap at limit", ValidateConfigMap(&ConfigMap{ObjectMeta: om, Data: map[string]string{"k": strings.Repeat("x", MaxSecretSize)}}), nil},
		{"configmap too big", ValidateConfigMap(&ConfigMap{ObjectMeta: om, Data: map[string]string{"k": strings.Repeat("x", MaxSecretSize), "l": "y"}}),
			[]string{"FieldValueTooLong "}},
		{"secret valid", ValidateSecret(&Secret{ObjectMeta: om, Type: SecretTypeOpaque, Data: map[string][]byte{"k": []byte("v")}}), nil},
		{"secret too big", ValidateSecret(&Secret{ObjectMeta: om, Type: SecretTypeOpaque, Data: map[string][]byte{"k": make([]byte, MaxSecretSize+1)}}),
			[]string{"FieldValueTooLong data"}},
		{"secret bad stringData key", ValidateSecret(&Secret{ObjectMeta: om, Type: SecretTypeOpaque, StringData: map[string]string{"..": "v"}}),
			[]string{"FieldValueInvalid stringData[..]"}},
		{"tls secret", ValidateSecret(&Secret{ObjectMeta: om, Type: SecretTypeTLS, Data: map[string][]byte{"tls.crt": nil}}),
			[]string{"FieldValueRequired data[tls.key]"}},
		{"dockerconfigjson", ValidateSecret(&Secret{ObjectMeta: om, Type: SecretTypeDockerConfigJSON, Data: map[string][]byte{".dockerconfigjson": []byte("{")}}),
			[]string{"FieldValueInvalid data[.dockerconfigjson]"}},
		{"sa token", ValidateSecret(&Secret{ObjectMeta: om, Type: SecretTypeServiceAccountToken}),
			[]string{"FieldValueRequired metadata.annotations[kubernetes.io/service-account.name]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fieldtest.ExpectErrors(t, tt.errs, tt.want...) })
	}
	imm := &ConfigMap{ObjectMeta: om, Immutable: ptr(true), Data: map[string]string{"k": "v"}}
	changed := imm.DeepCopy()
	changed.Data["k"] = "w"
	fieldtest.ExpectErrors(t, ValidateConfigMapUpdate(changed, imm), "FieldValueForbidden data")
	unset := imm.DeepCopy()
	unset.Immutable = nil
	fieldtest.ExpectErrors(t, ValidateConfigMapUpdate(unset, imm), "FieldValueForbidden immutable")
	sec := &Secret{ObjectMeta: om, Type: SecretTypeOpaque}
	retyped := sec.DeepCopy()
	retyped.Type = SecretTypeBasicAuth
	retyped.Data = map[string][]byte{"username": []byte("u")}
	fieldtest.ExpectErrors(t, ValidateSecretUpdate(retyped, sec), "FieldValueInvalid type")
}

func TestValidateEndpoints(t *testing.T) {
	om := meta.ObjectMeta{Name: "web", Namespace: "default"}
	tests := []struct {
		name   string
		subset EndpointSubset
		want   []string
	}{
		{"valid", EndpointSubset{Addresses: []EndpointAddress{{IP: "198.18.0.5"}}, Ports: []EndpointPort{{Port: 80, Protocol: ProtocolTCP}}}, nil},
		{"no addresses", EndpointSubset{Ports: []EndpointPort{{Port: 80, Protocol: ProtocolTCP}}}, []string{"FieldValueRequired subsets[0]"}},
		{"loopback", EndpointSubset{Addresses: []EndpointAddress{{IP: "127.0.0.1"}}}, []string{"FieldValueInvalid subsets[0].addresses[0].ip"}},
		{"bad ip", EndpointSubset{NotReadyAddresses: []EndpointAddress{{IP: "x"}}}, []string{"FieldValueInvalid subsets[0].notReadyAddresses[0].ip"}},
		{"unnamed ports", EndpointSubset{Addresses: []EndpointAddress{{IP: "198.18.0.5"}},
			Ports: []EndpointPort{{Port: 80, Protocol: ProtocolTCP}, {Name: "b", Port: 0, Protocol: "X"}}},
			[]string{"FieldValueRequired subsets[0].ports[0].name", "FieldValueInvalid subsets[0].ports[1].port", "FieldValueNotSupported subsets[0].ports[1].protocol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fieldtest.ExpectErrors(t, ValidateEndpoints(&Endpoints{ObjectMeta: om, Subsets: []EndpointSubset{tt.subset}}), tt.want...)
		})
	}
}

func TestValidateSmallKinds(t *testing.T) {
	tests := []struct {
		name string
		errs field.ErrorList
		want []string
	}{
		{"namespace", ValidateNamespace(&Namespace{ObjectMeta: meta.ObjectMeta{Name: "team-a"}}), nil},
		{"namespace dotted", ValidateNamespace(&Namespace{ObjectMeta: meta.ObjectMeta{Name: "team.a"}}), []string{"FieldValueInvalid metadata.name"}},
		{"namespace finalizer", ValidateNamespace(&Namespace{ObjectMeta: meta.ObjectMeta{Name: "a"}, Spec: NamespaceSpec{Finalizers: []FinalizerName{"bad name"}}}),
			[]string{"FieldValueInvalid spec.finalizers[0]"}},
		{"service account", ValidateServiceAccount(&ServiceAccount{ObjectMeta: meta.ObjectMeta{Name: "default", Namespace: "a"}}), nil},
		{"event", ValidateEvent(&Event{ObjectMeta: meta.ObjectMeta{Name: "e", Namespace: "a"}, InvolvedObject: ObjectReference{Namespace: "b"}, Type: "Odd"}),
			[]string{"FieldValueInvalid involvedObject.namespace", "FieldValueNotSupported type"}},
		{"pv valid", ValidatePersistentVolume(&PersistentVolume{ObjectMeta: meta.ObjectMeta{Name: "pv"}, Spec: PersistentVolumeSpec{
			Capacity: ResourceList{ResourceStorage: resource.MustParse("1Gi")}, AccessModes: []PersistentVolumeAccessMode{ReadWriteOnce},
			PersistentVolumeSource: PersistentVolumeSource{HostPath: &HostPathVolumeSource{Path: "/data"}}}}), nil},
		{"pv empty", ValidatePersistentVolume(&PersistentVolume{ObjectMeta: meta.ObjectMeta{Name: "pv"}}),
			[]string{"FieldValueRequired spec.accessModes", "FieldValueRequired spec.capacity", "FieldValueRequired spec"}},
		{"pv local without affinity", ValidatePersistentVolume(&PersistentVolume{ObjectMeta: meta.ObjectMeta{Name: "pv"}, Spec: PersistentVolumeSpec{
			Capacity: ResourceList{ResourceStorage: resource.MustParse("1Gi")}, AccessModes: []PersistentVolumeAccessMode{ReadWriteOnce},
			PersistentVolumeSource: PersistentVolumeSource{Local: &LocalVolumeSource{Path: "/mnt"}}}}), []string{"FieldValueRequired spec.nodeAffinity"}},
		{"pvc valid", ValidatePersistentVolumeClaim(&PersistentVolumeClaim{ObjectMeta: meta.ObjectMeta{Name: "c", Namespace: "a"}, Spec: PersistentVolumeClaimSpec{
			AccessModes: []PersistentVolumeAccessMode{ReadWriteOnce}, Resources: VolumeResourceRequirements{Requests: ResourceList{ResourceStorage: resource.MustParse("1Gi")}}}}), nil},
		{"pvc no storage", ValidatePersistentVolumeClaim(&PersistentVolumeClaim{ObjectMeta: meta.ObjectMeta{Name: "c", Namespace: "a"}, Spec: PersistentVolumeClaimSpec{
			AccessModes: []PersistentVolumeAccessMode{"ReadSometimes"}}}), []string{"FieldValueNotSupported spec.accessModes", "FieldValueRequired spec.resources[storage]"}},
		{"pvc zero storage", ValidatePersistentVolumeClaim(&PersistentVolumeClaim{ObjectMeta: meta.ObjectMeta{Name: "c", Namespace: "a"}, Spec: PersistentVolumeClaimSpec{
			AccessModes: []PersistentVolumeAccessMode{ReadWriteOnce}, Resources: VolumeResourceRequirements{Requests: ResourceList{ResourceStorage: resource.MustParse("0")}}}}),
			[]string{"FieldValueInvalid spec.resources[storage]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { fieldtest.ExpectErrors(t, tt.errs, tt.want...) })
	}
	oldPVC := &PersistentVolumeClaim{ObjectMeta: meta.ObjectMeta{Name: "c", Namespace: "a", ResourceVersion: "1"}, Spec: PersistentVolumeClaimSpec{
		AccessModes: []PersistentVolumeAccessMode{ReadWriteOnce}, Resources: VolumeResourceRequirements{Requests: ResourceList{ResourceStorage: resource.MustParse("1Gi")}}}}
	grown := oldPVC.DeepCopy()
	grown.Spec.Resources.Requests[ResourceStorage] = resource.MustParse("2Gi")
	fieldtest.ExpectErrors(t, ValidatePersistentVolumeClaimUpdate(grown, oldPVC))
	shrunk := oldPVC.DeepCopy()
	shrunk.Spec.Resources.Requests[ResourceStorage] = resource.MustParse("512Mi")
	fieldtest.ExpectErrors(t, ValidatePersistentVolumeClaimUpdate(shrunk, oldPVC), "FieldValueForbidden spec.resources.requests[storage]")
	remoded := oldPVC.DeepCopy()
	remoded.Spec.AccessModes = []PersistentVolumeAccessMode{ReadWriteMany}
	fieldtest.ExpectErrors(t, ValidatePersistentVolumeClaimUpdate(remoded, oldPVC), "FieldValueForbidden spec")
}

func TestValidateDispatch(t *testing.T) {
	for _, k := range Kinds() {
		obj := k.New()
		SetDefaults(obj)
		if _, known := Validate(obj); !known {
			t.Errorf("Validate does not know %s", k.Kind)
		}
		if _, known := ValidateUpdate(obj, obj.DeepCopyObject()); !known {
			t.Errorf("ValidateUpdate does not know %s", k.Kind)
		}
	}
	errs, known := ValidateUpdate(&Pod{}, &Node{})
	if !known || len(errs) != 1 {
		t.Errorf("mismatched kinds: %v %v", errs, known)
	}
	if errs, known := Validate(validPod()); !known || len(errs) != 0 {
		t.Errorf("valid pod: %v", errs)
	}
}

func ExampleValidatePod() {
	pod := &Pod{
		ObjectMeta: meta.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: PodSpec{Containers: []Container{{
			Name:      "web",
			Image:     "nginx:1.25",
			Resources: ResourceRequirements{Requests: ResourceList{ResourceCPU: resource.MustParse("2")}, Limits: ResourceList{ResourceCPU: resource.MustParse("1")}},
		}}},
	}
	SetDefaultsPod(pod)
	for _, e := range ValidatePod(pod) {
		fmt.Println(e)
	}
	// Output:
	// spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1
}

func TestValidateSchedulingConstraints(t *testing.T) {
	sel := &meta.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tests := []struct {
		name   string
		mutate func(*Pod)
		want   []string
	}{
		{"valid affinity", func(p *Pod) {
			p.Spec.Affinity = &Affinity{
				NodeAffinity: &NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &NodeSelector{NodeSelectorTerms: []NodeSelectorTerm{{
						MatchExpressions: []NodeSelectorRequirement{{Key: LabelTopologyZone, Operator: NodeSelectorOpIn, Values: []string{"a"}}, {Key: "cores", Operator: NodeSelectorOpGt, Values: []string{"4"}}},
						MatchFields:      []NodeSelectorRequirement{{Key: "metadata.name", Operator: NodeSelectorOpIn, Values: []string{"node-1"}}},
					}}},
					PreferredDuringSchedulingIgnoredDuringExecution: []PreferredSchedulingTerm{{Weight: 50, Preference: NodeSelectorTerm{
						MatchExpressions: []NodeSelectorRequirement{{Key: "ssd", Operator: NodeSelectorOpExists}}}}},
				},
				PodAntiAffinity: &PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []PodAffinityTerm{{LabelSelector: sel, TopologyKey: LabelHostname}}},
			}
		}, nil},
		{"bad node operator", func(p *Pod) {
			p.Spec.Affinity = &Affinity{NodeAffinity: &NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &NodeSelector{NodeSelectorTerms: []NodeSelectorTerm{{
				MatchExpressions: []NodeSelectorRequirement{{Key: "a", Operator: "Near"}}}}}}}
		}, []string{"FieldValueNotSupported spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"}},
		{"gt not integer", func(p *Pod) {
			p.Spec.Affinity = &Affinity{NodeAffinity: &NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []PreferredSchedulingTerm{{Weight: 1, Preference: NodeSelectorTerm{
				MatchExpressions: []NodeSelectorRequirement{{Key: "a", Operator: NodeSelectorOpGt, Values: []string{"x"}}}}}}}}
		}, []string{"FieldValueInvalid spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values[0]"}},
		{"weight out of range", func(p *Pod) {
			p.Spec.Affinity = &Affinity{PodAffinity: &PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []WeightedPodAffinityTerm{{Weight: 101,
				PodAffinityTerm: PodAffinityTerm{LabelSelector: sel, TopologyKey: LabelHostname}}}}}
		}, []string{"FieldValueInvalid spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight"}},
		{"missing topologyKey", func(p *Pod) {
			p.Spec.Affinity = &Affinity{PodAffinity: &PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []PodAffinityTerm{{LabelSelector: sel}}}}
		}, []string{"FieldValueRequired spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey"}},
		{"bad match field", func(p *Pod) {
			p.Spec.Affinity = &Affinity{NodeAffinity: &NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &NodeSelector{NodeSelectorTerms: []NodeSelectorTerm{{
				MatchFields: []NodeSelectorRequirement{{Key: "spec.nodeName", Operator: NodeSelectorOpIn, Values: []string{"n"}}}}}}}}
		}, []string{"FieldValueNotSupported spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key"}},
		{"spread", func(p *Pod) {
			p.Spec.TopologySpreadConstraints = []TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: LabelTopologyZone, WhenUnsatisfiable: DoNotSchedule, LabelSelector: sel}}
		}, nil},
		{"bad spread", func(p *Pod) {
			p.Spec.TopologySpreadConstraints = []TopologySpreadConstraint{{MaxSkew: 0, WhenUnsatisfiable: "Maybe", MinDomains: ptr(int32(2))}}
		}, []string{
			"FieldValueInvalid spec.topologySpreadConstraints[0].maxSkew",
			"FieldValueRequired spec.topologySpreadConstraints[0].topologyKey",
			"FieldValueNotSupported spec.topologySpreadConstraints[0].whenUnsatisfiable",
			"FieldValueInvalid spec.topologySpreadConstraints[0].minDomains",
		}},
		{"bad host alias", func(p *Pod) { p.Spec.HostAliases = []HostAlias{{IP: "x", Hostnames: []string{"ok.example"}}} }, []string{"FieldValueInvalid spec.hostAliases[0].ip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPod()
			tt.mutate(p)
			fieldtest.ExpectErrors(t, ValidatePod(p), tt.want...)
		})
	}
}

func TestValidatePodStatusUpdate(t *testing.T) {
	old := validPod()
	old.Spec.RestartPolicy = RestartPolicyNever
	old.Status.ContainerStatuses = []ContainerStatus{{Name: "app", State: ContainerState{Terminated: &ContainerStateTerminated{ExitCode: 1}}}}
	tests := []struct {
		name   string
		mutate func(*Pod)
		want   []string
	}{
		{"valid", func(p *Pod) {
			p.Status.PodIP = "198.18.0.5"
			p.Status.PodIPs = []PodIP{{IP: "198.18.0.5"}, {IP: "2001:db8::5"}}
			p.Status.HostIP = "192.0.2.1"
			p.Status.HostIPs = []HostIP{{IP: "192.0.2.1"}}
		}, nil},
		{"duplicate pod IP", func(p *Pod) { p.Status.PodIPs = []PodIP{{IP: "198.18.0.5"}, {IP: "198.18.0.5"}} }, []string{"FieldValueDuplicate status.podIPs[1]"}},
		{"pod IP mismatch", func(p *Pod) {
			p.Status.PodIP = "198.18.0.6"
			p.Status.PodIPs = []PodIP{{IP: "198.18.0.5"}}
		}, []string{"FieldValueInvalid status.podIPs[0]"}},
		{"bad host IP", func(p *Pod) { p.Status.HostIPs = []HostIP{{IP: "nope"}} }, []string{"FieldValueInvalid status.hostIPs[0]"}},
		{"unknown container", func(p *Pod) { p.Status.ContainerStatuses[0].Name = "ghost" }, []string{"FieldValueNotFound status.containerStatuses[0].name"}},
		{"resurrection", func(p *Pod) {
			p.Status.ContainerStatuses[0].State = ContainerState{Running: &ContainerStateRunning{}}
		}, []string{"FieldValueForbidden status.containerStatuses[0].state"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := old.DeepCopy()
			tt.mutate(n)
			fieldtest.ExpectErrors(t, ValidatePodStatusUpdate(n, old), tt.want...)
		})
	}
}

func TestValidateVolumeSourcesAndHooks(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Pod)
		want   []string
	}{
		{"projected ok", func(p *Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, Volume{Name: "proj", VolumeSource: VolumeSource{Projected: &ProjectedVolumeSource{Sources: []VolumeProjection{
				{ServiceAccountToken: &ServiceAccountTokenProjection{Path: "token"}},
				{ConfigMap: &ConfigMapProjection{LocalObjectReference: LocalObjectReference{Name: "c"}}},
				{Secret: &SecretProjection{LocalObjectReference: LocalObjectReference{Name: "s"}}},
				{DownwardAPI: &DownwardAPIProjection{Items: []DownwardAPIVolumeFile{{Path: "labels", FieldRef: &ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}}}}},
			}}}})
		}, nil},
		{"projected source problems", func(p *Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, Volume{Name: "proj", VolumeSource: VolumeSource{Projected: &ProjectedVolumeSource{Sources: []VolumeProjection{
				{},
				{ServiceAccountToken: &ServiceAccountTokenProjection{Path: "t", ExpirationSeconds: ptr(int64(60))}, ConfigMap: &ConfigMapProjection{}},
				{Secret: &SecretProjection{}},
			}}}})
		}, []string{
			"FieldValueRequired spec.volumes[1].projected.sources[0]",
			"FieldValueForbidden spec.volumes[1].projected.sources[1].serviceAccountToken",
			"FieldValueRequired spec.volumes[1].projected.sources[1].configMap.name",
			"FieldValueInvalid spec.volumes[1].projected.sources[1].serviceAccountToken.expirationSeconds",
			"FieldValueRequired spec.volumes[1].projected.sources[2].secret.name",
		}},
		{"downward files", func(p *Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, Volume{Name: "down", VolumeSource: VolumeSource{DownwardAPI: &DownwardAPIVolumeSource{Items: []DownwardAPIVolumeFile{
				{Path: "a", FieldRef: &ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}},
				{Path: "b", ResourceFieldRef: &ResourceFieldSelector{Resource: "limits.cpu"}},
				{Path: "c"},
				{Path: "d", FieldRef: &ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}, ResourceFieldRef: &ResourceFieldSelector{Resource: "limits.cpu", ContainerName: "app"}},
				{Path: "../e", ResourceFieldRef: &ResourceFieldSelector{Resource: "limits.gpu", ContainerName: "app"}},
			}}}})
		}, []string{
			"FieldValueNotSupported spec.volumes[1].downwardAPI.items[0].fieldRef.fieldPath",
			"FieldValueRequired spec.volumes[1].downwardAPI.items[1].resourceFieldRef.containerName",
			"FieldValueRequired spec.volumes[1].downwardAPI.items[2]",
			"FieldValueInvalid spec.volumes[1].downwardAPI.items[3]",
			"FieldValueInvalid spec.volumes[1].downwardAPI.items[4].path",
			"FieldValueNotSupported spec.volumes[1].downwardAPI.items[4].resourceFieldRef.resource",
		}},
		{"env resourceFieldRef", func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "CPU", ValueFrom: &EnvVarSource{ResourceFieldRef: &ResourceFieldSelector{Resource: "requests.cpu", Divisor: resource.MustParse("-1")}}}}
		}, []string{"FieldValueInvalid spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor"}},
		{"env two sources", func(p *Pod) {
			p.Spec.Containers[0].Env = []EnvVar{{Name: "X", ValueFrom: &EnvVarSource{
				ConfigMapKeyRef: &ConfigMapKeySelector{LocalObjectReference: LocalObjectReference{Name: "c"}, Key: "k"},
				SecretKeyRef:    &SecretKeySelector{LocalObjectReference: LocalObjectReference{Name: "s"}, Key: "k"}}}}
		}, []string{"FieldValueInvalid spec.containers[0].env[0].valueFrom"}},
		{"envFrom", func(p *Pod) {
			p.Spec.Containers[0].EnvFrom = []EnvFromSource{
				{Prefix: "OK_", ConfigMapRef: &ConfigMapEnvSource{LocalObjectReference: LocalObjectReference{Name: "c"}}},
				{Prefix: "1BAD", SecretRef: &SecretEnvSource{}},
				{ConfigMapRef: &ConfigMapEnvSource{LocalObjectReference: LocalObjectReference{Name: "c"}}, SecretRef: &SecretEnvSource{LocalObjectReference: LocalObjectReference{Name: "s"}}},
			}
		}, []string{
			"FieldValueInvalid spec.containers[0].envFrom[1].prefix",
			"FieldValueRequired spec.containers[0].envFrom[1].secretRef.name",
			"FieldValueInvalid spec.containers[0].envFrom[2]",
		}},
		{"lifecycle", func(p *Pod) {
			p.Spec.Containers[0].Lifecycle = &Lifecycle{
				PostStart: &LifecycleHandler{Exec: &ExecAction{}},
				PreStop:   &LifecycleHandler{Sleep: &SleepAction{Seconds: -1}, TCPSocket: &TCPSocketAction{Port: intstr.FromInt(80)}},
			}
		}, []string{
			"FieldValueRequired spec.containers[0].lifecycle.postStart.exec.command",
			"FieldValueForbidden spec.containers[0].lifecycle.preStop.sleep",
			"FieldValueInvalid spec.containers[0].lifecycle.preStop.sleep.seconds",
		}},
		{"httpGet header and scheme", func(p *Pod) {
			p.Spec.Containers[0].ReadinessProbe.HTTPGet.Scheme = "FTP"
			p.Spec.Containers[0].ReadinessProbe.HTTPGet.HTTPHeaders = []HTTPHeader{{Name: "X Bad"}}
		}, []string{
			"FieldValueNotSupported spec.containers[0].readinessProbe.httpGet.scheme",
			"FieldValueInvalid spec.containers[0].readinessProbe.httpGet.httpHeaders[0].name",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPod()
			tt.mutate(p)
			fieldtest.ExpectErrors(t, ValidatePod(p), tt.want...)
		})
	}
}

func TestValidatePodTemplateSpec(t *testing.T) {
	tpl := &PodTemplateSpec{ObjectMeta: meta.ObjectMeta{Labels: map[string]string{"app": "-"}, Annotations: map[string]string{"a b": ""}}, Spec: validPod().Spec}
	tpl.Spec.ActiveDeadlineSeconds = ptr(int64(10))
	fieldtest.ExpectErrors(t, ValidatePodTemplateSpec(tpl, field.NewPath("template")),
		"FieldValueInvalid template.metadata.labels",
		"FieldValueInvalid template.metadata.annotations",
		"FieldValueForbidden template.spec.activeDeadlineSeconds")
}

func BenchmarkDefaultAndValidatePod(b *testing.B) {
	base := validPod()
	b.ReportAllocs()
	for b.Loop() {
		p := base.DeepCopy()
		SetDefaultsPod(p)
		if errs := ValidatePod(p); len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkValidatePodUpdate(b *testing.B) {
	old := validPod()
	n := validPod()
	n.Spec.Containers[0].Image = "nginx:1.26"
	b.ReportAllocs()
	for b.Loop() {
		if errs := ValidatePodUpdate(n, old); len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}
