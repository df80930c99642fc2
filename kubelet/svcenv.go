package kubelet

import (
	"context"
	"net"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
)

// serviceEnv returns the variables Kubernetes gives a container about
// services: always those of the "kubernetes" service of the default
// namespace, and those of every service of the pod's namespace unless
// enableServiceLinks is false. For a service "my-svc":
// MY_SVC_SERVICE_HOST, MY_SVC_SERVICE_PORT, MY_SVC_SERVICE_PORT_<NAME>
// and the Docker link variables MY_SVC_PORT, MY_SVC_PORT_<port>_<PROTO>
// (with _PROTO, _PORT and _ADDR).
func (k *Kubelet) serviceEnv(ctx context.Context, pod *core.Pod) ([]core.EnvVar, error) {
	res, err := client.For[*core.Service](k.c)
	if err != nil {
		return nil, err
	}
	var svcs []*core.Service
	if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
		list, err := res.Namespace(pod.Namespace).ListAll(ctx, client.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, s := range list.Items {
			if pod.Namespace != "default" || s.Name != "kubernetes" {
				svcs = append(svcs, s)
			}
		}
	}
	if master, err := res.Namespace("default").Get(ctx, "kubernetes"); err == nil {
		svcs = append(svcs, master)
	} else if !apierror.IsNotFound(err) {
		return nil, err
	}
	var out []core.EnvVar
	add := func(n, v string) { out = append(out, core.EnvVar{Name: n, Value: v}) }
	for _, s := range svcs {
		ip := s.Spec.ClusterIP
		if ip == "" || ip == "None" || len(s.Spec.Ports) == 0 {
			continue
		}
		name := strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))
		first := s.Spec.Ports[0]
		add(name+"_SERVICE_HOST", ip)
		add(name+"_SERVICE_PORT", strconv.Itoa(int(first.Port)))
		for _, p := range s.Spec.Ports {
			if p.Name != "" {
				add(name+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")), strconv.Itoa(int(p.Port)))
			}
		}
		proto := func(p core.ServicePort) string {
			if p.Protocol == "" {
				return "tcp"
			}
			return strings.ToLower(string(p.Protocol))
		}
		addr := func(p core.ServicePort) string {
			return proto(p) + "://" + net.JoinHostPort(ip, strconv.Itoa(int(p.Port)))
		}
		add(name+"_PORT", addr(first))
		for _, p := range s.Spec.Ports {
			prefix := name + "_PORT_" + strconv.Itoa(int(p.Port)) + "_" + strings.ToUpper(proto(p))
			add(prefix, addr(p))
			add(prefix+"_PROTO", proto(p))
			add(prefix+"_PORT", strconv.Itoa(int(p.Port)))
			add(prefix+"_ADDR", ip)
		}
	}
	return out, nil
}
