package apiserver

import (
	"fmt"
	"net/http"
	"strings"
)

// RequestInfo is what a request URL and method mean in Kubernetes' terms.
// Authorization, admission, metrics and the handlers all read it.
type RequestInfo struct {
	// IsResourceRequest is false for /healthz, /version, discovery roots...
	IsResourceRequest bool
	// Path is the URL path.
	Path string
	// Verb is get, list, watch, create, update, patch, delete,
	// deletecollection for resource requests; the lower-case HTTP method
	// otherwise.
	Verb string
	// APIPrefix is "api" or "apis".
	APIPrefix   string
	APIGroup    string
	APIVersion  string
	Namespace   string
	Resource    string
	Subresource string
	Name        string
	// Parts are the path segments after the group version.
	Parts []string
}

// namespaceSubresources are the subresources of a Namespace object that
// are addressed as /namespaces/{name}/{sub} rather than as a namespaced
// collection.
var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

// ParseRequestInfo reads r the way Kubernetes' request-info factory does:
//
//	/api/v1/namespaces/{ns}/{resource}/{name}/{subresource}
//	/apis/{group}/{version}/{resource}/{name}
//
// and maps the HTTP method to a verb (GET on a collection is list, or watch
// with ?watch=true; DELETE on a collection is deletecollection).
func ParseRequestInfo(r *http.Request) (*RequestInfo, error) {
	info := &RequestInfo{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	parts := splitPath(r.URL.Path)
	if len(parts) < 2 || (parts[0] != "api" && parts[0] != "apis") {
		return info, nil
	}
	info.APIPrefix = parts[0]
	parts = parts[1:]
	if info.APIPrefix == "apis" {
		if len(parts) < 2 {
			return info, nil // /apis or /apis/{group}: discovery
		}
		info.APIGroup, parts = parts[0], parts[1:]
	}
	info.APIVersion, parts = parts[0], parts[1:]
	if len(parts) == 0 {
		return info, nil // /api/v1: discovery
	}
	info.IsResourceRequest = true
	// The legacy /watch/ prefix: /api/v1/watch/namespaces/{ns}/pods.
	if parts[0] == "watch" {
		info.Verb, parts = "watch", parts[1:]
		if len(parts) == 0 {
			return nil, fmt.Errorf("watch path without a resource: %s", r.URL.Path)
		}
	}
	switch info.Verb {
	case "get", "head", "watch":
		if info.Verb == "head" {
			info.Verb = "get"
		}
	case "post":
		info.Verb = "create"
	case "put":
		info.Verb = "update"
	case "patch":
	case "delete":
	default:
		return nil, fmt.Errorf("method %s is not supported", r.Method)
	}
	if parts[0] == "namespaces" {
		if len(parts) > 1 {
			info.Namespace = parts[1]
			// /namespaces/{ns}/{resource}...; but /namespaces/{name} and
			// /namespaces/{name}/status address the Namespace itself.
			if len(parts) > 2 && !namespaceSubresources[parts[2]] {
				parts = parts[2:]
			} else {
				info.Namespace = ""
				if len(parts) > 1 {
					info.Name = parts[1]
				}
			}
		}
	}
	info.Parts = parts
	switch {
	case len(parts) >= 3:
		info.Resource, info.Name, info.Subresource = parts[0], parts[1], parts[2]
		if len(parts) > 3 && info.Subresource != "proxy" {
			return nil, fmt.Errorf("too many path segments: %s", r.URL.Path)
		}
	case len(parts) == 2:
		info.Resource, info.Name = parts[0], parts[1]
	case len(parts) == 1:
		info.Resource = parts[0]
	}
	if info.Resource == "namespaces" && info.Namespace != "" {
		return nil, fmt.Errorf("invalid path: %s", r.URL.Path)
	}
	q := r.URL.Query()
	if info.Name == "" {
		switch info.Verb {
		case "get":
			info.Verb = "list"
			if isTrue(q.Get("watch")) {
				info.Verb = "watch"
			}
		case "delete":
			info.Verb = "deletecollection"
		case "watch":
			info.Verb = "watch"
		}
	} else if info.Verb == "get" && isTrue(q.Get("watch")) {
		// GET /pods/name?watch=true watches one object (Kubernetes maps it to
		// a field selector on metadata.name).
		info.Verb = "watch"
	}
	return info, nil
}

func isTrue(s string) bool { return s == "true" || s == "1" }

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
