// Package scheduler is Longshore's scheduler runtime: it watches pods
// and nodes through the API server (controller informers), keeps a cache
// of NodeInfos, and assigns each unscheduled pod to a node by running the
// plugins of its profile (scheduler/framework, scheduler/plugins), as
// kube-scheduler does.
//
// # Basics
//
//	s, err := scheduler.New(ctx, c, nil) // the default profile
//	err = s.Run(ctx)                     // blocks until ctx ends
//
// Options.Config selects profiles (spec.schedulerName picks one; pods of
// other schedulers are left alone), Options.Plugins adds out-of-tree
// plugin factories.
//
// # Queue
//
// Queue has an active heap ordered by the profile's QueueSort plugin
// (priority, then arrival), a back-off heap (1 s doubling per attempt up
// to 10 s by default), and a pool of unschedulable pods that a cluster
// event (node added or changed, pod deleted or finished, claim or volume
// changed) moves back, with a periodic flush of pods parked longer than
// five minutes. A pod whose attempt overlapped such an event is retried
// after back-off instead of being parked. Pods held by a PreEnqueue
// plugin (scheduling gates) are not queued.
//
// # Cycles
//
// The scheduling cycle is serial: refresh the Snapshot from the Cache
// (only the nodes that changed are copied), PreFilter, Filter in parallel
// from a round-robin start node until enough nodes fit
// (NumFeasibleNodesToFind: all below 100 nodes, else percentageOfNodesToScore
// or the adaptive 50 - nodes/125 percent, floor 5 %, at least 100), then
// PreScore and Score, and the best total (ties at random). When nothing
// fits, PostFilter plugins (preemption) run: the pod is nominated to the
// node whose victims are evicted, and while they leave, pods of no higher
// priority are filtered as if the nominated pod were already there. The
// failed pod gets a
// PodScheduled=False condition with Kubernetes' "0/N nodes are
// available: ..." message and a FailedScheduling event. The chosen pod is
// assumed in the cache, then Reserve and Permit run, and the binding cycle
// (WaitOnPermit, PreBind, Bind, PostBind) proceeds in its own goroutine
// while the next pod is scheduled. A failed binding unreserves the pod,
// forgets it from the cache and requeues it.
//
// # Performance
//
// On the project's 2-core machine (shared, so indicative):
//
//	go test -run '^$' -bench . -benchmem -benchtime=20x ./scheduler/
//
//	Queue Add+Pop                          5.3 µs/pod
//	Cache.UpdateSnapshot, 1000 nodes,      0.76 ms/op   57 kB/op   28 allocs/op
//	  one node changed
//	end to end through an in-process API   386 pods/s
//	  server (300 pods, 100 nodes)
//
// # Caveats
//
// Assumed pods whose binding succeeded but whose update never arrives
// are not expired. Leader election is left to the caller (run Run under
// controller.Manager with leader election for several replicas).
package scheduler
