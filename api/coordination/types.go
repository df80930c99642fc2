// Package coordination holds coordination.k8s.io/v1 Lease, used for node
// heartbeats and leader election.
package coordination

import "github.com/longshore/longshore/api/meta"

//go:generate go run github.com/longshore/longshore/internal/deepcopygen

// Lease is a lock with a holder and an expiry.
type Lease struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Spec            LeaseSpec `json:"spec,omitempty"`
}

// LeaseList is a list of Leases.
type LeaseList struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata,omitempty"`
	Items         []Lease `json:"items"`
}

// CoordinatedLeaseStrategy names a strategy for picking a lease holder.
type CoordinatedLeaseStrategy string

// OldestEmulationVersion picks the candidate with the oldest version.
const OldestEmulationVersion CoordinatedLeaseStrategy = "OldestEmulationVersion"

// LeaseSpec is the state of a lease.
type LeaseSpec struct {
	HolderIdentity       *string                   `json:"holderIdentity,omitempty"`
	LeaseDurationSeconds *int32                    `json:"leaseDurationSeconds,omitempty"`
	AcquireTime          *meta.MicroTime           `json:"acquireTime,omitempty"`
	RenewTime            *meta.MicroTime           `json:"renewTime,omitempty"`
	LeaseTransitions     *int32                    `json:"leaseTransitions,omitempty"`
	Strategy             *CoordinatedLeaseStrategy `json:"strategy,omitempty"`
	PreferredHolder      *string                   `json:"preferredHolder,omitempty"`
}
