package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/autoscaling"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/apiserver/storage"
	"github.com/longshore/longshore/store"
)

// serveSubresource handles /status, /binding, /scale, /log, /exec.
func (s *Server) serveSubresource(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) {
	var err error
	switch {
	case info.Subresource == "status" && res.strategy.HasStatus:
		switch info.Verb {
		case "get":
			err = s.handleGet(w, r, info, res)
		case "update":
			err = s.handleUpdate(w, r, info, res, "status")
		case "patch":
			err = s.handlePatch(w, r, info, res, "status")
		default:
			err = apierror.NewMethodNotAllowed(fmt.Sprintf("%s is not supported on %s/status", info.Verb, res.gvr.Resource))
		}
	case info.Subresource == "binding" && res.gvk == core.SchemeGroupVersion.WithKind("Pod"):
		if info.Verb != "create" {
			err = apierror.NewMethodNotAllowed("only POST is supported on pods/binding")
			break
		}
		err = s.handleBinding(w, r, info, res)
	case info.Subresource == "finalize" && res.gvr == meta.GroupVersionResource{Version: "v1", Resource: "namespaces"}:
		if info.Verb != "update" {
			err = apierror.NewMethodNotAllowed("only PUT is supported on namespaces/finalize")
			break
		}
		err = s.handleFinalize(w, r, info, res)
	case info.Subresource == "token" && res.gvr == meta.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}:
		err = s.handleTokenRequest(w, r, info)
	case info.Subresource == "scale" && res.scale:
		err = s.handleScale(w, r, info, res)
	case (info.Subresource == "log" || info.Subresource == "exec" || info.Subresource == "attach" || info.Subresource == "portforward") && res.gvk == core.SchemeGroupVersion.WithKind("Pod"):
		err = s.proxyToKubelet(w, r, info, res)
	default:
		err = apierror.NewNotFound(apierror.GroupResource{Group: res.gvr.Group, Resource: res.gvr.Resource + "/" + info.Subresource}, info.Name)
	}
	if err != nil {
		writeError(w, r, err)
	}
}

// handleBinding assigns a pod to a node, as the scheduler does: the pod
// must exist, be unbound, not be terminating, and the binding's target
// must be a Node.
func (s *Server) handleBinding(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	data, err := readJSONBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	var b core.Binding
	if err := json.Unmarshal(data, &b); err != nil {
		return apierror.NewBadRequest(fmt.Sprintf("invalid binding: %v", err))
	}
	if b.Name != "" && b.Name != info.Name {
		return apierror.NewBadRequest(fmt.Sprintf("the name of the binding (%s) does not match the pod (%s)", b.Name, info.Name))
	}
	if b.Target.Name == "" || (b.Target.Kind != "" && b.Target.Kind != "Node") {
		return apierror.NewInvalid("Binding", "", info.Name, []meta.StatusCause{{Type: meta.CauseTypeFieldValueInvalid, Field: "target", Message: "must name a Node"}})
	}
	user, _ := authn.UserFrom(r.Context())
	_, _, err = s.updateObject(r.Context(), res, info.Namespace, info.Name, func(cur meta.Object) (meta.Object, error) {
		pod := cur.(*core.Pod)
		if b.UID != "" && b.UID != pod.UID {
			return nil, apierror.NewConflict(res.gr(), info.Name, fmt.Errorf("Precondition failed: UID in precondition: %s, UID in object meta: %s", b.UID, pod.UID))
		}
		if pod.DeletionTimestamp != nil {
			return nil, apierror.NewConflict(res.gr(), info.Name, fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", info.Name))
		}
		if pod.Spec.NodeName != "" {
			return nil, apierror.NewConflict(res.gr(), info.Name, fmt.Errorf("pod %s is already assigned to node %q", info.Name, pod.Spec.NodeName))
		}
		pod.Spec.NodeName = b.Target.Name
		for k, v := range b.Annotations {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[k] = v
		}
		setPodCondition(&pod.Status, core.PodCondition{Type: core.PodScheduled, Status: core.ConditionTrue, LastTransitionTime: meta.Now()})
		return pod, nil
	}, updateParams{metadataOnly: true, user: user, dryRun: dryRun(r), subresource: "binding"})
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusCreated, apierror.Error{Status: meta.Status{
		TypeMeta: meta.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: meta.StatusSuccess, Code: http.StatusCreated}}.Status)
	return nil
}

func setPodCondition(st *core.PodStatus, c core.PodCondition) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == c.Type {
			if st.Conditions[i].Status == c.Status {
				c.LastTransitionTime = st.Conditions[i].LastTransitionTime
			}
			st.Conditions[i] = c
			return
		}
	}
	st.Conditions = append(st.Conditions, c)
}

// hasScale reports whether a kind has the scale subresource.
func hasScale(gvk meta.GroupVersionKind) bool {
	if gvk.Group != apps.SchemeGroupVersion.Group || gvk.Version != "v1" {
		return false
	}
	switch gvk.Kind {
	case "Deployment", "ReplicaSet", "StatefulSet":
		return true
	}
	return false
}

