package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/field"
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/unstructured"
	"github.com/longshore/longshore/api/validation"
	"github.com/longshore/longshore/apiserver/storage"
	"github.com/longshore/longshore/store"
)

var crdGVR = meta.GroupVersionResource{Group: apiextensions.GroupName, Version: "v1", Resource: "customresourcedefinitions"}

// crdStrategy validates definitions and holds them with the cleanup
// finalizer, so that deleting a definition first deletes its objects.
func crdStrategy() *Strategy {
	return &Strategy{
		HasStatus: true,
		PrepareForCreate: func(obj meta.Object) {
			crd := obj.(*apiextensions.CustomResourceDefinition)
			crd.Status = apiextensions.CustomResourceDefinitionStatus{StoredVersions: []string{}}
			crd.AddFinalizer(apiextensions.CleanupFinalizer)
		},
		Validate: func(obj meta.Object) []meta.StatusCause {
			return causes(validateCRD(obj.(*apiextensions.CustomResourceDefinition), nil))
		},
		ValidateUpdate: func(obj, old meta.Object) []meta.StatusCause {
			return causes(validateCRD(obj.(*apiextensions.CustomResourceDefinition), old.(*apiextensions.CustomResourceDefinition)))
		},
	}
}

// validateCRD checks a definition as Kubernetes does (the parts Longshore
// serves).
func validateCRD(crd, old *apiextensions.CustomResourceDefinition) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	s := &crd.Spec
	if s.Group == "" {
		errs = append(errs, field.Required(spec.Child("group"), ""))
	} else if len(validation.IsDNS1123Subdomain(s.Group)) > 0 || !strings.Contains(s.Group, ".") {
		errs = append(errs, field.Invalid(spec.Child("group"), s.Group, "should be a domain with at least one dot"))
	}
	names := spec.Child("names")
	if s.Names.Plural == "" {
		errs = append(errs, field.Required(names.Child("plural"), ""))
	} else if msgs := validation.IsDNS1035Label(s.Names.Plural); len(msgs) > 0 {
		errs = append(errs, field.Invalid(names.Child("plural"), s.Names.Plural, strings.Join(msgs, "; ")))
	}
	if s.Names.Kind == "" {
		errs = append(errs, field.Required(names.Child("kind"), ""))
	}
	if s.Names.Singular != "" && len(validation.IsDNS1035Label(s.Names.Singular)) > 0 {
		errs = append(errs, field.Invalid(names.Child("singular"), s.Names.Singular, "must be a DNS-1035 label"))
	}
	if want := s.Names.Plural + "." + s.Group; crd.Name != want {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), crd.Name, fmt.Sprintf("must be spec.names.plural+\".\"+spec.group (%s)", want)))
	}
	if s.Scope != apiextensions.ClusterScoped && s.Scope != apiextensions.NamespaceScoped {
		errs = append(errs, field.NotSupported(spec.Child("scope"), s.Scope, []apiextensions.ResourceScope{apiextensions.ClusterScoped, apiextensions.NamespaceScoped}))
	}
	if s.Conversion != nil && s.Conversion.Strategy != "" && s.Conversion.Strategy != "None" {
		errs = append(errs, field.NotSupported(spec.Child("conversion", "strategy"), s.Conversion.Strategy, []string{"None"}))
	}
	storageVersions := 0
	seen := map[string]bool{}
	for i, v := range s.Versions {
		p := spec.Child("versions").Index(i)
		if v.Name == "" || len(validation.IsDNS1035Label(v.Name)) > 0 {
			errs = append(errs, field.Invalid(p.Child("name"), v.Name, "must be a DNS-1035 label"))
		}
		if seen[v.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), v.Name))
		}
		seen[v.Name] = true
		if v.Storage {
			storageVersions++
		}
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			if !s.PreserveUnknownFields {
				errs = append(errs, field.Required(p.Child("schema", "openAPIV3Schema"), "schemas are required"))
			}
		} else {
			errs = append(errs, validateStructural(p.Child("schema", "openAPIV3Schema"), v.Schema.OpenAPIV3Schema, true)...)
		}
		if sc := subresourcesOf(&v); sc != nil && sc.Scale != nil {
			if !strings.HasPrefix(sc.Scale.SpecReplicasPath, ".spec.") {
				errs = append(errs, field.Invalid(p.Child("subresources", "scale", "specReplicasPath"), sc.Scale.SpecReplicasPath, "should be a json path under .spec"))
			}
			if !strings.HasPrefix(sc.Scale.StatusReplicasPath, ".status.") {
				errs = append(errs, field.Invalid(p.Child("subresources", "scale", "statusReplicasPath"), sc.Scale.StatusReplicasPath, "should be a json path under .status"))
			}
		}
	}
	if len(s.Versions) == 0 {
		errs = append(errs, field.Required(spec.Child("versions"), "must have exactly one version marked as storage version"))
	} else if storageVersions != 1 {
		errs = append(errs, field.Invalid(spec.Child("versions"), storageVersions, "must have exactly one version marked as storage version"))
	}
	if old != nil {
		if old.Spec.Group != s.Group {
			errs = append(errs, field.Invalid(spec.Child("group"), s.Group, "field is immutable"))
		}
		if old.Spec.Names.Plural != s.Names.Plural {
			errs = append(errs, field.Invalid(names.Child("plural"), s.Names.Plural, "field is immutable"))
		}
		if old.Spec.Scope != s.Scope {
			errs = append(errs, field.Invalid(spec.Child("scope"), s.Scope, "field is immutable"))
		}
	}
	return errs
}

