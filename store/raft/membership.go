package raft

import (
	"context"
	"errors"
	"fmt"
	"time"

	hraft "github.com/hashicorp/raft"
)

// Join adds a voting member with the given ID and address. It can be
// called on any node: a follower hands it to the leader. The new node must
// have been opened (without Bootstrap) on that address; it then catches up
// from the leader's log or snapshot.
func (n *Node) Join(ctx context.Context, id, addr string) error {
	if id == "" || addr == "" {
		return fmt.Errorf("%w: join needs an ID and an address", ErrConfig)
	}
	req := appendBytes(appendBytes(nil, []byte(id)), []byte(addr))
	return n.membership(ctx, "join", methodJoin, req, func() error { return n.serveJoin(ctx, id, addr) })
}

// Remove takes the member with the given ID out of the cluster. It can be
// called on any node. Removing the leader makes it step down.
func (n *Node) Remove(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("%w: remove needs an ID", ErrConfig)
	}
	return n.membership(ctx, "remove", methodRemove, []byte(id), func() error { return n.serveRemove(ctx, id) })
}

// TransferLeadership asks the leader to hand over to another up-to-date
// voter. It can be called on any node.
func (n *Node) TransferLeadership(ctx context.Context) error {
	return n.membership(ctx, "transfer leadership", methodTransfer, nil, func() error { return n.serveTransfer(ctx) })
}

// Members returns the cluster's current members as this node knows them.
func (n *Node) Members(ctx context.Context) ([]Peer, error) {
	f := n.r.GetConfiguration()
	if err := waitFuture(ctx, f); err != nil {
		return nil, fmt.Errorf("raft members: %w", err)
	}
	var out []Peer
	for _, s := range f.Configuration().Servers {
		out = append(out, Peer{ID: string(s.ID), Addr: string(s.Address)})
	}
	return out, nil
}

// membership runs a membership change on the leader: locally if this node
// leads, else through the forwarding service, retrying on leader changes.
func (n *Node) membership(ctx context.Context, what, method string, req []byte, local func() error) error {
	for attempt := 0; ; attempt++ {
		if err := n.checkOpen(); err != nil {
			return err
		}
		var err error
		if n.IsLeader() {
			err = local()
			if errors.Is(err, errRemoteNotLeader) {
				err = errRetry
			}
		} else if _, addr := n.Leader(); addr != "" {
			_, err = n.peers.call(ctx, addr, method, req)
		} else {
			err = errRetry
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, errRetry) {
			return fmt.Errorf("raft %s: %w", what, err)
		}
		if perr := n.pause(ctx, backoffDelay(attempt)); perr != nil {
			return fmt.Errorf("raft %s: %w: %w", what, ErrNoLeader, perr)
		}
	}
}

func timeoutOf(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), time.Millisecond)
	}
	return 0
}

func (n *Node) serveJoin(ctx context.Context, id, addr string) error {
	if !n.IsLeader() {
		return errRemoteNotLeader
	}
	return leaderErr(waitFuture(ctx, n.r.AddVoter(hraft.ServerID(id), hraft.ServerAddress(addr), 0, timeoutOf(ctx))))
}

func (n *Node) serveRemove(ctx context.Context, id string) error {
	if !n.IsLeader() {
		return errRemoteNotLeader
	}
	return leaderErr(waitFuture(ctx, n.r.RemoveServer(hraft.ServerID(id), 0, timeoutOf(ctx))))
}

func (n *Node) serveTransfer(ctx context.Context) error {
	if !n.IsLeader() {
		return errRemoteNotLeader
	}
	return leaderErr(waitFuture(ctx, n.r.LeadershipTransfer()))
}

// leaderErr turns raft's "not the leader" into the peer status that makes
// the caller retry on the new leader.
func leaderErr(err error) error {
	if errors.Is(err, hraft.ErrNotLeader) {
		return errRemoteNotLeader
	}
	return err
}
