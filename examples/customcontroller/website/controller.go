package website

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
)

// ControllerName names the controller in logs and metrics.
const ControllerName = "website"

// ContainerName is the name of the serving container in the pod template.
const ContainerName = "web"

// Labels put on the pods, the Deployment and the Service of a Website;
// the Deployment's selector and the Service's selector use them.
const (
	// LabelName is always "website".
	LabelName = "app.kubernetes.io/name"
	// LabelInstance is the Website's name.
	LabelInstance = "app.kubernetes.io/instance"
	// LabelManager is ControllerName.
	LabelManager = "app.kubernetes.io/managed-by"
)

// Options tune the controller; the zero value works.
type Options struct {
	// Workers is the number of concurrent reconciles (default 1).
	Workers int
	// Logger receives the controller's logs; nil discards.
	Logger *slog.Logger
	// Now returns the time put in conditions; nil is time.Now.
	Now func() time.Time
}

// Reconciler keeps each Website's Deployment and Service in line with its
// spec and reports the Deployment's progress in the Website's status. It
// reads from informer caches and writes through the API client.
type Reconciler struct {
	websites    *controller.Informer[*unstructured.Object]
	deployments *controller.Informer[*apps.Deployment]
	services    *controller.Informer[*core.Service]

	websiteAPI    *client.Resource[*unstructured.Object]
	deploymentAPI *client.Resource[*apps.Deployment]
	serviceAPI    *client.Resource[*core.Service]

	log *slog.Logger
	now func() time.Time
}

var _ controller.Reconciler = (*Reconciler)(nil)

// informerRunnable runs an informer the manager's factory does not know:
// the factory builds informers of registered Go types only, and a custom
// resource has none. It runs on every replica, like the factory's
// informers, so a new leader starts with a warm cache.
type informerRunnable struct{ inf controller.SharedInformer }

func (r informerRunnable) Start(ctx context.Context) error { return r.inf.Run(ctx) }
func (informerRunnable) NeedLeaderElection() bool          { return false }

// Setup adds the Website controller to m: an informer of Websites, the
// factory's Deployment and Service informers (shared with any other
// controller of m), and the controller itself, which runs only while m
// leads when m elects a leader. Call it before m.Start.
func Setup(m *controller.Manager, opts *Options) (*controller.Controller, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := m.Client()
	r := &Reconciler{
		websiteAPI:    client.Dynamic(c, GVR),
		deploymentAPI: client.MustFor[*apps.Deployment](c),
		serviceAPI:    client.MustFor[*core.Service](c),
		log:           o.Logger.With("controller", ControllerName),
		now:           o.Now,
	}
	r.websites = controller.NewInformer(r.websiteAPI, controller.InformerOptions{Logger: o.Logger})
	var err error
	if r.deployments, err = controller.InformerFor[*apps.Deployment](m.Factory(), controller.InformerOptions{}); err != nil {
		return nil, err
	}
	if r.services, err = controller.InformerFor[*core.Service](m.Factory(), controller.InformerOptions{}); err != nil {
		return nil, err
	}
	ctrl, err := controller.New(ControllerName, r, &controller.Options{Workers: o.Workers, Logger: o.Logger, Metrics: m.Metrics()})
	if err != nil {
		return nil, err
	}
	// A change to a Website, or to anything it owns, reconciles the Website.
	controller.Watch(ctrl, r.websites, controller.EnqueueObject[*unstructured.Object]())
	controller.Watch(ctrl, r.deployments, controller.EnqueueOwner[*apps.Deployment](Kind))
	controller.Watch(ctrl, r.services, controller.EnqueueOwner[*core.Service](Kind))
	if err := m.Add(informerRunnable{r.websites}); err != nil {
		return nil, err
	}
	if err := m.Add(ctrl); err != nil {
		return nil, err
	}
	return ctrl, nil
}

// Reconcile implements controller.Reconciler: create or update the
// Deployment and the Service, then write the status. It is level-based:
// whatever event led here, it compares the current state with the spec.
func (r *Reconciler) Reconcile(ctx context.Context, req controller.Request) (controller.Result, error) {
	obj, ok := r.websites.Get(req.Namespace, req.Name)
	if !ok || obj.DeletionTimestamp != nil {
		// Gone or going: the garbage collector deletes the Deployment and
		// the Service through their ownerReferences.
		return controller.Result{}, nil
	}
	w, err := FromUnstructured(obj)
	if err != nil {
		return controller.Result{}, err
	}
	dep, depConflict, err := r.syncDeployment(ctx, w)
	if err != nil {
		return controller.Result{}, err
	}
	svcConflict, err := r.syncService(ctx, w)
	if err != nil {
		return controller.Result{}, err
	}
	status := ComputeStatus(w, dep, joinNonEmpty(depConflict, svcConflict), meta.NewTime(r.now().UTC().Truncate(time.Second)))
	if StatusEqual(w.Status, status) {
		return controller.Result{}, nil
	}
	if err := r.writeStatus(ctx, obj, status); err != nil {
		if apierror.IsConflict(err) {
			// The cache was behind; the newer Website is on its way.
			return controller.Result{Requeue: true}, nil
		}
		return controller.Result{}, err
	}
	return controller.Result{}, nil
}

