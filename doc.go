// Package longshore is the root of Longshore, a Go SDK of container
// orchestration building blocks: the Kubernetes architecture cut into
// importable packages with small interfaces, real implementations and
// runnable examples. This package holds no code; this page is the map.
//
// # The blocks
//
//	api/          object types with Kubernetes JSON (meta, core, apps,
//	              coordination, networking, rbac), quantities, label and
//	              field selectors, defaulting, validation, the scheme/codec
//	store/        the Store contract: a watchable, versioned key-value store
//	  store/bolt     embedded MVCC store on bbolt (the default)
//	  store/memory   the same engine in memory, for tests
//	  store/raft     replicated on hashicorp/raft (stacked HA control plane)
//	  store/etcd     an external etcd cluster
//	  store/storetest the conformance suite every backend passes
//	apiserver/    the REST API over the store (the only door to it)
//	controller/   watch-loops: informers, work queues, Reconcile, Manager
//	scheduler/    filter/score plugin scheduler (framework/, plugins/)
//	kubelet/      node agent: pods through the CRI, networking through CNI
//	cri/          the CRI contract; remote client, server, fake, our
//	              containerd shim, conformance suite, test images
//	cni/          pod networking on libcni, network namespaces
//	proxy/        services to nftables (or userspace) rules
//	examples/     runnable wiring of the blocks
//
// Imports point one way: api and store know nothing of the rest; the API
// server uses both; every other block talks to the API server only through
// its client; the kubelet uses cri and cni.
//
// # One object's way through the blocks
//
// A Deployment applied with kubectl reaches the API server, which
// authenticates, authorizes, decodes, defaults, validates and admits it, then
// creates it in the store at a new revision. The watch cache fans the event
// out: the deployment controller creates a ReplicaSet, the replicaset
// controller creates Pods, the scheduler's informer sees unbound pods, filters
// and scores nodes and binds each through pods/binding. The kubelet of the
// chosen node sees the pod in its watch (field selector spec.nodeName), runs a
// sandbox with a CNI address and the containers through the CRI, and reports
// status. The endpoints controller publishes the ready pod addresses, and every
// node's proxy turns Service and Endpoints into nftables rules, so a client
// reaches the service's virtual IP.
//
// # Which package to import
//
//   - A custom control plane or a test cluster: the examples, then the blocks.
//   - A store for your own program: store/bolt (one file, no server), or
//     store/raft / store/etcd for high availability, all behind store.Store.
//   - A custom scheduler: scheduler/framework for plugins, scheduler to run them.
//   - A node agent on another runtime: implement cri.RuntimeService, or point
//     cri/remote at any CRI socket (containerd, CRI-O).
//
// Every package's own documentation explains its contract, its caveats and
// its measured performance.
package longshore
