package apiserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/longshore/longshore/api"
	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
	"github.com/longshore/longshore/apiserver/admission"
	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/apiserver/patch"
	"github.com/longshore/longshore/apiserver/storage"
	"github.com/longshore/longshore/store"
	"sigs.k8s.io/yaml"
)

// serveResource dispatches a resource request to its verb.
func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, info *RequestInfo) {
	gvr := meta.GroupVersionResource{Group: info.APIGroup, Version: info.APIVersion, Resource: info.Resource}
	res, ok := s.lookup(gvr)
	if !ok {
		writeError(w, r, apierror.NewNotFound(apierror.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name))
		return
	}
	if !res.namespaced && info.Namespace != "" {
		writeError(w, r, apierror.NewNotFound(res.gr(), info.Name))
		return
	}
	if info.Subresource != "" {
		s.serveSubresource(w, r, info, res)
		return
	}
	var err error
	switch info.Verb {
	case "get":
		err = s.handleGet(w, r, info, res)
	case "list":
		err = s.handleList(w, r, info, res)
	case "watch":
		err = s.handleWatch(w, r, info, res)
	case "create":
		if info.Name != "" {
			err = apierror.NewMethodNotAllowed(fmt.Sprintf("POST to a named %s is not supported", res.gvr.Resource))
			break
		}
		err = s.handleCreate(w, r, info, res)
	case "update":
		err = s.handleUpdate(w, r, info, res, "")
	case "patch":
		err = s.handlePatch(w, r, info, res, "")
	case "delete":
		err = s.handleDelete(w, r, info, res)
	case "deletecollection":
		err = s.handleDeleteCollection(w, r, info, res)
	default:
		err = apierror.NewMethodNotAllowed(fmt.Sprintf("verb %q is not supported", info.Verb))
	}
	if err != nil {
		writeError(w, r, err)
	}
}

// ---- reads ----

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	e, err := res.store.Get(r.Context(), res.key(info.Namespace, info.Name), r.URL.Query().Get("resourceVersion"))
	if err != nil {
		return s.storageError(err, res, info.Name)
	}
	return writeEntry(w, r, http.StatusOK, res, e)
}

func (s *Server) listOptions(r *http.Request, res *resource) (storage.ListOptions, error) {
	q := r.URL.Query()
	opts := storage.ListOptions{
		ResourceVersion:      q.Get("resourceVersion"),
		ResourceVersionMatch: q.Get("resourceVersionMatch"),
		Continue:             q.Get("continue"),
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil || n < 0 {
			return opts, apierror.NewBadRequest(fmt.Sprintf("invalid limit %q", l))
		}
		opts.Limit = n
	}
	pred, err := s.predicate(res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		return opts, err
	}
	opts.Predicate = pred
	return opts, nil
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	opts, err := s.listOptions(r, res)
	if err != nil {
		return err
	}
	out, err := res.store.List(r.Context(), res.listPrefix(info.Namespace), opts)
	if err != nil {
		return s.storageError(err, res, "")
	}
	return writeList(w, r, res, out)
}

// ---- watch ----