// validateStructural checks that a schema is structural: every node has a
// type (or preserves unknown fields / is int-or-string), and patterns
// compile.
func validateStructural(p *field.Path, s *apiextensions.JSONSchemaProps, root bool) field.ErrorList {
	var errs field.ErrorList
	if s.Type == "" && !s.XIntOrString && !preserves(s) && !root {
		errs = append(errs, field.Required(p.Child("type"), "must not be empty for specified object fields"))
	}
	switch s.Type {
	case "", "object", "array", "string", "integer", "number", "boolean":
	default:
		errs = append(errs, field.NotSupported(p.Child("type"), s.Type, []string{"object", "array", "string", "integer", "number", "boolean"}))
	}
	if s.Pattern != "" {
		if _, err := compilePattern(s.Pattern); err != nil {
			errs = append(errs, field.Invalid(p.Child("pattern"), s.Pattern, err.Error()))
		}
	}
	if s.Type == "array" && (s.Items == nil || (s.Items.Schema == nil && len(s.Items.JSONSchemas) == 0)) {
		errs = append(errs, field.Required(p.Child("items"), "must be specified for arrays"))
	}
	for k, ps := range s.Properties {
		ps := ps
		errs = append(errs, validateStructural(p.Child("properties").Key(k), &ps, false)...)
	}
	if s.Items != nil && s.Items.Schema != nil {
		errs = append(errs, validateStructural(p.Child("items"), s.Items.Schema, false)...)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		errs = append(errs, validateStructural(p.Child("additionalProperties"), s.AdditionalProperties.Schema, false)...)
	}
	return errs
}

func subresourcesOf(v *apiextensions.CustomResourceDefinitionVersion) *apiextensions.CustomResourceSubresources {
	return v.Subresources
}

// storageVersion returns the version marked for storage.
func storageVersion(crd *apiextensions.CustomResourceDefinition) *apiextensions.CustomResourceDefinitionVersion {
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Storage {
			return &crd.Spec.Versions[i]
		}
	}
	return nil
}

// customResource is what the server keeps of an installed definition.
type customResource struct {
	gvr     meta.GroupVersionResource
	version string // resourceVersion of the definition installed
}

