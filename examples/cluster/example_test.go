package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/longshore/longshore/examples/cluster/cluster"
)

// Example_flags shows the command's flags with their defaults (an empty
// default is filled in by cluster.Run: the hostname, <data>/admin.kubeconfig,
// the host's network namespace), then a command line for a node in a
// network namespace, on the fake runtime, and the cluster.Options it gives.
func Example_flags() {
	var o cluster.Options
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	verbose := defineFlags(fs, &o)
	fs.VisitAll(func(f *flag.Flag) { fmt.Printf("-%s=%q\n", f.Name, f.DefValue) })

	err := fs.Parse([]string{"-data", "/var/lib/longshore", "-runtime", "fake",
		"-node-netns", "/run/netns/node1", "-kubelet-port", "10350", "-v"})
	fmt.Println(err)
	fmt.Printf("data=%s listen=%s runtime=%s netns=%s kubelet-port=%d verbose=%t\n",
		o.DataDir, o.Listen, o.Runtime, o.NodeNetNS, o.KubeletPort, *verbose)

	// A bad value is an error (the command itself exits with status 2).
	fmt.Println(fs.Parse([]string{"-kubelet-port", "http"}))
	// Output:
	// -containerd-socket=""
	// -data="longshore-data"
	// -kubeconfig=""
	// -kubelet-port="10250"
	// -listen="127.0.0.1:6443"
	// -node-name=""
	// -node-netns=""
	// -runtime="auto"
	// -service-cidr="198.19.0.0/20"
	// -v="false"
	// <nil>
	// data=/var/lib/longshore listen=127.0.0.1:6443 runtime=fake netns=/run/netns/node1 kubelet-port=10350 verbose=true
	// invalid value "http" for flag -kubelet-port: parse error
}
