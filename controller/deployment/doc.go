// Package deployment is the Deployment controller: it rolls a
// Deployment's pod template out through ReplicaSets, as Kubernetes'
// deployment controller does, so that `kubectl rollout
// status|history|undo|pause|resume` work against a Longshore API server.
//
// # ReplicaSets and revisions
//
// Each distinct pod template gets one ReplicaSet named
// <deployment>-<pod-template-hash>. The hash is FNV-32a of the template's
// JSON (without the pod-template-hash label) and of status.collisionCount,
// spelled in a vowel-free alphabet; it is added to the ReplicaSet's
// labels, selector and template labels so that the sets never share pods.
// When a set of that name exists with another template (a hash
// collision), collisionCount is raised and the next sync picks another
// name.
//
// ReplicaSets carry deployment.kubernetes.io/revision. The set that
// matches the current template (the "new" set) always holds the highest
// revision: when a rollback (kubectl rollout undo patches the template
// back) makes an old set current again, that set is reused and given
// max(old revisions)+1. The Deployment carries the revision of its new
// set in the same annotation. Old sets scaled to zero beyond
// spec.revisionHistoryLimit are deleted, oldest revision first.
//
// # Strategies
//
// RollingUpdate scales the new set up while the sum of all sets' replicas
// stays within replicas+maxSurge, and scales old sets down (unhealthy
// replicas first, then oldest set first) while the available replicas
// stay at or above replicas-maxUnavailable. Percentages are resolved
// against spec.replicas, maxSurge rounding up and maxUnavailable down; if
// both resolve to zero, maxUnavailable is 1. Recreate scales every old set
// to zero, waits until none of their pods is active, then scales the new
// set up.
//
// A change of spec.replicas while several sets are active (or while the
// Deployment is paused) is spread over the active sets in proportion to
// their sizes. A paused Deployment is only scaled; no new set is created.
//
// # Status and conditions
//
// Status sums the sets' status (replicas, updatedReplicas from the new
// set, readyReplicas, availableReplicas honouring minReadySeconds through
// the ReplicaSets, unavailableReplicas) and records observedGeneration.
// Available is True (MinimumReplicasAvailable) while at least
// replicas-maxUnavailable replicas are available, else False
// (MinimumReplicasUnavailable). With progressDeadlineSeconds, Progressing
// is True with NewReplicaSetCreated, FoundNewReplicaSet or
// ReplicaSetUpdated while the rollout advances, True with
// NewReplicaSetAvailable once it completed, and False with
// ProgressDeadlineExceeded when no progress was seen for that long.
// Pausing sets it Unknown (DeploymentPaused), resuming Unknown
// (DeploymentResumed) until the rollout moves again. A ReplicaSet's
// ReplicaFailure condition is mirrored as the Deployment's. A created set is
// awaited in the cache, and so is every version of a set the controller
// wrote, before the next sync acts, so that a lagging cache never undoes
// a step (or spreads a scale-up twice).
//
// # Performance
//
// BenchmarkScaleDeployment (bench_test.go) scales a Deployment from 0 to N
// replicas through an in-process API server on store/bolt with this
// controller and the replicaset controller, and measures the time until
// all N pods exist and the Deployment's and ReplicaSet's status say so:
//
//	LONGSHORE_BENCH_REPLICAS=10000 go test -run '^$' -bench ScaleDeployment -benchtime 1x -benchmem ./controller/deployment/
//
// On the project's 2-core machine with little else running (load average
// 1.3-1.4), two runs took 8.7 s and 10.5 s for 10,000 pods (goal: under
// 20 s). Shared with other work (load average about 14), three runs took
// 23.7 s, 17.4 s and 22.4 s for 10,000 pods (about 690 MB and 6.8 M allocations per run, server and
// client together); 1,000 pods took 1.6 s. The process used about 5 s of
// CPU in the 17 s run: the time goes to waiting on the store's fsyncs in
// the replicaset controller's slow-start batches, not to computing.
package deployment