// runCRDs installs every definition, then follows changes to them until
// ctx is done. Definitions present at start are served before the server
// reports ready.
func (s *Server) runCRDs(ctx context.Context) error {
	res, ok := s.lookup(crdGVR)
	if !ok {
		return errors.New("customresourcedefinitions are not served")
	}
	list, err := res.store.List(ctx, res.prefix, storage.ListOptions{})
	if err != nil {
		return err
	}
	installed := map[string]*customResource{}
	for _, e := range list.Items {
		crd, err := objectOf[*apiextensions.CustomResourceDefinition](e)
		if err != nil {
			return err
		}
		s.syncCRD(ctx, res, crd, installed)
	}
	w, err := res.store.Watch(ctx, res.prefix, storage.WatchOptions{ResourceVersion: strconv.FormatInt(list.Revision, 10)})
	if err != nil {
		return err
	}
	go func() {
		for {
			ev, err := w.Next(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				// Fell out of the window: resynchronise from a fresh list.
				s.log.Warn("custom resource definition watch restarting", "err", err)
				time.Sleep(time.Second)
				if l, lerr := res.store.List(ctx, res.prefix, storage.ListOptions{}); lerr == nil {
					for _, e := range l.Items {
						if crd, err := objectOf[*apiextensions.CustomResourceDefinition](e); err == nil {
							s.syncCRD(ctx, res, crd, installed)
						} else {
							s.log.Error("custom resource definition", "key", e.Key, "err", err)
						}
					}
					w, err = res.store.Watch(ctx, res.prefix, storage.WatchOptions{ResourceVersion: strconv.FormatInt(l.Revision, 10)})
					if err != nil {
						return
					}
				}
				continue
			}
			crd, err := objectOf[*apiextensions.CustomResourceDefinition](ev.Object)
			if err != nil {
				s.log.Error("custom resource definition", "key", ev.Object.Key, "err", err)
				continue
			}
			if ev.Type == meta.Deleted {
				if cr, ok := installed[crd.Name]; ok {
					s.removeResource(cr.gvr)
					delete(installed, crd.Name)
				}
				continue
			}
			s.syncCRD(ctx, res, crd, installed)
		}
	}()
	return nil
}

// syncCRD serves, re-serves or retires the resource of one definition.
func (s *Server) syncCRD(ctx context.Context, res *resource, crd *apiextensions.CustomResourceDefinition, installed map[string]*customResource) {
	if crd.DeletionTimestamp != nil {
		if cr, ok := installed[crd.Name]; ok {
			s.removeResource(cr.gvr)
			delete(installed, crd.Name)
		}
		s.cleanupCRD(ctx, res, crd)
		return
	}
	v := storageVersion(crd)
	if v == nil {
		return
	}
	gvr := meta.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Spec.Names.Plural}
	if cr, ok := installed[crd.Name]; ok {
		if cr.gvr == gvr && specUnchanged(cr, crd) {
			return
		}
		s.removeResource(cr.gvr)
		delete(installed, crd.Name)
	}
	gvk := meta.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
	if other, exists := s.lookup(gvr); exists {
		s.setCRDConditions(ctx, res, crd, false, fmt.Sprintf("%s is already served by %s", gvr.Resource, other.gvk))
		return
	}
	if other, exists := s.lookupKind(gvk); exists {
		s.setCRDConditions(ctx, res, crd, false, fmt.Sprintf("kind %s is already served as %s", gvk.Kind, other.gvr.Resource))
		return
	}
	kind, strat, printer, scale := customKind(crd, v)
	if err := s.addResource(ctx, gvk, gvr, crd.Spec.Scope == apiextensions.NamespaceScoped, kind, strat); err != nil {
		s.log.Error("serving custom resource", "crd", crd.Name, "err", err)
		s.setCRDConditions(ctx, res, crd, false, err.Error())
		return
	}
	if r, ok := s.lookup(gvr); ok {
		r.printer, r.crdScale = printer, scale
		r.scale = scale != nil
		r.categories = crd.Spec.Names.Categories
	}
	installed[crd.Name] = &customResource{gvr: gvr, version: crdSpecKey(crd)}
	s.setCRDConditions(ctx, res, crd, true, "")
}

func crdSpecKey(crd *apiextensions.CustomResourceDefinition) string {
	b, _ := json.Marshal(crd.Spec)
	return string(b)
}

func specUnchanged(cr *customResource, crd *apiextensions.CustomResourceDefinition) bool {
	return cr.version == crdSpecKey(crd)
}