func (s *Server) handleWatch(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	q := r.URL.Query()
	fieldSel := q.Get("fieldSelector")
	if info.Name != "" {
		// Watching one object: a field selector on its name.
		if fieldSel != "" {
			fieldSel += ","
		}
		fieldSel += "metadata.name=" + info.Name
	}
	pred, err := s.predicate(res, q.Get("labelSelector"), fieldSel)
	if err != nil {
		return err
	}
	timeout := 30*time.Minute + time.Duration(randInt(30*60))*time.Second
	if t := q.Get("timeoutSeconds"); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n < 0 {
			return apierror.NewBadRequest(fmt.Sprintf("invalid timeoutSeconds %q", t))
		}
		timeout = time.Duration(n) * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	wopts := storage.WatchOptions{
		ResourceVersion: q.Get("resourceVersion"),
		Predicate:       pred,
		Bookmarks:       isTrue(q.Get("allowWatchBookmarks")),
	}
	watch, err := res.store.Watch(ctx, res.listPrefix(info.Namespace), wopts)
	if err != nil {
		return s.storageError(err, res, "")
	}
	if s.metrics != nil {
		g := s.metrics.watchers.WithLabelValues(res.gvr.Group, res.gvr.Resource)
		g.Inc()
		defer g.Dec()
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	apiVersion, kind := res.gvk.ToAPIVersionAndKind()
	buf := make([]byte, 0, 4096)
	for {
		ev, err := watch.Next(ctx)
		if err != nil {
			if errors.Is(err, storage.ErrGone) {
				st := apierror.NewGone("too old resource version: " + err.Error()).Status
				obj, _ := json.Marshal(st)
				buf = appendEvent(buf[:0], meta.Error, obj)
				w.Write(buf)
			}
			return nil
		}
		buf = buf[:0]
		if ev.Type == meta.Bookmark {
			obj := fmt.Appendf(nil, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":"%d","creationTimestamp":null}}`, kind, apiVersion, ev.Revision)
			buf = appendEvent(buf, meta.Bookmark, obj)
		} else {
			buf = appendEvent(buf, ev.Type, ev.Object.JSON)
		}
		if _, err := w.Write(buf); err != nil {
			return nil
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func appendEvent(buf []byte, t meta.EventType, obj []byte) []byte {
	buf = append(buf, `{"type":"`...)
	buf = append(buf, t...)
	buf = append(buf, `","object":`...)
	buf = append(buf, obj...)
	return append(buf, "}\n"...)
}

// ---- create ----

type createParams struct {
	dryRun bool
	user   *authn.User
	// subresource is set for creates through a subresource (binding).
	subresource string
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	obj, warnings, err := s.decodeBody(r, res)
	if err != nil {
		return err
	}
	writeWarnings(w, warnings)
	m := obj.GetObjectMeta()
	if res.namespaced {
		if m.Namespace == "" {
			m.Namespace = info.Namespace
		} else if m.Namespace != info.Namespace {
			return apierror.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	user, _ := authn.UserFrom(r.Context())
	e, err := s.createObject(r.Context(), res, info.Namespace, obj, createParams{dryRun: dryRun(r), user: user})
	if err != nil {
		return err
	}
	return writeEntry(w, r, http.StatusCreated, res, e)
}

// nameChars are the characters of generated name suffixes (no vowels, no
// look-alikes), as Kubernetes uses.
const nameChars = "bcdfghjklmnpqrstvwxz2456789"

func randomSuffix(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = nameChars[int(b[i])%len(nameChars)]
	}
	return string(b)
}

func randInt(n int) int {
	var b [4]byte
	rand.Read(b[:])
	return int(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24) % n
}

func newUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// createObject runs the create path: metadata, defaults, admission,
// validation, namespace checks, and the store write.
func (s *Server) createObject(ctx context.Context, res *resource, namespace string, obj meta.Object, p createParams) (*storage.Entry, error) {
	m := obj.GetObjectMeta()
	if res.namespaced && m.Namespace == "" {
		m.Namespace = namespace
	}
	if !res.namespaced {
		m.Namespace = ""
	}
	generated := m.Name == "" && m.GenerateName != ""
	if m.Name == "" && m.GenerateName == "" {
		return nil, apierror.NewInvalid(res.gvk.Kind, res.gvk.Group, "", []meta.StatusCause{{
			Type: meta.CauseTypeFieldValueRequired, Field: "metadata.name", Message: "Required value: name or generateName is required"}})
	}
	obj.GetTypeMeta().SetGroupVersionKind(res.gvk)
	m.UID = newUID()
	m.CreationTimestamp = meta.Now()
	m.ResourceVersion = ""
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
	m.SelfLink = ""
	if res.strategy.HasStatus && !res.strategy.KeepStatusOnCreate {
		clearStatus(obj)
	}
	if !res.strategy.NoGeneration {
		m.Generation = 1
	}
	res.kind.Default(obj)
	if res.strategy.PrepareForCreate != nil {
		res.strategy.PrepareForCreate(obj)
	}
	// NamespaceLifecycle comes first, as in Kubernetes' plugin order.
	if res.namespaced {
		if err := s.checkNamespace(ctx, m.Namespace); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		if generated {
			m.Name = m.GenerateName + randomSuffix(5)
		}
		attrs := &admission.Attributes{Operation: admission.Create, Kind: res.gvk, Resource: res.gvr,
			Subresource: p.subresource, Namespace: m.Namespace, Name: m.Name, Object: obj, User: p.user, DryRun: p.dryRun}
		if err := s.admission.Admit(ctx, attrs); err != nil {
			return nil, admissionError(err, res, m.Name)
		}
		if err := s.validate(res, obj, nil); err != nil {
			return nil, err
		}
		if err := s.admission.Validate(ctx, attrs); err != nil {
			return nil, admissionError(err, res, m.Name)
		}
		var ttl time.Duration
		if res.gvk.Kind == "Event" && res.gvk.Group == "" {
			ttl = time.Hour // Kubernetes' default --event-ttl
		}
		var claimed []string
		if svc, ok := obj.(*core.Service); ok && !p.dryRun {
			var err error
			if claimed, err = s.alloc.allocate(ctx, svc, nil); err != nil {
				return nil, err
			}
		}
		e, err := res.store.Create(ctx, res.key(m.Namespace, m.Name), obj, storage.CreateOptions{DryRun: p.dryRun, TTL: ttl})
		if err != nil {
			// Only what this create claimed: an existing service keeps its own.
			s.alloc.releaseKeys(ctx, m.Namespace+"/"+m.Name, claimed)
			if generated && errors.Is(err, store.ErrExists) && attempt < 8 {
				continue
			}
			return nil, s.storageError(err, res, m.Name)
		}
		if res.gvr.Group == "" && res.gvr.Resource == "namespaces" && !p.dryRun {
			s.namespaceCreated(ctx, m.Name)
		}
		return e, nil
	}
}

// checkNamespace refuses creation in a missing or terminating namespace.
func (s *Server) checkNamespace(ctx context.Context, ns string) error {
	nsRes, _ := s.lookup(meta.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	e, err := nsRes.store.Get(ctx, nsRes.key("", ns), "")
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apierror.NewNotFound(apierror.GroupResource{Resource: "namespaces"}, ns)
		}
		return s.storageError(err, nsRes, ns)
	}
	n, err := objectOf[*core.Namespace](e)
	if err != nil {
		return err
	}
	if n.DeletionTimestamp != nil || n.Status.Phase == core.NamespaceTerminating {
		return apierror.New(http.StatusForbidden, meta.StatusReasonForbidden,
			fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", ns),
			&meta.StatusDetails{Name: ns, Kind: "namespaces", Causes: []meta.StatusCause{{Type: "NamespaceTerminating", Field: "metadata.namespace", Message: "namespace is being terminated"}}})
	}
	return nil
}

// ---- update / patch ----

// updateParams carry what an update needs beyond the object.
type updateParams struct {
	subresource string
	// metadataOnly marks the server's own metadata edits (deletion marks):
	// no defaulting, status carry-over or generation bump.
	metadataOnly bool
	dryRun       bool
	user         *authn.User
	// readOnlyCur: the update function only reads the current object (a
	// patch works on its encoding), so it gets the cache's shared copy and
	// the private copy serves as the old object: one deep copy, not two.
	readOnlyCur bool
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource, subresource string) error {
	obj, warnings, err := s.decodeBody(r, res)
	if err != nil {
		return err
	}
	writeWarnings(w, warnings)
	m := obj.GetObjectMeta()
	if m.Name != info.Name {
		return apierror.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.Name, info.Name))
	}
	if res.namespaced {
		if m.Namespace == "" {
			m.Namespace = info.Namespace
		} else if m.Namespace != info.Namespace {
			return apierror.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	user, _ := authn.UserFrom(r.Context())
	p := updateParams{subresource: subresource, dryRun: dryRun(r), user: user}
	e, created, err := s.updateObject(r.Context(), res, info.Namespace, info.Name, func(cur meta.Object) (meta.Object, error) {
		return obj, nil
	}, p)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	return writeEntry(w, r, code, res, e)
}

// errCreateOnUpdate signals that PUT found no object and may create one.
var errCreateOnUpdate = errors.New("create on update")

// updateObject runs the update path for a main resource or its status:
// the new object comes from fn (given a private copy of the current one),
// is checked against the stored resourceVersion, carried status/spec over,
// admitted and validated, and written with compare-and-swap.
func (s *Server) updateObject(ctx context.Context, res *resource, namespace, name string, fn func(cur meta.Object) (meta.Object, error), p updateParams) (*storage.Entry, bool, error) {
	return s.updateObjectEntry(ctx, res, namespace, name, func(_ *storage.Entry, cur meta.Object) (meta.Object, error) { return fn(cur) }, p)
}

// updateObjectEntry is updateObject with a function that also sees the
// current version's cache entry (nil when the update creates the object).
func (s *Server) updateObjectEntry(ctx context.Context, res *resource, namespace, name string, fn func(e *storage.Entry, cur meta.Object) (meta.Object, error), p updateParams) (*storage.Entry, bool, error) {
	key := res.key(namespace, name)
	var deleteAfter bool
	var serviceBefore, serviceAfter *core.Service
	var serviceClaims []string // newly claimed service addresses, over all attempts
	e, err := res.store.UpdateEntry(ctx, key, func(ce *storage.Entry, cur meta.Object) (meta.Object, error) {
		serviceBefore, serviceAfter = nil, nil
		var old, obj meta.Object
		var err error
		if p.readOnlyCur && ce != nil {
			old = cur
			obj, err = fn(ce, cur) // fn only reads it
		} else {
			old = cur.DeepCopyObject()
			obj, err = fn(ce, cur)
		}
		if err != nil {
			return nil, err
		}
		m, om := obj.GetObjectMeta(), old.GetObjectMeta()
		if m.ResourceVersion != "" && m.ResourceVersion != om.ResourceVersion {
			return nil, apierror.NewConflict(res.gr(), name, errors.New(apierror.StaleMessage))
		}
		if m.UID != "" && m.UID != om.UID {
			return nil, apierror.NewConflict(res.gr(), name, fmt.Errorf("Precondition failed: UID in precondition: %s, UID in object meta: %s", m.UID, om.UID))
		}
		obj.GetTypeMeta().SetGroupVersionKind(res.gvk)
		if !p.metadataOnly {
			// Fields the server owns.
			m.UID, m.CreationTimestamp, m.Namespace, m.SelfLink = om.UID, om.CreationTimestamp, om.Namespace, ""
			m.DeletionTimestamp, m.DeletionGracePeriodSeconds = om.DeletionTimestamp, om.DeletionGracePeriodSeconds
			m.Generation = om.Generation
		}
		m.ResourceVersion = om.ResourceVersion
		switch {
		case p.metadataOnly:
		case p.subresource == "status":
			// Only the status changes through /status.
			status := obj
			obj = old.DeepCopyObject()
			copyStatus(obj, status)
			obj.GetObjectMeta().ResourceVersion = om.ResourceVersion
		default:
			res.kind.Default(obj)
			if res.strategy.HasStatus {
				copyStatus(obj, old)
			}
			if !res.strategy.NoGeneration && !sameSpec(obj, old) {
				m.Generation = om.Generation + 1
			}
			if res.strategy.PrepareForUpdate != nil {
				res.strategy.PrepareForUpdate(obj, old)
			}
		}
		attrs := &admission.Attributes{Operation: admission.Update, Kind: res.gvk, Resource: res.gvr,
			Subresource: p.subresource, Namespace: namespace, Name: name, Object: obj, OldObject: old, User: p.user, DryRun: p.dryRun}
		if err := s.admission.Admit(ctx, attrs); err != nil {
			return nil, admissionError(err, res, name)
		}
		if !p.metadataOnly { // the server's own bookkeeping is not a user update
			if err := s.validate(res, obj, old); err != nil {
				return nil, err
			}
		}
		if p.subresource == "status" && res.strategy.ValidateStatusUpdate != nil {
			if causes := res.strategy.ValidateStatusUpdate(obj, old); len(causes) > 0 {
				return nil, apierror.NewInvalid(res.gvk.Kind, res.gvk.Group, name, causes)
			}
		}
		if err := s.admission.Validate(ctx, attrs); err != nil {
			return nil, admissionError(err, res, name)
		}
		if svc, ok := obj.(*core.Service); ok && !p.dryRun && p.subresource == "" && !p.metadataOnly {
			oldSvc := old.(*core.Service)
			claimed, err := s.alloc.allocate(ctx, svc, oldSvc)
			if err != nil {
				return nil, err
			}
			serviceClaims = append(serviceClaims, claimed...)
			serviceBefore, serviceAfter = oldSvc, svc
		}
		nm := obj.GetObjectMeta()
		deleteAfter = nm.DeletionTimestamp != nil && len(nm.Finalizers) == 0 &&
			nm.DeletionGracePeriodSeconds != nil && *nm.DeletionGracePeriodSeconds == 0
		if ns, ok := obj.(*core.Namespace); ok && len(ns.Spec.Finalizers) > 0 {
			deleteAfter = false // the namespace controller has work left
		}
		return obj, nil
	}, p.dryRun)
	if err != nil {
		s.alloc.releaseKeys(ctx, namespace+"/"+name, serviceClaims)
		if errors.Is(err, store.ErrNotFound) && p.subresource == "" && res.strategy.AllowCreateOnUpdate {
			obj, ferr := fn(nil, res.kind.New())
			if ferr != nil {
				return nil, false, ferr
			}
			ce, cerr := s.createObject(ctx, res, namespace, obj, createParams{dryRun: p.dryRun, user: p.user})
			return ce, true, cerr
		}
		return nil, false, s.storageError(err, res, name)
	}
	if serviceAfter != nil && e.ModRevision != 0 {
		if svc, err := objectOf[*core.Service](e); err == nil {
			s.alloc.releaseUnused(ctx, serviceBefore, svc)
		} else {
			s.log.Error("release service addresses", "key", e.Key, "err", err)
		}
	}
	if deleteAfter && !p.dryRun {
		// The last finalizer is gone from an object being deleted: finish.
		if de, err := res.store.Delete(ctx, key, nil, false); err == nil {
			s.deleted(ctx, de)
			return de, false, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, false, s.storageError(err, res, name)
		}
	}
	return e, false, nil
}

func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource, subresource string) error {
	body, err := readBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return err
	}
	pt := mediaType(r.Header.Get("Content-Type"))
	user, _ := authn.UserFrom(r.Context())
	validation := r.URL.Query().Get("fieldValidation")
	var warnings []string
	e, _, err := s.updateObjectEntry(r.Context(), res, info.Namespace, info.Name, func(ce *storage.Entry, cur meta.Object) (meta.Object, error) {
		// The cache entry's JSON is cur's encoding: no need to encode cur.
		var curJSON []byte
		if ce != nil {
			curJSON = ce.JSON
		} else {
			var err error
			if curJSON, err = json.Marshal(cur); err != nil {
				return nil, apierror.NewInternal(err)
			}
		}
		patched, err := applyPatch(pt, curJSON, body, cur)
		if err != nil {
			return nil, err
		}
		obj := res.kind.New()
		// A merge patch has the object's shape, and the current object
		// has no unknown or duplicate fields: the patch's are the result's.
		var checkOnly []byte
		if pt == patch.TypeMerge {
			checkOnly = body
		}
		w, err := s.decodeStrict(patched, obj, validation, res, checkOnly)
		if err != nil {
			return nil, err
		}
		warnings = w
		if obj.GetObjectMeta().Name != info.Name {
			return nil, apierror.NewBadRequest("the name of the object cannot be changed by a patch")
		}
		return obj, nil
	}, updateParams{subresource: subresource, dryRun: dryRun(r), user: user, readOnlyCur: true})
	if err != nil {
		return err
	}
	writeWarnings(w, warnings)
	return writeEntry(w, r, http.StatusOK, res, e)
}

// ---- delete ----

func (s *Server) deleteOptions(r *http.Request) (*meta.DeleteOptions, error) {
	opts := &meta.DeleteOptions{}
	body, err := readJSONBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := yaml.Unmarshal(body, opts); err != nil {
			return nil, apierror.NewBadRequest(fmt.Sprintf("invalid delete options: %v", err))
		}
	}
	q := r.URL.Query()
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return nil, apierror.NewBadRequest(fmt.Sprintf("invalid gracePeriodSeconds %q", g))
		}
		opts.GracePeriodSeconds = &n
	}
	if p := q.Get("propagationPolicy"); p != "" {
		pp := meta.DeletionPropagation(p)
		opts.PropagationPolicy = &pp
	}
	if q.Get("dryRun") != "" {
		opts.DryRun = q["dryRun"]
	}
	if opts.PropagationPolicy != nil {
		switch *opts.PropagationPolicy {
		case meta.DeletePropagationOrphan, meta.DeletePropagationBackground, meta.DeletePropagationForeground:
		default:
			return nil, apierror.NewBadRequest(fmt.Sprintf("propagationPolicy %q is not one of Orphan, Background, Foreground", *opts.PropagationPolicy))
		}
	}
	if opts.GracePeriodSeconds != nil && *opts.GracePeriodSeconds < 0 {
		zero := int64(0)
		opts.GracePeriodSeconds = &zero
	}
	return opts, nil
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	opts, err := s.deleteOptions(r)
	if err != nil {
		return err
	}
	user, _ := authn.UserFrom(r.Context())
	e, finished, err := s.deleteObject(r.Context(), res, info.Namespace, info.Name, opts, user)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if !finished {
		code = http.StatusAccepted
	}
	return writeEntry(w, r, code, res, e)
}

