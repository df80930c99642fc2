// Package website is an operator in miniature, the library half of the
// customcontroller example: a Website custom resource
// (demo.longshore.dev/v1) and a controller, built on Longshore's
// controller framework, that runs each Website as a Deployment and a
// Service.
//
// # The resource
//
// CRD returns the CustomResourceDefinition (crd.yaml beside this file):
// spec.replicas (default 1), spec.image, spec.port (default 80);
// status.readyReplicas, status.observedGeneration and a Ready condition;
// the status and scale subresources, so `kubectl scale website/NAME` works.
// InstallCRD creates it when missing and waits until it is served.
//
// The API server has no Go type for a custom resource: the controller
// reads and writes unstructured.Object values through client.Dynamic and
// converts them to the typed Website with FromUnstructured and
// ToUnstructured.
//
// # The controller
//
// Setup wires three informers into one controller on a
// controller.Manager: Websites (its own informer, run by the manager
// on every replica), and the factory's Deployment and Service informers,
// whose events are mapped to the owning Website through the
// ownerReference (controller.EnqueueOwner). Reconcile is level-based:
//
//   - the Deployment and the Service named after the Website are created
//     with an ownerReference to it (controller: true, blockOwnerDeletion:
//     true), or updated when replicas, image or port differ from the spec
//     (only the fields the Website owns are compared, so the server's
//     defaults never cause an update loop);
//   - an object of that name that another owner controls is left alone
//     and reported as Ready=False, reason Conflict;
//   - the status takes readyReplicas from the Deployment; Ready is True
//     once the Deployment has observed its latest spec and runs
//     spec.replicas ready, updated replicas, else False with reason
//     Progressing.
//
// # Performance
//
// End to end through an in-process API server on a memory store (server,
// operator and the test's polling in one process), on the project's
// shared 2-core machine:
//
//	go test -run '^$' -bench Converge -benchmem -benchtime=5x ./examples/customcontroller/
//
//	BenchmarkConverge   about 120 Websites/s converged (Deployment,
//	                    Service and status written), 160 ms per batch of 20
//
// # Caveats
//
// Deletion is left to ownership: deleting a Website deletes its
// Deployment and Service through controller/garbagecollector (or
// Kubernetes' collector), which follows their ownerReferences; the
// collector discovers resources when it starts, so it must start after
// the CRD is served. An existing CustomResourceDefinition is
// not upgraded by InstallCRD.
package website
