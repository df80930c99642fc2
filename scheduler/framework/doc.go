// Package framework is the scheduler's plugin contract: the extension
// points a plugin implements, the Status it answers with, the per-cycle
// CycleState, the NodeInfo/Snapshot view of the cluster it reads, the
// Handle it is given, the Registry of plugin factories, and the
// KubeSchedulerConfiguration-shaped configuration that selects plugins
// per profile. It follows kube-scheduler's framework/interface.go and
// does not depend on the scheduler runtime (package scheduler): a plugin
// written against this package runs in Longshore's scheduler, and the
// default plugins live in scheduler/plugins.
//
// # Extension points
//
// Every plugin implements Plugin (a Name) and one small interface per
// extension point it takes part in, in the order a pod meets them:
//
//	PreEnqueue   may the pod enter the active queue? (SchedulingGates)
//	QueueSort    which pod next? (PrioritySort; one per scheduler)
//	PreFilter    once per cycle: precompute, maybe narrow the nodes
//	Filter       per node, in parallel: can the pod run there?
//	PostFilter   no node fits: preempt (DefaultPreemption)
//	PreScore     once per cycle, with the feasible nodes
//	Score        per node, in parallel, then NormalizeScore to [0, 100]
//	Reserve      the node is chosen; Unreserve undoes it on failure
//	Permit       approve, reject or hold (Wait) the binding
//	PreBind      before binding (volumes)
//	Bind         write the binding (DefaultBinder)
//	PostBind     informational
//
// context.Context comes first in every call. Filter and Score run
// concurrently for many nodes: they must not change the NodeInfo they
// are given, and they share data only through the CycleState.
//
// # Status
//
// A nil *Status is success. Otherwise its Code says what happened:
// Error (internal failure, retried), Unschedulable (preemption may help),
// UnschedulableAndUnresolvable (it will not), Wait (Permit), Skip (the
// plugin has nothing to do this cycle) or Pending (PreEnqueue). Reasons
// use Kubernetes' wording ("Insufficient cpu", "node(s) had untolerated
// taint {k: v}"), and the framework records the failing plugin's name.
// AsStatus wraps an error, and AsError returns it for errors.Is.
//
// # Cluster view
//
// NodeInfo is a node with its pods and their totals: requested and
// allocatable resources (cpu in millicores, memory and ephemeral storage
// in bytes, pods, and extended resources such as example.com/gpu), the
// host ports in use, the pods with (anti-)affinity, and the images with
// their sizes. It is built incrementally (SetNode, AddPod, RemovePod),
// carries a Generation that increases with every change, and is cheap to
// Clone (pods are shared, totals copied). PodRequests computes a pod's
// requests as Kubernetes does: max(sum of containers plus sidecars,
// init-container peak) plus overhead.
//
// A Snapshot holds the NodeInfos of one cycle, with the persistent volume
// claims and volumes (VolumeBinding) and the services, replica sets and
// stateful sets (default topology spreading). The scheduler's cache
// refreshes it in place between cycles; NewSnapshot builds one from
// lists for tests and simulations. It also keeps, for the queries plugins
// make (DomainCounter), the matching pods per topology domain, updated as
// pods move rather than recounted every cycle.
//
// # Running a profile
//
// New instantiates the plugins a Profile enables, each once, with its
// pluginConfig arguments, and orders them per extension point. The
// resulting Framework runs each extension point with Kubernetes'
// semantics (Skip handling, parallel scoring with normalisation and
// weights, Permit waiting with timeouts, Bind plugins until one does not
// skip) and serves as the Handle its plugins receive. The scheduler
// runtime builds one Framework per profile; tests and simulators can use
// it directly.
//
// # Configuration
//
// ParseConfig and LoadConfig read a kubescheduler.config.k8s.io/v1
// KubeSchedulerConfiguration (YAML or JSON, unknown fields rejected),
// apply Kubernetes' defaults and validate it, naming every bad field.
// The default plugin set is DefaultPlugins: Kubernetes' defaults for the
// plugins Longshore ships, with the same order and score weights
// (TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
// InterPodAffinity 2, NodeResourcesFit 1, NodeResourcesBalancedAllocation
// 1, ImageLocality 1). A profile's plugins are merged over it: disabled
// names (or "*") drop defaults, enabled ones replace or extend them.
//
// # Writing a plugin
//
// Implement Plugin and the extension points you need, write a
// PluginFactory that turns its arguments into typed ones with DecodeArgs,
// and register it under its name in the Registry handed to New (merged
// with plugins.NewInTreeRegistry to keep the defaults). See the example.
//
// # Performance
//
// Measured on the project's 2-core machine (shared with other work, so
// indicative) with
//
//	go test -run '^$' -bench . -benchmem -benchtime=200x ./scheduler/framework/
//
//	PodRequests (2 containers)             310 ns/op    144 B/op      3 allocs/op
//	NodeInfo.Clone (30 pods)               1.7 µs/op    608 B/op      7 allocs/op
//	NewSnapshot (1000 nodes, 10 pods each)  46 ms/op    4.9 MB/op  83020 allocs/op
//
// A whole default-profile cycle is measured in scheduler/plugins.
package framework