// setCRDConditions records whether the definition's names were accepted
// and the resource is served.
func (s *Server) setCRDConditions(ctx context.Context, res *resource, crd *apiextensions.CustomResourceDefinition, ok bool, msg string) {
	status := meta.ConditionTrue
	reason, estReason := "NoConflicts", "InitialNamesAccepted"
	if !ok {
		status, reason, estReason = meta.ConditionFalse, "NameConflict", "NotAccepted"
	}
	_, _, err := s.updateObject(ctx, res, "", crd.Name, func(cur meta.Object) (meta.Object, error) {
		c := cur.(*apiextensions.CustomResourceDefinition)
		now := meta.Now()
		set := func(t string, st meta.ConditionStatus, reason, message string) {
			for i := range c.Status.Conditions {
				if c.Status.Conditions[i].Type == t {
					if c.Status.Conditions[i].Status != st {
						c.Status.Conditions[i].LastTransitionTime = now
					}
					c.Status.Conditions[i].Status, c.Status.Conditions[i].Reason, c.Status.Conditions[i].Message = st, reason, message
					return
				}
			}
			c.Status.Conditions = append(c.Status.Conditions, apiextensions.CustomResourceDefinitionCondition{
				Type: t, Status: st, Reason: reason, Message: message, LastTransitionTime: now})
		}
		set(apiextensions.NamesAccepted, status, reason, msg)
		set(apiextensions.Established, status, estReason, "the initial names have been accepted")
		if ok {
			c.Status.AcceptedNames = c.Spec.Names
			if c.Status.AcceptedNames.ListKind == "" {
				c.Status.AcceptedNames.ListKind = c.Spec.Names.Kind + "List"
			}
			if c.Status.AcceptedNames.Singular == "" {
				c.Status.AcceptedNames.Singular = strings.ToLower(c.Spec.Names.Kind)
			}
			if v := storageVersion(c); v != nil && !hasStr(c.Status.StoredVersions, v.Name) {
				c.Status.StoredVersions = append(c.Status.StoredVersions, v.Name)
			}
		}
		return c, nil
	}, updateParams{subresource: "status"})
	if err != nil && !isNotFound(err) {
		s.log.Warn("updating custom resource definition status", "crd", crd.Name, "err", err)
	}
}

func hasStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isNotFound(err error) bool {
	return errors.Is(err, store.ErrNotFound) || strings.Contains(err.Error(), "not found")
}

// cleanupCRD deletes every object of a deleted definition, then releases
// the definition by removing the cleanup finalizer.
func (s *Server) cleanupCRD(ctx context.Context, res *resource, crd *apiextensions.CustomResourceDefinition) {
	if !crd.HasFinalizer(apiextensions.CleanupFinalizer) {
		return
	}
	prefix := "/registry/" + crd.Spec.Group + "/" + crd.Spec.Names.Plural + "/"
	st := s.cacher.Store()
	for {
		l, err := st.List(ctx, prefix, store.ListOptions{Limit: 500})
		if err != nil {
			s.log.Error("cleaning up custom resources", "crd", crd.Name, "err", err)
			return
		}
		for _, kv := range l.KVs {
			if _, _, err := st.Delete(ctx, kv.Key, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
				s.log.Error("deleting custom resource", "key", kv.Key, "err", err)
				return
			}
		}
		if l.Continue == "" && len(l.KVs) < 500 {
			break
		}
	}
	_, _, err := s.updateObject(ctx, res, "", crd.Name, func(cur meta.Object) (meta.Object, error) {
		cur.GetObjectMeta().RemoveFinalizer(apiextensions.CleanupFinalizer)
		return cur, nil
	}, updateParams{metadataOnly: true})
	if err != nil && !isNotFound(err) {
		s.log.Warn("releasing custom resource definition", "crd", crd.Name, "err", err)
	}
}

