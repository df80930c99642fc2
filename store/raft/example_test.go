package raft_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	"github.com/longshore/longshore/store"
	"github.com/longshore/longshore/store/raft"
)

// A one-member cluster: bootstrap it, wait for it to lead, then use it as
// any store.Store. More members are listed in Bootstrap, or added later
// with Join.
func Example() {
	dir, err := os.MkdirTemp("", "raft-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Listen first so that the bootstrap list can name the real port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	n, err := raft.Open(ctx, raft.Config{
		NodeID:    "a",
		DataDir:   dir,
		RaftAddr:  addr,
		Listener:  ln,
		Bootstrap: []raft.Peer{{ID: "a", Addr: addr}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	if _, err := n.WaitLeader(ctx); err != nil {
		log.Fatal(err)
	}

	kv, err := n.Create(ctx, "/registry/pods/default/web", []byte("spec"), 0)
	if err != nil {
		log.Fatal(err)
	}
	got, err := n.Get(ctx, "/registry/pods/default/web", store.GetOptions{})
	if err != nil {
		log.Fatal(err)
	}
	// A serializable read answers from the local replica.
	local, err := n.Get(raft.WithSerializable(ctx), "/registry/pods/default/web", store.GetOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(got.Value), got.ModRevision == kv.ModRevision, string(local.Value))
	// Output: spec true spec
}