// Finalizers the server itself interprets for propagation policies.
const (
	FinalizerOrphan     = "orphan"
	FinalizerForeground = "foregroundDeletion"
)

// deleteObject deletes an object with Kubernetes' semantics: preconditions,
// graceful deletion of pods bound to a node, finalizers and propagation
// policies. finished reports whether the object is gone.
func (s *Server) deleteObject(ctx context.Context, res *resource, namespace, name string, opts *meta.DeleteOptions, user *authn.User) (*storage.Entry, bool, error) {
	key := res.key(namespace, name)
	isDry := len(opts.DryRun) > 0
	if err := checkNamespaceDelete(res, name); err != nil {
		return nil, false, err
	}
	ce, err := res.store.Get(ctx, key, "")
	if err != nil {
		return nil, false, s.storageError(err, res, name)
	}
	cur, err := objectOf[meta.Object](ce)
	if err != nil {
		return nil, false, err
	}
	if err := checkPreconditions(res, name, cur, opts.Preconditions); err != nil {
		return nil, false, err
	}
	attrs := &admission.Attributes{Operation: admission.Delete, Kind: res.gvk, Resource: res.gvr, Namespace: namespace,
		Name: name, OldObject: cur, User: user, DryRun: isDry}
	if err := s.admission.Validate(ctx, attrs); err != nil {
		return nil, false, admissionError(err, res, name)
	}
	grace := gracePeriod(res, cur, opts)
	policy := defaultPropagation(res, opts)
	cm := cur.GetObjectMeta()
	if ns, ok := cur.(*core.Namespace); ok && len(ns.Spec.Finalizers) > 0 {
		return s.terminateNamespace(ctx, res, name, opts, user, isDry)
	}
	needsFinalizer := ""
	switch policy {
	case meta.DeletePropagationOrphan:
		needsFinalizer = FinalizerOrphan
	case meta.DeletePropagationForeground:
		needsFinalizer = FinalizerForeground
	}
	graceful := grace > 0
	if len(cm.Finalizers) > 0 || needsFinalizer != "" || graceful {
		// Mark for deletion; the object goes once finalizers are removed (and,
		// for pods, once the kubelet confirms with a zero grace period).
		e, _, err := s.updateObject(ctx, res, namespace, name, func(obj meta.Object) (meta.Object, error) {
			m := obj.GetObjectMeta()
			if err := checkPreconditions(res, name, obj, opts.Preconditions); err != nil {
				return nil, err
			}
			if needsFinalizer != "" && m.DeletionTimestamp == nil {
				m.AddFinalizer(needsFinalizer)
			}
			now := time.Now()
			if m.DeletionTimestamp == nil {
				t := meta.NewTime(now.Add(time.Duration(grace) * time.Second).UTC().Truncate(time.Second))
				m.DeletionTimestamp = &t
				m.DeletionGracePeriodSeconds = &grace
			} else if m.DeletionGracePeriodSeconds == nil || grace < *m.DeletionGracePeriodSeconds {
				// A shorter grace period than the one in force replaces it.
				t := meta.NewTime(now.Add(time.Duration(grace) * time.Second).UTC().Truncate(time.Second))
				if t.Before(m.DeletionTimestamp.Time) {
					m.DeletionTimestamp = &t
				}
				m.DeletionGracePeriodSeconds = &grace
			}
			return obj, nil
		}, updateParams{dryRun: isDry, user: user, metadataOnly: true})
		if err != nil {
			return nil, false, err
		}
		obj, err := objectOf[meta.Object](e)
		if err != nil {
			return nil, false, err
		}
		m := obj.GetObjectMeta()
		if m.DeletionGracePeriodSeconds != nil && *m.DeletionGracePeriodSeconds == 0 && len(m.Finalizers) == 0 {
			// Nothing holds it: delete now.
			de, err := res.store.Delete(ctx, key, nil, isDry)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, false, s.storageError(err, res, name)
			}
			if de != nil {
				if !isDry {
					s.deleted(ctx, de)
				}
				return de, true, nil
			}
			return e, true, nil
		}
		return e, false, nil
	}
	de, err := res.store.Delete(ctx, key, func(obj meta.Object) error {
		return checkPreconditions(res, name, obj, opts.Preconditions)
	}, isDry)
	if err != nil {
		return nil, false, s.storageError(err, res, name)
	}
	if !isDry {
		s.deleted(ctx, de)
	}
	return de, true, nil
}

