package apiserver

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
)

// kubeletPaths maps pod subresources to the kubelet's endpoints.
var kubeletPaths = map[string]string{
	"log":         "/containerLogs",
	"exec":        "/exec",
	"attach":      "/attach",
	"portforward": "/portForward",
}

// proxyToKubelet forwards pods/log, pods/exec, pods/attach and
// pods/portforward to the kubelet of the pod's node, over HTTPS with the
// server's kubelet client credentials (Config.KubeletTLS). Streaming
// upgrades (exec's SPDY or WebSocket) pass through the reverse proxy.
func (s *Server) proxyToKubelet(w http.ResponseWriter, r *http.Request, info *RequestInfo, res *resource) error {
	switch {
	case info.Subresource == "log" && info.Verb != "get":
		return apierror.NewMethodNotAllowed("only GET is supported on pods/log")
	case info.Subresource != "log" && info.Verb != "get" && info.Verb != "create":
		return apierror.NewMethodNotAllowed(fmt.Sprintf("%s is not supported on pods/%s", info.Verb, info.Subresource))
	}
	e, err := res.store.Get(r.Context(), res.key(info.Namespace, info.Name), "")
	if err != nil {
		return s.storageError(err, res, info.Name)
	}
	pod, err := objectOf[*core.Pod](e)
	if err != nil {
		return err
	}
	if pod.Spec.NodeName == "" {
		return apierror.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", info.Name))
	}
	container := r.URL.Query().Get("container")
	if container == "" {
		if len(pod.Spec.Containers) != 1 {
			names := make([]string, 0, len(pod.Spec.Containers))
			for _, c := range pod.Spec.Containers {
				names = append(names, c.Name)
			}
			return apierror.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %v", info.Name, names))
		}
		container = pod.Spec.Containers[0].Name
	}
	ne, err := s.getObject(r.Context(), meta.GroupVersionResource{Version: "v1", Resource: "nodes"}, "", pod.Spec.NodeName)
	if err != nil {
		return err
	}
	node, err := objectOf[*core.Node](ne)
	if err != nil {
		return err
	}
	host, port, err := kubeletAddress(node)
	if err != nil {
		return apierror.NewServiceUnavailable(err.Error())
	}
	target := &url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(port))}
	path := fmt.Sprintf("%s/%s/%s/%s", kubeletPaths[info.Subresource], info.Namespace, info.Name, container)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.URL.Path = target.Scheme, target.Host, path
			pr.Out.URL.RawPath = ""
			pr.Out.Host = target.Host
			// The kubelet authenticates the API server, not the end user.
			pr.Out.Header.Del("Authorization")
		},
		Transport:     &http.Transport{TLSClientConfig: s.cfg.KubeletTLS, Proxy: nil},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, r, apierror.NewServiceUnavailable(fmt.Sprintf("error talking to the kubelet of node %s: %v", pod.Spec.NodeName, err)))
		},
	}
	proxy.ServeHTTP(w, r)
	return nil
}

// kubeletAddress picks the node's InternalIP (else any address) and its
// kubelet port (default 10250).
func kubeletAddress(n *core.Node) (string, int, error) {
	port := int(n.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port == 0 {
		port = 10250
	}
	for _, want := range []core.NodeAddressType{core.NodeInternalIP, core.NodeHostName, core.NodeExternalIP} {
		for _, a := range n.Status.Addresses {
			if a.Type == want && a.Address != "" {
				return a.Address, port, nil
			}
		}
	}
	return "", 0, fmt.Errorf("node %s reports no address", n.Name)
}