// syncDeployment returns the Website's Deployment after creating or
// updating it, or a conflict message when a Deployment of that name is
// not the Website's.
func (r *Reconciler) syncDeployment(ctx context.Context, w *Website) (*apps.Deployment, string, error) {
	api := r.deploymentAPI.Namespace(w.Namespace)
	cur, ok := r.deployments.Get(w.Namespace, w.Name)
	if !ok {
		created, err := api.Create(ctx, DesiredDeployment(w), client.WriteOptions{})
		if err != nil {
			return nil, "", fmt.Errorf("create deployment %s/%s: %w", w.Namespace, w.Name, err)
		}
		r.log.Info("created deployment", "website", w.Namespace+"/"+w.Name)
		return created, "", nil
	}
	if !meta.IsControlledBy(&cur.ObjectMeta, &w.ObjectMeta) {
		return nil, fmt.Sprintf("deployment %s exists and is not controlled by this website", w.Name), nil
	}
	if DeploymentInSync(cur, w) {
		return cur, "", nil
	}
	upd := cur.DeepCopyObject().(*apps.Deployment) // cached objects are shared
	applyDeployment(upd, w)
	updated, err := api.Update(ctx, upd, client.WriteOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("update deployment %s/%s: %w", w.Namespace, w.Name, err)
	}
	r.log.Info("updated deployment", "website", w.Namespace+"/"+w.Name, "replicas", w.Spec.Replicas, "image", w.Spec.Image)
	return updated, "", nil
}

// syncService creates or updates the Website's Service, or returns a
// conflict message when a Service of that name is not the Website's.
func (r *Reconciler) syncService(ctx context.Context, w *Website) (string, error) {
	api := r.serviceAPI.Namespace(w.Namespace)
	cur, ok := r.services.Get(w.Namespace, w.Name)
	if !ok {
		if _, err := api.Create(ctx, DesiredService(w), client.WriteOptions{}); err != nil {
			return "", fmt.Errorf("create service %s/%s: %w", w.Namespace, w.Name, err)
		}
		return "", nil
	}
	if !meta.IsControlledBy(&cur.ObjectMeta, &w.ObjectMeta) {
		return fmt.Sprintf("service %s exists and is not controlled by this website", w.Name), nil
	}
	if ServiceInSync(cur, w) {
		return "", nil
	}
	upd := cur.DeepCopyObject().(*core.Service)
	applyService(upd, w)
	if _, err := api.Update(ctx, upd, client.WriteOptions{}); err != nil {
		return "", fmt.Errorf("update service %s/%s: %w", w.Namespace, w.Name, err)
	}
	return "", nil
}

// writeStatus replaces the status of obj (a cached object, not modified).
func (r *Reconciler) writeStatus(ctx context.Context, obj *unstructured.Object, st Status) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	upd := obj.DeepCopy()
	upd.UnstructuredContent()["status"] = m
	if _, err := r.websiteAPI.Namespace(obj.Namespace).UpdateStatus(ctx, upd, client.WriteOptions{}); err != nil {
		return fmt.Errorf("update status of website %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	return nil
}

// Labels returns the labels of the Website's pods, Deployment and
// Service.
func Labels(w *Website) map[string]string {
	return map[string]string{LabelName: "website", LabelInstance: w.Name, LabelManager: ControllerName}
}

// selector is the part of Labels that selects pods: stable for the
// Website's lifetime, since a Deployment's selector cannot change.
func selector(w *Website) map[string]string {
	return map[string]string{LabelName: "website", LabelInstance: w.Name}
}

func ownerRef(w *Website) []meta.OwnerReference {
	return []meta.OwnerReference{*meta.NewControllerRef(&w.ObjectMeta, GroupVersionKind)}
}

// DesiredDeployment returns the Deployment a Website asks for, owned by
// it.
func DesiredDeployment(w *Website) *apps.Deployment {
	d := &apps.Deployment{
		ObjectMeta: meta.ObjectMeta{Name: w.Name, Namespace: w.Namespace, Labels: Labels(w), OwnerReferences: ownerRef(w)},
		Spec: apps.DeploymentSpec{
			Selector: &meta.LabelSelector{MatchLabels: selector(w)},
			Template: core.PodTemplateSpec{ObjectMeta: meta.ObjectMeta{Labels: Labels(w)}},
		},
	}
	applyDeployment(d, w)
	return d
}

// applyDeployment sets the fields the Website owns: replicas, the
// container's image and port, the template's labels. Other fields (and
// the server's defaults) are left alone.
func applyDeployment(d *apps.Deployment, w *Website) {
	replicas := w.Spec.Replicas
	d.Spec.Replicas = &replicas
	if d.Spec.Template.Labels == nil {
		d.Spec.Template.Labels = map[string]string{}
	}
	maps.Copy(d.Spec.Template.Labels, Labels(w))
	port := core.ContainerPort{Name: "http", ContainerPort: w.Spec.Port, Protocol: core.ProtocolTCP}
	for i := range d.Spec.Template.Spec.Containers {
		if c := &d.Spec.Template.Spec.Containers[i]; c.Name == ContainerName {
			c.Image = w.Spec.Image
			c.Ports = []core.ContainerPort{port}
			return
		}
	}
	d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers,
		core.Container{Name: ContainerName, Image: w.Spec.Image, Ports: []core.ContainerPort{port}})
}