func checkPreconditions(res *resource, name string, obj meta.Object, p *meta.Preconditions) error {
	if p == nil {
		return nil
	}
	m := obj.GetObjectMeta()
	if p.UID != nil && *p.UID != m.UID {
		return apierror.NewConflict(res.gr(), name, fmt.Errorf("Precondition failed: UID in precondition: %s, UID in object meta: %s", *p.UID, m.UID))
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != m.ResourceVersion {
		return apierror.NewConflict(res.gr(), name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s", *p.ResourceVersion, m.ResourceVersion))
	}
	return nil
}

// gracePeriod returns the grace period that applies: only pods bound to a
// node are deleted gracefully (unbound pods have nobody to stop them).
func gracePeriod(res *resource, obj meta.Object, opts *meta.DeleteOptions) int64 {
	pod, ok := obj.(*core.Pod)
	if !ok || res.gvk.Group != "" {
		return 0
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == core.PodSucceeded || pod.Status.Phase == core.PodFailed {
		return 0
	}
	if opts.GracePeriodSeconds != nil {
		return *opts.GracePeriodSeconds
	}
	if pod.DeletionGracePeriodSeconds != nil {
		return *pod.DeletionGracePeriodSeconds
	}
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return 30
}

func defaultPropagation(res *resource, opts *meta.DeleteOptions) meta.DeletionPropagation {
	if opts.PropagationPolicy != nil {
		return *opts.PropagationPolicy
	}
	if opts.OrphanDependents != nil {
		if *opts.OrphanDependents {
			return meta.DeletePropagationOrphan
		}
		return meta.DeletePropagationBackground
	}
	return meta.DeletePropagationBackground
}

func (s *Server) handleDeleteCollection(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	opts, err := s.deleteOptions(r)
	if err != nil {
		return err
	}
	lopts, err := s.listOptions(r, res)
	if err != nil {
		return err
	}
	lopts.Limit, lopts.Continue = 0, ""
	list, err := res.store.List(r.Context(), res.listPrefix(info.Namespace), lopts)
	if err != nil {
		return s.storageError(err, res, "")
	}
	user, _ := authn.UserFrom(r.Context())
	out := &storage.ListResult{Revision: list.Revision}
	for _, e := range list.Items {
		obj, err := objectOf[meta.Object](e)
		if err != nil {
			return err
		}
		m := obj.GetObjectMeta()
		de, _, err := s.deleteObject(r.Context(), res, m.Namespace, m.Name, opts, user)
		if err != nil {
			if apierror.IsNotFound(err) {
				continue
			}
			return err
		}
		out.Items = append(out.Items, de)
	}
	return writeList(w, r, res, out)
}

// ---- decoding ----

func dryRun(r *http.Request) bool {
	for _, v := range r.URL.Query()["dryRun"] {
		if v == "All" {
			return true
		}
	}
	return false
}

// readJSONBody reads a request body of at most limit bytes as JSON (or
// YAML): a Kubernetes protobuf body is converted to JSON first.
func readJSONBody(r *http.Request, limit int64) ([]byte, error) {
	data, err := readBody(r, limit)
	if err != nil || mediaType(r.Header.Get("Content-Type")) != protobufContentType {
		return data, err
	}
	js, err := protobufToJSON(data)
	if err != nil {
		return nil, apierror.NewBadRequest(err.Error())
	}
	return js, nil
}

const protobufContentType = "application/vnd.kubernetes.protobuf"

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead) // one allocation, none to grow
	}
	_, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, apierror.NewBadRequest(fmt.Sprintf("reading request body: %v", err))
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		return nil, apierror.NewRequestEntityTooLarge(fmt.Sprintf("the request body is larger than %d bytes", limit))
	}
	return data, nil
}

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// decodeBody reads and decodes a create or update body into a new object of
// res's kind, applying fieldValidation.
func (s *Server) decodeBody(r *http.Request, res *resource) (meta.Object, []string, error) {
	data, err := readJSONBody(r, s.cfg.MaxRequestBytes)
	if err != nil {
		return nil, nil, err
	}
	switch mediaType(r.Header.Get("Content-Type")) {
	case "", "application/json", "application/yaml", "application/x-yaml", "text/yaml", "*/*", protobufContentType:
	default:
		return nil, nil, apierror.NewUnsupportedMediaType(r.Header.Get("Content-Type"))
	}
	obj := res.kind.New()
	warnings, err := s.decodeStrict(data, obj, r.URL.Query().Get("fieldValidation"), res, nil)
	if err != nil {
		return nil, nil, err
	}
	return obj, warnings, nil
}

