package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// The OpenAPI documents served are the part of Kubernetes' that clients
// depend on: kubectl fetches /openapi/v2 (as protobuf) before it creates or
// applies anything, and reads /openapi/v3 to learn that the server
// validates fields itself (the fieldValidation parameter), in which case it
// skips client-side schema validation. Schemas of the kinds are not
// published; kubectl then falls back to its compiled-in types for
// strategic merge patches, which use the same merge keys as this server.

const openAPIV2Proto = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

// openAPIV2 returns a minimal Swagger 2.0 document, as the protobuf of
// gnostic's openapi_v2.Document (swagger = 1, info = 2 {title = 1,
// version = 2}) or as JSON.
func (s *Server) openAPIV2(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "protobuf") {
		var info []byte
		info = protowire.AppendTag(info, 1, protowire.BytesType)
		info = protowire.AppendString(info, "Longshore")
		info = protowire.AppendTag(info, 2, protowire.BytesType)
		info = protowire.AppendString(info, Version.GitVersion)
		var doc []byte
		doc = protowire.AppendTag(doc, 1, protowire.BytesType)
		doc = protowire.AppendString(doc, "2.0")
		doc = protowire.AppendTag(doc, 2, protowire.BytesType)
		doc = protowire.AppendBytes(doc, info)
		w.Header().Set("Content-Type", openAPIV2Proto)
		w.Write(doc)
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{
		"swagger": "2.0",
		"info":    map[string]string{"title": "Longshore", "version": Version.GitVersion},
		"paths":   map[string]any{},
	})
}

// openAPIV3Root lists one document per group version.
func (s *Server) openAPIV3Root(w http.ResponseWriter, r *http.Request) {
	paths := map[string]any{}
	for _, gv := range s.groupVersions() {
		doc, _ := json.Marshal(s.openAPIV3Doc(gv))
		sum := sha256.Sum256(doc)
		paths[gv] = map[string]string{"serverRelativeURL": "/openapi/v3/" + gv + "?hash=" + strings.ToUpper(hex.EncodeToString(sum[:]))}
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"paths": paths})
}

// groupVersions returns "api/v1", "apis/apps/v1", ... for what is served.
func (s *Server) groupVersions() []string {
	seen := map[string]bool{}
	var out []string
	for _, res := range s.sortedResources() {
		gv := "api/" + res.gvr.Version
		if res.gvr.Group != "" {
			gv = "apis/" + res.gvr.Group + "/" + res.gvr.Version
		}
		if !seen[gv] {
			seen[gv] = true
			out = append(out, gv)
		}
	}
	return out
}

// openAPIV3Doc describes the paths of one group version with the
// parameters and the x-kubernetes-group-version-kind extension clients look
// for.
func (s *Server) openAPIV3Doc(gv string) map[string]any {
	paths := map[string]any{}
	param := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "description": desc, "schema": map[string]string{"type": "string"}, "uniqueItems": true}
	}
	writeParams := []any{
		param("dryRun", "When present, indicates that modifications should not be persisted."),
		param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
		param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict."),
	}
	for _, res := range s.sortedResources() {
		prefix := "api/" + res.gvr.Version
		if res.gvr.Group != "" {
			prefix = "apis/" + res.gvr.Group + "/" + res.gvr.Version
		}
		if prefix != gv {
			continue
		}
		gvk := map[string]string{"group": res.gvk.Group, "version": res.gvk.Version, "kind": res.gvk.Kind}
		op := func(action string) map[string]any {
			return map[string]any{
				"operationId":                     action + res.gvk.Kind,
				"parameters":                      writeParams,
				"x-kubernetes-action":             action,
				"x-kubernetes-group-version-kind": gvk,
				"responses":                       map[string]any{"200": map[string]string{"description": "OK"}},
			}
		}
		base := "/" + gv
		if res.namespaced {
			base += "/namespaces/{namespace}"
		}
		base += "/" + res.gvr.Resource
		paths[base] = map[string]any{"post": op("post"), "get": map[string]any{"x-kubernetes-action": "list", "x-kubernetes-group-version-kind": gvk, "responses": map[string]any{"200": map[string]string{"description": "OK"}}}}
		paths[base+"/{name}"] = map[string]any{"put": op("put"), "patch": op("patch"), "get": map[string]any{"x-kubernetes-action": "get", "x-kubernetes-group-version-kind": gvk, "responses": map[string]any{"200": map[string]string{"description": "OK"}}}}
	}
	return map[string]any{
		"openapi":    "3.0.0",
		"info":       map[string]string{"title": "Longshore", "version": Version.GitVersion},
		"paths":      paths,
		"components": map[string]any{},
	}
}

// serveOpenAPI serves /openapi/v2 and /openapi/v3[/...].
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request, path string) bool {
	switch {
	case path == "/openapi/v2":
		s.openAPIV2(w, r)
	case path == "/openapi/v3":
		s.openAPIV3Root(w, r)
	case strings.HasPrefix(path, "/openapi/v3/"):
		gv := strings.TrimPrefix(path, "/openapi/v3/")
		for _, known := range s.groupVersions() {
			if known == gv {
				writeJSON(w, r, http.StatusOK, s.openAPIV3Doc(gv))
				return true
			}
		}
		return false
	default:
		return false
	}
	return true
}