// scaleParts reads replicas and selector of a scalable object by reflection
// over the apps/v1 shapes (Spec.Replicas *int32, Spec.Selector, Status.Replicas).
func scaleParts(obj meta.Object) (spec *int32, status int32, selector *meta.LabelSelector, ok bool) {
	v := reflect.ValueOf(obj).Elem()
	sp, st := v.FieldByName("Spec"), v.FieldByName("Status")
	if !sp.IsValid() || !st.IsValid() {
		return nil, 0, nil, false
	}
	rep := sp.FieldByName("Replicas")
	sel := sp.FieldByName("Selector")
	srep := st.FieldByName("Replicas")
	if !rep.IsValid() || rep.Type() != reflect.TypeOf((*int32)(nil)) || !srep.IsValid() {
		return nil, 0, nil, false
	}
	if rep.IsNil() {
		rep.Set(reflect.ValueOf(new(int32)))
	}
	if sel.IsValid() && !sel.IsNil() {
		selector = sel.Interface().(*meta.LabelSelector)
	}
	return rep.Interface().(*int32), int32(srep.Int()), selector, true
}

// customScale reads replicas through a custom resource's scale paths.
func customScale(res *resource, u *unstructured.Object) (spec, status int32, selector string) {
	num := func(path string) int32 {
		v, _ := jsonPathGet(u, path)
		switch n := v.(type) {
		case json.Number:
			i, _ := n.Int64()
			return int32(i)
		case float64:
			return int32(n)
		}
		return 0
	}
	spec, status = num(res.crdScale.SpecReplicasPath), num(res.crdScale.StatusReplicasPath)
	if p := res.crdScale.LabelSelectorPath; p != nil {
		if v, ok := jsonPathGet(u, *p); ok {
			selector, _ = v.(string)
		}
	}
	return spec, status, selector
}

// setCustomReplicas writes replicas at the spec replicas path.
func setCustomReplicas(res *resource, u *unstructured.Object, n int32) error {
	path := strings.Split(strings.TrimPrefix(res.crdScale.SpecReplicasPath, "."), ".")
	return u.SetNestedField(json.Number(strconv.Itoa(int(n))), path...)
}

func scaleOf(res *resource, obj meta.Object) (*autoscaling.Scale, error) {
	if u, ok := obj.(*unstructured.Object); ok && res.crdScale != nil {
		m := obj.GetObjectMeta()
		sc := &autoscaling.Scale{
			TypeMeta:   meta.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
			ObjectMeta: meta.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion, CreationTimestamp: m.CreationTimestamp},
		}
		sc.Spec.Replicas, sc.Status.Replicas, sc.Status.Selector = customScale(res, u)
		return sc, nil
	}
	spec, status, sel, ok := scaleParts(obj)
	if !ok {
		return nil, apierror.NewInternal(fmt.Errorf("%s has no replicas", res.gvk.Kind))
	}
	m := obj.GetObjectMeta()
	sc := &autoscaling.Scale{
		TypeMeta:   meta.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: meta.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion, CreationTimestamp: m.CreationTimestamp},
	}
	sc.Spec.Replicas = *spec
	sc.Status.Replicas = status
	if sel != nil {
		if ls, err := labels.FromLabelSelector(sel); err == nil {
			sc.Status.Selector = ls.String()
		}
	}
	return sc, nil
}

