package main

import (
	"context"
	"fmt"
	"log/slog"
)

// Example_parseNodeIPs shows the -node-ips syntax: the addresses on which
// the userspace backend serves NodePorts, IPv4 and IPv6, comma-separated;
// spaces and empty items are ignored, and a bad address is refused with
// the flag named.
func Example_parseNodeIPs() {
	ips, err := parseNodeIPs(" 192.168.1.10, fd00::10,,")
	fmt.Println(ips, err)
	ips, err = parseNodeIPs("")
	fmt.Println(len(ips), err)
	_, err = parseNodeIPs("192.168.1.10,192.168.1.300")
	fmt.Println(err)
	// Output:
	// [192.168.1.10 fd00::10] <nil>
	// 0 <nil>
	// -node-ips: ParseAddr("192.168.1.300"): IPv4 field has value >255
}

// Example_chooseBackend shows that an unknown -backend is refused before
// any backend is tried.
func Example_chooseBackend() {
	_, _, err := chooseBackend(context.Background(), "iptables", "", nil, slog.New(slog.DiscardHandler))
	fmt.Println(err)
	// Output: -backend "iptables": want nftables or userspace
}
