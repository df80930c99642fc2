package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/storage"
	"sigs.k8s.io/yaml"
)

// wantsYAML reports whether the client asked for YAML rather than JSON.
func wantsYAML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		switch mediaType(part) {
		case "application/json", "*/*", "application/*":
			return false
		case "application/yaml", "application/x-yaml", "text/yaml":
			return true
		}
	}
	return false
}

// wantsTable reports whether the client asked for a meta.k8s.io Table (as
// kubectl get does).
func wantsTable(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "as=Table") && strings.Contains(part, "g=meta.k8s.io") {
			return true
		}
		if mt := mediaType(part); mt == "application/json" && !strings.Contains(part, "as=") {
			return false
		}
	}
	return false
}

func writeRaw(w http.ResponseWriter, r *http.Request, code int, data []byte) {
	if wantsYAML(r) {
		if y, err := yaml.JSONToYAML(data); err == nil {
			w.Header().Set("Content-Type", "application/yaml")
			w.WriteHeader(code)
			w.Write(y)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(data)
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeError(w, r, apierror.NewInternal(err))
		return
	}
	writeRaw(w, r, code, data)
}

// writeEntry writes one object (or its Table row).
func writeEntry(w http.ResponseWriter, r *http.Request, code int, res *resource, e *storage.Entry) error {
	if wantsTable(r) {
		lm := &meta.ListMeta{}
		if e.ModRevision > 0 { // 0: a dry run, which has no resourceVersion
			lm.ResourceVersion = strconv.FormatInt(e.ModRevision, 10)
		}
		t, err := tableFor(r, res, []*storage.Entry{e}, lm)
		if err != nil {
			return err
		}
		writeJSON(w, r, code, t)
		return nil
	}
	writeRaw(w, r, code, e.JSON)
	return nil
}

// writeList writes a list by splicing the cached JSON of each item, so a
// list of ten thousand objects costs a copy, not ten thousand encodings.
func writeList(w http.ResponseWriter, r *http.Request, res *resource, out *storage.ListResult) error {
	lm := meta.ListMeta{ResourceVersion: strconv.FormatInt(out.Revision, 10), Continue: out.Continue, RemainingItemCount: out.Remaining}
	if wantsTable(r) {
		t, err := tableFor(r, res, out.Items, &lm)
		if err != nil {
			return err
		}
		writeJSON(w, r, http.StatusOK, t)
		return nil
	}
	metaJSON, err := json.Marshal(lm)
	if err != nil {
		return apierror.NewInternal(err)
	}
	apiVersion, kind := res.listGVK.ToAPIVersionAndKind()
	head := fmt.Appendf(nil, `{"kind":%q,"apiVersion":%q,"metadata":`, kind, apiVersion)
	head = append(head, metaJSON...)
	head = append(head, `,"items":[`...)
	if wantsYAML(r) {
		buf := head
		for i, e := range out.Items {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, e.JSON...)
		}
		writeRaw(w, r, http.StatusOK, append(buf, "]}"...))
		return nil
	}
	// Stream the items through one small buffer rather than building the
	// whole body: a list of ten thousand pods is tens of megabytes, and
	// allocating it on every list costs garbage collection work and delays
	// the first byte.
	n := len(head) + len("]}")
	for i, e := range out.Items {
		n += len(e.JSON)
		if i > 0 {
			n++
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(http.StatusOK)
	const chunk = 256 << 10
	buf := make([]byte, 0, min(n, chunk))
	buf = append(buf, head...)
	for i, e := range out.Items {
		if i > 0 {
			buf = append(buf, ',')
		}
		if len(buf)+len(e.JSON) > chunk && len(buf) > 0 {
			if _, err := w.Write(buf); err != nil {
				return nil // the client went away; nothing more to say
			}
			buf = buf[:0]
		}
		buf = append(buf, e.JSON...)
	}
	buf = append(buf, "]}"...)
	w.Write(buf)
	return nil
}

// writeError writes err as a Status object with its code.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apierror.Error
	if !errors.As(err, &ae) {
		ae = apierror.NewInternal(err)
	}
	if ae.Status.Details != nil && ae.Status.Details.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(ae.Status.Details.RetryAfterSeconds)))
	}
	writeJSON(w, r, int(ae.Status.Code), ae.Status)
}

// selectorPredicate filters by label and field selectors.
type selectorPredicate struct {
	labels labels.Selector
	fields fields.Selector
	kind   func(meta.Object) fields.Set
}

func (p *selectorPredicate) Matches(obj meta.Object) bool {
	if p.labels != nil && !p.labels.Matches(labels.Set(obj.GetObjectMeta().Labels)) {
		return false
	}
	if p.fields != nil && !p.fields.Matches(p.kind(obj)) {
		return false
	}
	return true
}

// MatchesAttrs is Matches on the Attrs the server registers with every
// resource (the labels, and the kind's Fields), for the objects the watch
// cache keeps as JSON only.
func (p *selectorPredicate) MatchesAttrs(a storage.Attrs) bool {
	if p.labels != nil && !p.labels.Matches(a.Labels) {
		return false
	}
	if p.fields != nil && !p.fields.Matches(a.Fields) {
		return false
	}
	return true
}

// predicate builds the storage predicate of a request's selectors, or nil
// when there are none. Field selectors may only name fields the kind
// supports, as Kubernetes enforces.
func (s *Server) predicate(res *resource, labelSel, fieldSel string) (storage.Predicate, error) {
	p := &selectorPredicate{kind: res.kind.Fields}
	if labelSel != "" {
		sel, err := labels.Parse(labelSel)
		if err != nil {
			return nil, apierror.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
		if !sel.Empty() {
			p.labels = sel
		}
	}
	if fieldSel != "" {
		sel, err := fields.Parse(fieldSel)
		if err != nil {
			return nil, apierror.NewBadRequest(fmt.Sprintf("invalid field selector: %v", err))
		}
		supported := res.kind.Fields(res.kind.New())
		for _, req := range sel.Requirements() {
			if _, ok := supported[req.Field]; !ok {
				return nil, apierror.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
			}
		}
		if !sel.Empty() {
			p.fields = sel
		}
	}
	if p.labels == nil && p.fields == nil {
		return nil, nil
	}
	return p, nil
}
