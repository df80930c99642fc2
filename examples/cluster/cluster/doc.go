// Package cluster wires a whole Longshore cluster into one process: the API
// server on the durable bolt store (NewSecure, with its PKI, RBAC and an
// admin kubeconfig), the scheduler, the controller manager, the service
// proxy (nftables, or userspace on loopback when nf_tables is not usable)
// and a node, a kubelet on containerd or on the fake runtime.
//
// The command examples/cluster is a thin flag parser over Run; tests start
// the same cluster in process with Start and stop it by cancelling the
// context. The components stop first and the API server last, so that
// they can still reach it on the way out (the controller manager releases
// its leader lease, and a restarted one takes over at once; stopping took
// 10 s, the lease release's deadline, when the server stopped with them
// and 1.1 s since). Wait returns once every component has stopped, the
// proxy's rules are removed and the store is closed, so a second Start on
// the same data directory can follow: the objects are still there and the
// kubelet adopts the containers that kept running in a containerd given by
// socket.
//
// # The node's network namespace
//
// Options.NodeNetNS makes the node a network namespace of its own (a path
// such as /run/netns/NAME): the proxy programs its nf_tables rules there, and
// a containerd the cluster starts itself runs inside it (started from a
// thread locked into the namespace), so the CNI bridge, the pods' veths and
// the pod IPs exist only there. The cluster sets the namespace's loopback up,
// creates the pod bridge in advance and routes the service range over it
// (RouteServices), so connections to ClusterIPs made from inside the
// namespace meet the proxy's DNAT. A containerd given by socket must already
// run in that namespace (RouteServices prepares it the same way).
//
// The API server and the kubelet API stay on the host's loopback. containerd's
// streaming server (exec, attach, port-forward) listens on the namespace's
// loopback, out of the kubelet's reach, so the kubelet's runtime is wrapped
// to rewrite streaming URLs to a relay on the host's loopback that forwards
// each connection to the same address from inside the namespace. The
// kubelet's own connections to pods (httpGet and tcpSocket probes, hooks)
// are dialled from inside the namespace too (kubelet.Options.PodDialer).
//
// # More nodes
//
// AddNode joins one more kubelet, with its own containerd (and namespace), to
// a running cluster; Node.Stop ends its heartbeats while its containers keep
// running, as for a node cut off the network. With
// Options.NodeMonitorGracePeriod and Options.HeartbeatInterval short, the
// node lifecycle controller marks it unreachable within seconds and its pods
// are evicted once their unreachable toleration runs out.
//
// # End-to-end tests
//
// TestEndToEnd and TestTwoNodes run all of it on real containerd, runc, CNI
// bridge and nftables inside node namespaces the tests create, driven by the
// machine's kubectl; they are gated with internal/testenv (skipped without
// root, containerd, runc, ctr, nft, kubectl, ip and the CNI plugins; failed
// under LONGSHORE_E2E=require). Measured on the 2-core development machine
// with
//
//	LONGSHORE_E2E=require go test -race -count=1 -v ./examples/cluster/...
//
// TestEndToEnd took 30 s (node namespace and containerd 5 s; 3 pods Running
// 2 s; scale to 5 with the VIP reaching all 5 in 1 s; rollout 3 s; a killed
// container restarted in 0.6 s; a deleted pod replaced in 0.9 s; cluster stop
// and restart with adoption checked over 5 s of stability, 16 s) and
// TestTwoNodes 33 s (its pods ran again on the other node 5.5 s after the
// heartbeats stopped, with a 5 s grace period and 1 s tolerations).
package cluster