// DeploymentInSync reports whether d has the replicas, image, port and
// labels w asks for.
func DeploymentInSync(d *apps.Deployment, w *Website) bool {
	if d.Spec.Replicas == nil || *d.Spec.Replicas != w.Spec.Replicas {
		return false
	}
	for k, v := range Labels(w) {
		if d.Spec.Template.Labels[k] != v {
			return false
		}
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == ContainerName {
			return c.Image == w.Spec.Image && len(c.Ports) == 1 && c.Ports[0].ContainerPort == w.Spec.Port
		}
	}
	return false
}

// DesiredService returns the ClusterIP Service a Website asks for, owned
// by it.
func DesiredService(w *Website) *core.Service {
	s := &core.Service{
		ObjectMeta: meta.ObjectMeta{Name: w.Name, Namespace: w.Namespace, Labels: Labels(w), OwnerReferences: ownerRef(w)},
		Spec:       core.ServiceSpec{Type: core.ServiceTypeClusterIP},
	}
	applyService(s, w)
	return s
}

func applyService(s *core.Service, w *Website) {
	s.Spec.Selector = selector(w)
	s.Spec.Ports = []core.ServicePort{{Name: "http", Protocol: core.ProtocolTCP, Port: w.Spec.Port, TargetPort: intstr.FromInt(w.Spec.Port)}}
}

// ServiceInSync reports whether s has the port and selector w asks for.
func ServiceInSync(s *core.Service, w *Website) bool {
	if !maps.Equal(s.Spec.Selector, selector(w)) || len(s.Spec.Ports) != 1 {
		return false
	}
	p := s.Spec.Ports[0]
	return p.Port == w.Spec.Port && p.TargetPort == intstr.FromInt(w.Spec.Port)
}

// ComputeStatus returns w's status given its Deployment (nil when there is
// a conflict, whose message is then the condition's). The Ready condition
// is True once the Deployment has observed its latest spec and runs
// spec.replicas ready replicas of it. LastTransitionTime is kept from w's
// current condition when the condition's status does not change.
func ComputeStatus(w *Website, dep *apps.Deployment, conflict string, now meta.Time) Status {
	st := Status{ObservedGeneration: w.Generation}
	cond := meta.Condition{Type: ConditionReady, ObservedGeneration: w.Generation}
	switch {
	case dep == nil || conflict != "":
		cond.Status, cond.Reason, cond.Message = meta.ConditionFalse, ReasonConflict, conflict
		if dep != nil {
			st.ReadyReplicas = dep.Status.ReadyReplicas
		}
	default:
		ds := dep.Status
		st.ReadyReplicas = ds.ReadyReplicas
		want := w.Spec.Replicas
		rolledOut := ds.ObservedGeneration >= dep.Generation && ds.UpdatedReplicas == want && ds.Replicas == want && ds.ReadyReplicas == want
		cond.Message = fmt.Sprintf("%d/%d replicas ready", ds.ReadyReplicas, want)
		if rolledOut {
			cond.Status, cond.Reason = meta.ConditionTrue, ReasonAvailable
		} else {
			cond.Status, cond.Reason = meta.ConditionFalse, ReasonProgressing
		}
	}
	cond.LastTransitionTime = now
	if old := w.Status.Condition(ConditionReady); old != nil && old.Status == cond.Status && !old.LastTransitionTime.IsZero() {
		cond.LastTransitionTime = old.LastTransitionTime
	}
	st.Conditions = []meta.Condition{cond}
	return st
}

// StatusEqual reports whether two statuses say the same, ignoring
// transition times.
func StatusEqual(a, b Status) bool {
	if a.ObservedGeneration != b.ObservedGeneration || a.ReadyReplicas != b.ReadyReplicas || len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message || x.ObservedGeneration != y.ObservedGeneration {
			return false
		}
	}
	return true
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