// decodeStrict decodes data into obj and applies the fieldValidation
// directive: Strict fails on unknown or duplicate fields (kubectl asks for
// it), Warn (the default) returns them as warnings, Ignore drops them.
//
// checkOnly, if set, is the document whose unknown and duplicate fields are
// reported instead of data's (a merge patch, against the patched object):
// walking a small patch costs less than walking the whole object.
func (s *Server) decodeStrict(data []byte, obj meta.Object, validation string, res *resource, checkOnly []byte) ([]string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, apierror.NewBadRequest("the request body is empty")
	}
	switch validation {
	case "", "Strict", "Warn", "Ignore":
	default:
		return nil, apierror.NewBadRequest(fmt.Sprintf("fieldValidation must be one of Ignore, Warn, Strict (got %q)", validation))
	}
	var problems []string
	var err error
	if u, ok := obj.(*unstructured.Object); ok {
		if err = decodeUnstructured(data, u, res); err == nil && res.kind.Unknown != nil {
			problems = res.kind.Unknown(obj)
		}
	} else if checkOnly != nil {
		err = api.DecodeInto(data, obj, false)
		if err == nil && validation != "Ignore" {
			problems, err = api.StrictProblems(checkOnly, obj)
		}
	} else {
		err = api.DecodeInto(data, obj, validation != "Ignore")
		var strictErr *api.StrictError
		if errors.As(err, &strictErr) {
			problems, err = strictErr.Problems, nil
		}
	}
	if err == nil && len(problems) > 0 && validation != "Ignore" {
		if validation == "Strict" {
			return nil, apierror.NewBadRequest("strict decoding error: " + strings.Join(problems, ", "))
		}
		return problems, nil // Warn, the server's default
	}
	if err != nil {
		if errors.Is(err, api.ErrKindMismatch) {
			return nil, apierror.NewBadRequest(fmt.Sprintf("the body of the request is not a %s: %v", res.gvk.Kind, err))
		}
		return nil, apierror.NewBadRequest(fmt.Sprintf("the body of the request could not be decoded: %v", err))
	}
	return nil, nil
}

