package main

import (
	"flag"
	"fmt"
	"io"
)

// Example_parseFlags shows how the command line becomes
// controllermanager.Options: -controllers picks a subset (none given
// means all), -no-leader-elect runs a single copy without a Lease, and the
// node grace period is a duration. A missing kubeconfig (no -kubeconfig
// and no $KUBECONFIG) is refused before anything connects.
func Example_parseFlags() {
	parse := func(args ...string) {
		fs := flag.NewFlagSet("controllermanager", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		s, err := parseFlags(fs, args)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		o := s.opts
		fmt.Printf("kubeconfig=%s controllers=%q all=%t leader-elect=%t grace=%v addr=%q\n",
			s.kubeconfig, o.Controllers, o.Controllers == nil, !o.NoLeaderElection, o.NodeMonitorGracePeriod, o.Addr)
	}
	parse("-kubeconfig", "admin.kubeconfig")
	parse("-kubeconfig", "admin.kubeconfig", "-controllers", "replicaset,deployment",
		"-no-leader-elect", "-node-monitor-grace-period", "2m", "-addr", "127.0.0.1:10257")
	parse("-kubeconfig", "")
	parse("-kubeconfig", "admin.kubeconfig", "-node-monitor-grace-period", "50")
	// Output:
	// kubeconfig=admin.kubeconfig controllers=[] all=true leader-elect=true grace=50s addr=""
	// kubeconfig=admin.kubeconfig controllers=["replicaset" "deployment"] all=false leader-elect=false grace=2m0s addr="127.0.0.1:10257"
	// error: -kubeconfig is required
	// error: invalid value "50" for flag -node-monitor-grace-period: parse error
}
