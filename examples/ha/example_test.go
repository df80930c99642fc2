package main

import (
	"fmt"
)

// Example_peers shows the -peers syntax: the initial members of a new raft
// cluster, as ID=host:port pairs, the same list on every member.
func Example_peers() {
	peers, err := parsePeers("m1=127.0.0.1:7001,m2=127.0.0.1:7002,m3=127.0.0.1:7003")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range peers {
		fmt.Println(p.ID, p.Addr)
	}
	_, err = parsePeers("m1@127.0.0.1:7001")
	fmt.Println(err)
	// Output:
	// m1 127.0.0.1:7001
	// m2 127.0.0.1:7002
	// m3 127.0.0.1:7003
	// -peers: "m1@127.0.0.1:7001" is not id=host:port
}