// customKind builds the handlers' view of a custom resource version.
func customKind(crd *apiextensions.CustomResourceDefinition, v *apiextensions.CustomResourceDefinitionVersion) (*kindFuncs, *Strategy, *Printer, *apiextensions.CustomResourceSubresourceScale) {
	apiVersion := crd.Spec.Group + "/" + v.Name
	kindName := crd.Spec.Names.Kind
	var schema *apiextensions.JSONSchemaProps
	if v.Schema != nil {
		schema = v.Schema.OpenAPIV3Schema
	}
	namespaced := crd.Spec.Scope == apiextensions.NamespaceScoped
	// The schema of the content: the root without apiVersion, kind and
	// metadata, which are handled as for every object.
	var content *apiextensions.JSONSchemaProps
	if schema != nil {
		c := *schema
		c.Properties = map[string]apiextensions.JSONSchemaProps{}
		for k, p := range schema.Properties {
			if k != "apiVersion" && k != "kind" && k != "metadata" {
				c.Properties[k] = p
			}
		}
		c.Required = nil
		for _, r := range schema.Required {
			if r != "apiVersion" && r != "kind" && r != "metadata" {
				c.Required = append(c.Required, r)
			}
		}
		c.Type = "object"
		content = &c
	}
	kind := &kindFuncs{
		New: func() meta.Object {
			return &unstructured.Object{TypeMeta: meta.TypeMeta{APIVersion: apiVersion, Kind: kindName}}
		},
		Default: func(o meta.Object) {
			u, ok := o.(*unstructured.Object)
			if !ok || content == nil || crd.Spec.PreserveUnknownFields {
				return
			}
			var dropped []string
			prune("", u.UnstructuredContent(), content, &dropped)
			applySchemaDefaults(u.Content, content)
		},
		Unknown: func(o meta.Object) []string {
			u, ok := o.(*unstructured.Object)
			if !ok || content == nil || crd.Spec.PreserveUnknownFields {
				return nil
			}
			var unknown []string
			prune("", u.UnstructuredContent(), content, &unknown)
			return unknown
		},
		Fields: func(o meta.Object) fields.Set {
			return fields.Set(meta.ObjectMetaFields(o.GetObjectMeta(), namespaced))
		},
		ShortNames: crd.Spec.Names.ShortNames,
		Categories: crd.Spec.Names.Categories,
	}
	validate := func(o meta.Object) field.ErrorList {
		u := o.(*unstructured.Object)
		var errs field.ErrorList
		for _, msg := range validation.IsDNS1123Subdomain(u.Name) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), u.Name, msg))
		}
		if u.Name == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "name"), "name or generateName is required"))
		}
		if content != nil {
			errs = append(errs, validateSchema(nil, u.UnstructuredContent(), content)...)
		}
		return errs
	}
	strat := &Strategy{
		HasStatus:      v.Subresources != nil && v.Subresources.Status != nil,
		Validate:       func(o meta.Object) []meta.StatusCause { return causes(validate(o)) },
		ValidateUpdate: func(o, _ meta.Object) []meta.StatusCause { return causes(validate(o)) },
	}
	var scale *apiextensions.CustomResourceSubresourceScale
	if v.Subresources != nil {
		scale = v.Subresources.Scale
	}
	return kind, strat, customPrinter(v.AdditionalPrinterColumns), scale
}

// customPrinter renders additionalPrinterColumns (simple JSON paths such as
// .spec.replicas or .status.conditions[0].type), then Age.
func customPrinter(cols []apiextensions.CustomResourceColumnDefinition) *Printer {
	p := &Printer{Columns: []TableColumn{nameColumn}}
	for _, c := range cols {
		p.Columns = append(p.Columns, TableColumn{Name: c.Name, Type: c.Type, Format: c.Format, Description: c.Description, Priority: c.Priority})
	}
	p.Columns = append(p.Columns, ageColumn)
	p.Cells = func(obj meta.Object, now time.Time) []any {
		u, _ := obj.(*unstructured.Object)
		cells := make([]any, 0, len(cols)+2)
		cells = append(cells, obj.GetObjectMeta().Name)
		for _, c := range cols {
			var v any
			if u != nil {
				v, _ = jsonPathGet(u, c.JSONPath)
			}
			if c.Type == "date" {
				if s, ok := v.(string); ok {
					if t, err := time.Parse(time.RFC3339, s); err == nil {
						v = HumanDuration(now.Sub(t))
					}
				}
			}
			if v == nil {
				v = "<none>"
			}
			cells = append(cells, v)
		}
		return append(cells, Age(obj.GetObjectMeta().CreationTimestamp, now))
	}
	return p
}

// jsonPathGet evaluates a simple JSON path (.a.b[2].c) on an object.
func jsonPathGet(u *unstructured.Object, path string) (any, bool) {
	path = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(path, "{"), "}"), ".")
	if path == "" {
		return nil, false
	}
	var cur any
	for i, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if b := strings.IndexByte(part, '['); b >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[b+1 : len(part)-1])
			if err != nil {
				return nil, false
			}
			name, idx = part[:b], n
		}
		if i == 0 {
			switch name {
			case "metadata":
				raw, _ := json.Marshal(u.ObjectMeta)
				var m map[string]any
				json.Unmarshal(raw, &m)
				cur = m
			case "apiVersion":
				cur = u.APIVersion
			case "kind":
				cur = u.Kind
			default:
				cur = u.Content[name]
			}
		} else {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			cur = m[name]
		}
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return nil, false
			}
			cur = l[idx]
		}
	}
	return cur, cur != nil
}