// decodeUnstructured reads a custom resource (JSON or YAML) and checks its
// apiVersion and kind.
func decodeUnstructured(data []byte, u *unstructured.Object, res *resource) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(js, u); err != nil {
		return err
	}
	want, kind := res.gvk.ToAPIVersionAndKind()
	if u.APIVersion == "" && u.Kind == "" {
		u.APIVersion, u.Kind = want, kind
	}
	if u.APIVersion != want || u.Kind != kind {
		return fmt.Errorf("%w: got %s %s, want %s %s", api.ErrKindMismatch, u.APIVersion, u.Kind, want, kind)
	}
	return nil
}

func writeWarnings(w http.ResponseWriter, warnings []string) {
	for _, msg := range warnings {
		w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
	}
}

// ---- errors ----

// storageError maps storage and store errors to API errors.
func (s *Server) storageError(err error, res *resource, name string) error {
	var ae *apierror.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, store.ErrNotFound):
		return apierror.NewNotFound(res.gr(), name)
	case errors.Is(err, store.ErrExists):
		return apierror.NewAlreadyExists(res.gr(), name)
	case errors.Is(err, store.ErrConflict):
		return apierror.NewConflict(res.gr(), name, errors.New(apierror.StaleMessage))
	case errors.Is(err, storage.ErrGone), errors.Is(err, store.ErrCompacted):
		return apierror.NewGone("The resourceVersion for the provided list is too old.")
	case errors.Is(err, storage.ErrTimeout), errors.Is(err, store.ErrFutureRevision):
		return apierror.NewTimeout("Too large resource version: "+err.Error(), 1)
	case errors.Is(err, storage.ErrInvalid):
		return apierror.NewBadRequest(err.Error())
	case errors.Is(err, store.ErrTooLarge):
		return apierror.NewRequestEntityTooLarge(err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return apierror.NewTimeout("the request timed out", 1)
	case errors.Is(err, store.ErrClosed):
		return apierror.NewServiceUnavailable("the storage is closed")
	}
	s.log.Error("storage failure", "resource", res.gvr.String(), "name", name, "err", err)
	return apierror.NewInternal(err)
}