// handleScale serves get, update and patch of the scale subresource.
func (s *Server) handleScale(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	ctx := r.Context()
	switch info.Verb {
	case "get":
		e, err := res.store.Get(ctx, res.key(info.Namespace, info.Name), r.URL.Query().Get("resourceVersion"))
		if err != nil {
			return s.storageError(err, res, info.Name)
		}
		obj, err := objectOf[meta.Object](e)
		if err != nil {
			return err
		}
		sc, err := scaleOf(res, obj)
		if err != nil {
			return err
		}
		writeJSON(w, r, http.StatusOK, sc)
		return nil
	case "update", "patch":
	default:
		return apierror.NewMethodNotAllowed(fmt.Sprintf("%s is not supported on %s/scale", info.Verb, res.gvr.Resource))
	}
	body, err := readJSONBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	user, _ := authn.UserFrom(ctx)
	e, _, err := s.updateObject(ctx, res, info.Namespace, info.Name, func(cur meta.Object) (meta.Object, error) {
		sc, err := scaleOf(res, cur)
		if err != nil {
			return nil, err
		}
		var next autoscaling.Scale
		if info.Verb == "update" {
			if err := json.Unmarshal(body, &next); err != nil {
				return nil, apierror.NewBadRequest(fmt.Sprintf("invalid Scale: %v", err))
			}
		} else {
			cj, _ := json.Marshal(sc)
			pj, err := applyPatch(mediaType(r.Header.Get("Content-Type")), cj, body, sc)
			if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(pj, &next); err != nil {
				return nil, apierror.NewBadRequest(fmt.Sprintf("invalid Scale: %v", err))
			}
		}
		if next.ResourceVersion != "" && next.ResourceVersion != cur.GetObjectMeta().ResourceVersion {
			return nil, apierror.NewConflict(res.gr(), info.Name, fmt.Errorf("%s", apierror.StaleMessage))
		}
		if next.Spec.Replicas < 0 {
			return nil, apierror.NewInvalid("Scale", "autoscaling", info.Name, []meta.StatusCause{{Type: meta.CauseTypeFieldValueInvalid, Field: "spec.replicas", Message: "Invalid value: " + strconv.Itoa(int(next.Spec.Replicas)) + ": must be greater than or equal to 0"}})
		}
		if u, ok := cur.(*unstructured.Object); ok && res.crdScale != nil {
			if err := setCustomReplicas(res, u, next.Spec.Replicas); err != nil {
				return nil, apierror.NewBadRequest(err.Error())
			}
		} else {
			spec, _, _, _ := scaleParts(cur)
			*spec = next.Spec.Replicas
		}
		cur.GetObjectMeta().ResourceVersion = ""
		return cur, nil
	}, updateParams{user: user, dryRun: dryRun(r)})
	if err != nil {
		return err
	}
	obj, err := objectOf[meta.Object](e)
	if err != nil {
		return err
	}
	sc, err := scaleOf(res, obj)
	if err != nil {
		return err
	}
	writeJSON(w, r, http.StatusOK, sc)
	return nil
}

// getObject reads one object of another resource (for subresources that
// need, say, the pod's node).
func (s *Server) getObject(ctx context.Context, gvr meta.GroupVersionResource, namespace, name string) (*storage.Entry, error) {
	res, ok := s.lookup(gvr)
	if !ok {
		return nil, apierror.NewNotFound(apierror.GroupResource{Group: gvr.Group, Resource: gvr.Resource}, name)
	}
	e, err := res.store.Get(ctx, res.key(namespace, name), "")
	if err != nil {
		return nil, s.storageError(err, res, name)
	}
	return e, nil
}

// terminateNamespace marks a namespace for deletion: phase Terminating and
// a deletionTimestamp. The namespace controller then deletes its content
// and clears spec.finalizers through namespaces/{name}/finalize, which
// finally removes it.
func (s *Server) terminateNamespace(ctx context.Context, res *resource, name string, opts *meta.DeleteOptions, user *authn.User, dry bool) (*storage.Entry, bool, error) {
	e, _, err := s.updateObject(ctx, res, "", name, func(cur meta.Object) (meta.Object, error) {
		ns := cur.(*core.Namespace)
		if err := checkPreconditions(res, name, ns, opts.Preconditions); err != nil {
			return nil, err
		}
		if ns.DeletionTimestamp == nil {
			now := meta.Now()
			zero := int64(0)
			ns.DeletionTimestamp, ns.DeletionGracePeriodSeconds = &now, &zero
		}
		ns.Status.Phase = core.NamespaceTerminating
		return ns, nil
	}, updateParams{metadataOnly: true, user: user, dryRun: dry})
	if err != nil {
		return nil, false, err
	}
	return e, false, nil
}

// handleFinalize replaces a namespace's spec.finalizers; a terminating
// namespace left with none is deleted.
func (s *Server) handleFinalize(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	body, err := readJSONBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	var in core.Namespace
	if err := json.Unmarshal(body, &in); err != nil {
		return apierror.NewBadRequest(fmt.Sprintf("invalid Namespace: %v", err))
	}
	if in.Name != "" && in.Name != info.Name {
		return apierror.NewBadRequest("the name of the object does not match the name on the URL")
	}
	user, _ := authn.UserFrom(r.Context())
	e, _, err := s.updateObject(r.Context(), res, "", info.Name, func(cur meta.Object) (meta.Object, error) {
		ns := cur.(*core.Namespace)
		if in.ResourceVersion != "" && in.ResourceVersion != ns.ResourceVersion {
			return nil, apierror.NewConflict(res.gr(), info.Name, fmt.Errorf("%s", apierror.StaleMessage))
		}
		ns.Spec.Finalizers = in.Spec.Finalizers
		return ns, nil
	}, updateParams{metadataOnly: true, user: user, dryRun: dryRun(r)})
	if err != nil {
		return err
	}
	ns, err := objectOf[*core.Namespace](e)
	if err != nil {
		return err
	}
	if ns.DeletionTimestamp != nil && len(ns.Spec.Finalizers) == 0 && len(ns.Finalizers) == 0 && !dryRun(r) {
		if de, err := res.store.Delete(r.Context(), res.key("", info.Name), nil, false); err == nil {
			e = de
		} else if !errors.Is(err, store.ErrNotFound) {
			return s.storageError(err, res, info.Name)
		}
	}
	return writeEntry(w, r, http.StatusOK, res, e)
}
