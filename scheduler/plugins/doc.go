// Package plugins holds the scheduler's default plugins, written against
// scheduler/framework and registered under Kubernetes' names by
// NewInTreeRegistry. Each computes what its kube-scheduler namesake
// computes and rejects nodes with the same reason strings.
//
// # Queue
//
//	PrioritySort     higher spec.priority first, then earlier arrival
//	SchedulingGates  pods with spec.schedulingGates wait ("waiting for scheduling gates: [..]")
//
// # Filters
//
//	NodeUnschedulable  spec.unschedulable nodes, unless tolerated ("node(s) were unschedulable")
//	NodeName           spec.nodeName ("node(s) didn't match the requested node name")
//	TaintToleration    NoSchedule/NoExecute taints ("node(s) had untolerated taint {k: v}")
//	NodeAffinity       nodeSelector and required node affinity, matchExpressions and
//	                   matchFields ("node(s) didn't match Pod's node affinity/selector")
//	NodePorts          host ports ("node(s) didn't have free ports for the requested pod ports")
//	NodeResourcesFit   cpu, memory, ephemeral-storage, pods, extended resources
//	                   ("Insufficient cpu", "Too many pods", "Insufficient example.com/gpu")
//	VolumeBinding      claims must exist and be bound; bound volumes' node affinity
//	                   ("pod has unbound immediate PersistentVolumeClaims",
//	                   "node(s) had volume node affinity conflict")
//	PodTopologySpread  maxSkew of DoNotSchedule constraints, with minDomains,
//	                   nodeAffinityPolicy, nodeTaintsPolicy and matchLabelKeys
//	                   ("node(s) didn't match pod topology spread constraints")
//	InterPodAffinity   required affinity and anti-affinity over topologyKey, and the
//	                   required anti-affinity of running pods ("node(s) didn't match pod
//	                   affinity rules", "node(s) didn't match pod anti-affinity rules",
//	                   "node(s) didn't satisfy existing pods anti-affinity rules")
//
// # Scores
//
//	TaintToleration                  fewer intolerable PreferNoSchedule taints
//	NodeAffinity                     summed weights of matching preferred terms
//	NodeResourcesFit                 LeastAllocated (default), MostAllocated or
//	                                 RequestedToCapacityRatio over weighted resources,
//	                                 with 100m cpu / 200Mi memory for containers without requests
//	NodeResourcesBalancedAllocation  1 - standard deviation of the usage fractions
//	ImageLocality                    sizes of present images, scaled by their spread
//	InterPodAffinity                 preferred terms of the pod and of running pods
//	PodTopologySpread                ScheduleAnyway constraints; with no constraints, the
//	                                 system defaults (zone maxSkew 5, hostname maxSkew 3)
//	                                 over the selectors of the pod's services, replica
//	                                 sets and stateful sets
//
// # Preemption and binding
//
// DefaultPreemption (PostFilter) finds, on each node where it may help,
// the smallest set of lower-priority victims whose removal lets the pod
// pass the filters, picks the node as Kubernetes orders candidates, evicts
// the victims through the Handle's PodWriter and nominates the pod.
// DefaultBinder POSTs a Binding to pods/{name}/binding with the Handle's
// client.
//
// # Caveats
//
// VolumeBinding does not bind or provision claims itself: the API has no
// StorageClass, so WaitForFirstConsumer is not handled and an unbound
// claim keeps the pod unschedulable until something binds it.
// DefaultPreemption ignores PodDisruptionBudgets (the API has none).
// InterPodAffinity evaluates namespaceSelector against empty namespace
// labels (the snapshot carries no namespaces). The volume plugins
// VolumeRestrictions, VolumeZone and NodeVolumeLimits of Kubernetes'
// default set are not provided.
//
// # Performance
//
// One default-profile cycle (PreFilter, Filter, PreScore, Score) for a
// pod with a ScheduleAnyway zone constraint, nodes in 10 zones with 10
// pods each, on the 2-core development machine:
//
//	go test -run '^$' -bench DefaultProfileCycle -benchmem -benchtime=200x ./scheduler/plugins/
//	nodes=100    0.75 ms/op    73 kB/op    1031 allocs/op
//	nodes=1000   7.9 ms/op    689 kB/op    9144 allocs/op
package plugins
