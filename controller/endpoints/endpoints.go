// Package endpoints is the Endpoints controller: for every Service with a
// selector it maintains an Endpoints object of the same name listing the
// IPs of the pods the selector matches, as Kubernetes' endpoints
// controller does.
//
// # Behaviour
//
// Ready pods go to addresses, the others to notReadyAddresses (all to
// addresses when the service sets publishNotReadyAddresses); each address
// carries targetRef (the pod) and nodeName. Pods without an IP, finished
// pods and pods being deleted are left out. Ports come from the service
// ports; a named targetPort is resolved against each pod's container
// ports, and a pod lacking that name is left out of that port. Addresses
// sharing the same set of ports form one subset, as Kubernetes'
// RepackSubsets does, in a stable order.
//
// The controller is event driven: a pod or service change enqueues the
// services concerned, and the Endpoints object follows within the
// informer's latency. The Endpoints object is deleted when its service
// goes. Services without a selector are left alone (their Endpoints are
// managed by users).
package endpoints

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"sort"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/internal/podutil"
)

// Name is the controller's name in logs and metrics.
const Name = "endpoints-controller"

// Options tune the controller; the zero value works.
type Options struct {
	// Workers is the number of concurrent syncs (default 5).
	Workers int
	// Metrics is passed to the controller (usually Manager.Metrics()).
	Metrics *controller.Metrics
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// Reconciler syncs the Endpoints of one Service. Build it with New.
type Reconciler struct {
	services  *controller.Informer[*core.Service]
	pods      *controller.Informer[*core.Pod]
	endpoints *controller.Informer[*core.Endpoints]
	api       *client.Resource[*core.Endpoints]
}

// New wires the controller on f's Service, Pod and Endpoints informers;
// add the returned controller to a Manager.
func New(f *controller.Factory, opts *Options) (*controller.Controller, *Reconciler, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Workers <= 0 {
		o.Workers = 5
	}
	r := &Reconciler{api: client.MustFor[*core.Endpoints](f.Client())}
	var err error
	if r.services, err = controller.InformerFor[*core.Service](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	if r.pods, err = controller.InformerFor[*core.Pod](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	if r.endpoints, err = controller.InformerFor[*core.Endpoints](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	c, err := controller.New(Name, r, &controller.Options{Workers: o.Workers, Metrics: o.Metrics, Logger: o.Logger})
	if err != nil {
		return nil, nil, err
	}
	controller.Watch(c, r.services, controller.EnqueueObject[*core.Service]())
	controller.Watch(c, r.endpoints, controller.EnqueueObject[*core.Endpoints]())
	controller.Watch(c, r.pods, r.servicesOf)
	return c, r, nil
}

// servicesOf maps a pod to the services whose selector matches it.
func (r *Reconciler) servicesOf(p *core.Pod) []controller.Request {
	var out []controller.Request
	for _, svc := range r.services.ListNamespace(p.Namespace, nil) {
		if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.Labels)) {
			out = append(out, controller.Request{Namespace: svc.Namespace, Name: svc.Name})
		}
	}
	return out
}

// Reconcile implements controller.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req controller.Request) (controller.Result, error) {
	api := r.api.Namespace(req.Namespace)
	cur, exists := r.endpoints.Get(req.Namespace, req.Name)
	svc, ok := r.services.Get(req.Namespace, req.Name)
	if !ok {
		if exists {
			if err := api.Delete(ctx, req.Name, nil); err != nil && !apierror.IsNotFound(err) {
				return controller.Result{}, fmt.Errorf("delete endpoints %s: %w", req, err)
			}
		}
		return controller.Result{}, nil
	}
	if len(svc.Spec.Selector) == 0 {
		return controller.Result{}, nil
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	subsets := Subsets(svc, r.pods.ListNamespace(svc.Namespace, sel))
	lbls := maps.Clone(svc.Labels)
	if svc.Spec.ClusterIP == "None" {
		if lbls == nil {
			lbls = map[string]string{}
		}
		lbls["service.kubernetes.io/headless"] = ""
	}
	if exists && reflect.DeepEqual(cur.Subsets, subsets) && reflect.DeepEqual(nilIfEmpty(cur.Labels), nilIfEmpty(lbls)) {
		return controller.Result{}, nil
	}
	var err error
	if !exists {
		ep := &core.Endpoints{ObjectMeta: meta.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: lbls}, Subsets: subsets}
		_, err = api.Create(ctx, ep, client.WriteOptions{})
	} else {
		ep := cur.DeepCopyObject().(*core.Endpoints)
		ep.Labels, ep.Subsets = lbls, subsets
		_, err = api.Update(ctx, ep, client.WriteOptions{})
	}
	if err != nil {
		return controller.Result{}, fmt.Errorf("write endpoints %s: %w", req, err)
	}
	return controller.Result{}, nil
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// Subsets computes the endpoint subsets of svc from pods (the pods its
// selector matches).
func Subsets(svc *core.Service, pods []*core.Pod) []core.EndpointSubset {
	type entry struct {
		addr  core.EndpointAddress
		ready bool
		ports []core.EndpointPort
	}
	var entries []*entry
	for _, p := range pods {
		if p.Status.PodIP == "" || podutil.IsTerminal(p) || (p.DeletionTimestamp != nil && !svc.Spec.PublishNotReadyAddresses) {
			continue
		}
		e := &entry{ready: svc.Spec.PublishNotReadyAddresses || podutil.IsReady(p), addr: core.EndpointAddress{
			IP:        p.Status.PodIP,
			TargetRef: &core.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
		}}
		if p.Spec.NodeName != "" {
			node := p.Spec.NodeName
			e.addr.NodeName = &node
		}
		if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name {
			e.addr.Hostname = p.Spec.Hostname
		}
		for _, sp := range svc.Spec.Ports {
			port, ok := findPort(p, sp)
			if !ok {
				continue
			}
			proto := sp.Protocol
			if proto == "" {
				proto = core.ProtocolTCP
			}
			e.ports = append(e.ports, core.EndpointPort{Name: sp.Name, Port: port, Protocol: proto, AppProtocol: sp.AppProtocol})
		}
		if len(e.ports) == 0 && len(svc.Spec.Ports) > 0 {
			continue // the pod serves none of the service's ports
		}
		sort.Slice(e.ports, func(i, j int) bool { return portLess(e.ports[i], e.ports[j]) })
		entries = append(entries, e)
	}
	// Group addresses by their exact set of ports.
	groups := map[string]*core.EndpointSubset{}
	var order []string
	for _, e := range entries {
		k := portsKey(e.ports)
		s, ok := groups[k]
		if !ok {
			s = &core.EndpointSubset{Ports: e.ports}
			groups[k] = s
			order = append(order, k)
		}
		if e.ready {
			s.Addresses = append(s.Addresses, e.addr)
		} else {
			s.NotReadyAddresses = append(s.NotReadyAddresses, e.addr)
		}
	}
	sort.Strings(order)
	var out []core.EndpointSubset
	for _, k := range order {
		s := groups[k]
		sortAddrs(s.Addresses)
		sortAddrs(s.NotReadyAddresses)
		out = append(out, *s)
	}
	return out
}

// findPort resolves a service port's targetPort on pod p.
func findPort(p *core.Pod, sp core.ServicePort) (int32, bool) {
	tp := sp.TargetPort
	if tp.Type == intstr.String {
		proto := sp.Protocol
		if proto == "" {
			proto = core.ProtocolTCP
		}
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				cproto := cp.Protocol
				if cproto == "" {
					cproto = core.ProtocolTCP
				}
				if cp.Name == tp.StrVal && cproto == proto {
					return cp.ContainerPort, true
				}
			}
		}
		return 0, false
	}
	if tp.IntVal == 0 {
		return sp.Port, true
	}
	return tp.IntVal, true
}

func portLess(a, b core.EndpointPort) bool {
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	if a.Port != b.Port {
		return a.Port < b.Port
	}
	return a.Protocol < b.Protocol
}

func portsKey(ps []core.EndpointPort) string {
	k := ""
	for _, p := range ps {
		k += fmt.Sprintf("%s/%d/%s;", p.Name, p.Port, p.Protocol)
	}
	return k
}

func sortAddrs(as []core.EndpointAddress) {
	sort.Slice(as, func(i, j int) bool {
		if as[i].IP != as[j].IP {
			return as[i].IP < as[j].IP
		}
		return as[i].TargetRef.Name < as[j].TargetRef.Name
	})
}

var _ controller.Reconciler = (*Reconciler)(nil)
