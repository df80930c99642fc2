package apiserver

import (
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestParseRequestInfo(t *testing.T) {
	tests := []struct {
		method, url string
		want        RequestInfo
		wantErr     bool
	}{
		{"GET", "/api/v1/namespaces/default/pods", RequestInfo{IsResourceRequest: true, Verb: "list", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods"}, false},
		{"GET", "/api/v1/namespaces/default/pods?watch=true", RequestInfo{IsResourceRequest: true, Verb: "watch", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods"}, false},
		{"GET", "/api/v1/watch/namespaces/default/pods", RequestInfo{IsResourceRequest: true, Verb: "watch", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods"}, false},
		{"GET", "/api/v1/namespaces/default/pods/web", RequestInfo{IsResourceRequest: true, Verb: "get", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods", Name: "web"}, false},
		{"PUT", "/api/v1/namespaces/default/pods/web/status", RequestInfo{IsResourceRequest: true, Verb: "update", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods", Name: "web", Subresource: "status"}, false},
		{"POST", "/api/v1/namespaces/default/pods/web/binding", RequestInfo{IsResourceRequest: true, Verb: "create", APIPrefix: "api", APIVersion: "v1", Namespace: "default", Resource: "pods", Name: "web", Subresource: "binding"}, false},
		{"DELETE", "/apis/apps/v1/namespaces/ns1/deployments", RequestInfo{IsResourceRequest: true, Verb: "deletecollection", APIPrefix: "apis", APIGroup: "apps", APIVersion: "v1", Namespace: "ns1", Resource: "deployments"}, false},
		{"PATCH", "/apis/apps/v1/namespaces/ns1/deployments/d/scale", RequestInfo{IsResourceRequest: true, Verb: "patch", APIPrefix: "apis", APIGroup: "apps", APIVersion: "v1", Namespace: "ns1", Resource: "deployments", Name: "d", Subresource: "scale"}, false},
		{"GET", "/api/v1/nodes", RequestInfo{IsResourceRequest: true, Verb: "list", APIPrefix: "api", APIVersion: "v1", Resource: "nodes"}, false},
		{"GET", "/api/v1/pods", RequestInfo{IsResourceRequest: true, Verb: "list", APIPrefix: "api", APIVersion: "v1", Resource: "pods"}, false},
		{"GET", "/api/v1/namespaces", RequestInfo{IsResourceRequest: true, Verb: "list", APIPrefix: "api", APIVersion: "v1", Resource: "namespaces"}, false},
		{"GET", "/api/v1/namespaces/kube-system", RequestInfo{IsResourceRequest: true, Verb: "get", APIPrefix: "api", APIVersion: "v1", Resource: "namespaces", Name: "kube-system"}, false},
		{"PUT", "/api/v1/namespaces/kube-system/status", RequestInfo{IsResourceRequest: true, Verb: "update", APIPrefix: "api", APIVersion: "v1", Resource: "namespaces", Name: "kube-system", Subresource: "status"}, false},
		{"PUT", "/api/v1/namespaces/kube-system/finalize", RequestInfo{IsResourceRequest: true, Verb: "update", APIPrefix: "api", APIVersion: "v1", Resource: "namespaces", Name: "kube-system", Subresource: "finalize"}, false},
		{"GET", "/apis", RequestInfo{Verb: "get"}, false},
		{"GET", "/apis/apps", RequestInfo{Verb: "get", APIPrefix: "apis"}, false},
		{"GET", "/apis/apps/v1", RequestInfo{Verb: "get", APIPrefix: "apis", APIGroup: "apps", APIVersion: "v1"}, false},
		{"GET", "/healthz", RequestInfo{Verb: "get"}, false},
		{"OPTIONS", "/api/v1/pods", RequestInfo{}, true},
		{"GET", "/api/v1/namespaces/a/pods/b/c/d", RequestInfo{}, true},
		{"GET", "/api/v1/watch", RequestInfo{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, nil)
			got, err := ParseRequestInfo(r)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Parts = nil
			tc.want.Path = r.URL.Path
			if !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("\n got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}