// admissionError keeps API errors from plugins and makes others 403s.
func admissionError(err error, res *resource, name string) error {
	var ae *apierror.Error
	if errors.As(err, &ae) {
		return ae
	}
	return apierror.NewForbidden(res.gr(), name, err.Error())
}

// sameSpec answers specEqual's question (equal apart from metadata and
// status?) more cheaply on the common path: when the Go values of every
// other top-level field are deeply equal, their JSON is too, so the two
// JSON encodings and map round trips of specEqual are skipped. A reflective
// difference may still encode alike (nil and empty slices, say), so then
// specEqual decides.
func sameSpec(a, b meta.Object) bool {
	return deepEqualOutsideMeta(a, b) || specEqual(a, b)
}

var (
	typeMetaType   = reflect.TypeFor[meta.TypeMeta]()
	objectMetaType = reflect.TypeFor[meta.ObjectMeta]()
)

// deepEqualOutsideMeta compares a and b field by field, skipping the
// embedded TypeMeta and ObjectMeta and the status field: the fields
// specEqual drops. Anything else, unexported fields included, is compared,
// so a true answer is never wrong.
func deepEqualOutsideMeta(a, b meta.Object) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() || va.Kind() != reflect.Pointer || va.IsNil() || vb.IsNil() || va.Elem().Kind() != reflect.Struct {
		return false
	}
	va, vb = va.Elem(), vb.Elem()
	t := va.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && (f.Type == typeMetaType || f.Type == objectMetaType) {
			continue
		}
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == "status" {
			continue
		}
		if !f.IsExported() {
			return false // not comparable through Interface; let specEqual decide
		}
		// Through pointers: boxing a field's value would copy it to the heap.
		if !reflect.DeepEqual(va.Field(i).Addr().Interface(), vb.Field(i).Addr().Interface()) {
			return false
		}
	}
	return true
}

// deleted releases what a deleted object held (a Service's addresses).
func (s *Server) deleted(ctx context.Context, e *storage.Entry) {
	if obj, err := e.Object(); err != nil {
		s.log.Error("release service addresses", "key", e.Key, "err", err)
	} else if svc, ok := obj.(*core.Service); ok {
		s.alloc.releaseUnused(ctx, svc, nil)
	}
}
