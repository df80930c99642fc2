// Command proxysync measures how long the nftables proxy backend takes to
// program service rules into a network namespace it creates, side by side
// with applying the same rules as a text ruleset with `nft -f` (what
// kube-proxy's nftables mode does).
//
// It needs root, the ip command and, for the comparison, nft. Run:
//
//	go run ./bench/proxysync -services 1000,5000,10000 -endpoints 10
//
// For each service count it reports: a full sync (the table deleted and
// rebuilt in one batch) and one endpoint changed (median and worst of
// -changes runs), for the netlink backend and for nft -f. The backend's
// default layout is measured (maps: a service is map elements only) with
// its text form for nft -f; -chains, -flat and -numgen-maps measure the
// chain-per-service layouts, with the chain text form for nft -f.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/longshore/longshore/proxy"
	"github.com/longshore/longshore/proxy/nftables"
)

func main() {
	services := flag.String("services", "1000,5000,10000", "comma-separated service counts")
	endpoints := flag.Int("endpoints", 10, "endpoints per service")
	changes := flag.Int("changes", 20, "one-endpoint changes measured per count")
	withNft := flag.Bool("nft", true, "also measure nft -f with the same rules")
	shards := flag.Int("shards", 0, "nftables.Options.Shards for the netlink backend (the nft -f ruleset is always one table)")
	flat := flag.Bool("flat", false, "nftables.Options.Flat for the netlink backend (no chain per endpoint)")
	chains := flag.Bool("chains", false, "nftables.Options.Chains for the netlink backend (the chain-per-service layout of earlier versions; default: the maps layout)")
	numgenMaps := flag.Bool("numgen-maps", false, "pick endpoints with a numgen vmap per service (kube-proxy's form) instead of a cascade of numgen rules, in both methods")
	flag.Parse()
	if os.Geteuid() != 0 {
		log.Fatal("proxysync needs root (network namespaces, nftables)")
	}
	fmt.Printf("%-9s %-8s %22s %22s %12s\n", "services", "method", "full sync wall (cpu)", "1-ep p50 wall (cpu)", "1-ep max")
	for _, f := range strings.Split(*services, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || n*(*endpoints) > 120000 {
			log.Fatalf("bad service count %q (at most 120000 endpoints in all)", f)
		}
		if err := run(n, *endpoints, *changes, *withNft, *numgenMaps, *flat, *chains, *shards); err != nil {
			log.Fatal(err)
		}
	}
}

func run(n, eps, changes int, withNft, numgenMaps, flat, chains bool, shards int) error {
	ns := "ls-bench-" + randomID()
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %v: %s", err, out)
	}
	// Delete the namespace (and its tables) on return or on a signal.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			exec.Command("ip", "netns", "del", ns).Run()
			os.Exit(1)
		case <-done:
		}
	}()
	defer func() {
		signal.Stop(sig)
		close(done)
		exec.Command("ip", "netns", "del", ns).Run()
	}()
	useMaps = numgenMaps
	textMaps = !chains && !flat && !numgenMaps

	tracker, state := proxy.NewTracker(nil), proxy.NewState()
	for i := range n {
		tracker.OnServiceUpdate(nil, service(i))
		tracker.OnEndpointsUpdate(nil, endpointsOf(i, eps, 0))
	}
	tracker.Apply(state)

	b, err := nftables.New(&nftables.Options{NetNSPath: "/run/netns/" + ns, Families: []nftables.Family{nftables.IPv4}, NumgenMaps: numgenMaps, Shards: shards, Flat: flat, Chains: chains})
	if err != nil {
		return err
	}
	defer b.Close()
	ctx := context.Background()
	// The second full sync replaces a full table; report the slower.
	var full, fullCPU time.Duration
	for range 2 {
		start, cpu0 := time.Now(), selfCPU()
		if err := b.FullSync(ctx, state); err != nil {
			return fmt.Errorf("full sync: %w", err)
		}
		if d := time.Since(start); d > full {
			full, fullCPU = d, selfCPU()-cpu0
		}
	}
	// Collect the full syncs' garbage, so that the changes below are not
	// charged for it.
	runtime.GC()
	var one, oneCPU, oneSys []time.Duration
	for k := range changes {
		i := (k * 7919) % n
		tracker.OnEndpointsUpdate(nil, endpointsOf(i, eps, k+1))
		start, cpu0, sys0 := time.Now(), selfCPU(), selfSys()
		cs := tracker.Apply(state)
		if err := b.Sync(ctx, state, cs); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		one = append(one, time.Since(start))
		oneCPU = append(oneCPU, selfCPU()-cpu0)
		oneSys = append(oneSys, selfSys()-sys0)
	}
	p := b.Programmed()
	method := "netlink"
	switch {
	case flat:
		method += "/flat"
	case numgenMaps:
		method += "/vmaps"
	case chains:
		method += "/chains"
	}
	if shards > 1 {
		method += fmt.Sprintf("/%d", shards)
	}
	fmt.Printf("%-9d %-8s %22s %22s %12s   (%d rules, %d elements; 1-ep kernel cpu p50 %s)\n", n, method,
		round(full)+" ("+round(fullCPU)+")", round(median(one))+" ("+round(median(oneCPU))+")", round(slices.Max(one)),
		p.Rules, p.Elements, round(median(oneSys)))
	if err := b.Cleanup(ctx); err != nil {
		return err
	}
	if !withNft {
		return nil
	}
	return runNft(ns, n, eps, changes)
}

func runNft(ns string, n, eps, changes int) error {
	dir, err := os.MkdirTemp("", "proxysync")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "ruleset.nft")
	full := fullRuleset
	change := oneEndpointChange
	if textMaps {
		full, change = fullRulesetMaps, oneEndpointChangeMaps
	}
	if err := os.WriteFile(file, []byte(full(n, eps)), 0o600); err != nil {
		return err
	}
	// nft runs the command and returns its wall and CPU (user+sys) time.
	nft := func(path string) (time.Duration, time.Duration, error) {
		start := time.Now()
		cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, 0, fmt.Errorf("nft -f: %v: %.500s", err, out)
		}
		return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
	}
	var fullWall, fullCPU time.Duration
	for range 2 {
		d, cpu, err := nft(file)
		if err != nil {
			return err
		}
		if d > fullWall {
			fullWall, fullCPU = d, cpu
		}
	}
	var one, oneCPU []time.Duration
	gen := make([]int, n) // endpoint generation per service
	for k := range changes {
		i := (k * 7919) % n
		path := filepath.Join(dir, fmt.Sprintf("change%d.nft", k))
		if err := os.WriteFile(path, []byte(change(i, eps, gen[i], k+1)), 0o600); err != nil {
			return err
		}
		gen[i] = k + 1
		d, cpu, err := nft(path)
		if err != nil {
			return err
		}
		one = append(one, d)
		oneCPU = append(oneCPU, cpu)
	}
	fmt.Printf("%-9d %-8s %22s %22s %12s\n", n, "nft -f",
		round(fullWall)+" ("+round(fullCPU)+")", round(median(one))+" ("+round(median(oneCPU))+")", round(slices.Max(one)))
	return exec.Command("ip", "netns", "exec", ns, "nft", "delete", "table", "ip", "longshore").Run()
}

func service(i int) *proxy.Service {
	return &proxy.Service{Namespace: "bench", Name: "svc" + strconv.Itoa(i),
		ClusterIPs: []netip.Addr{clusterIP(i)},
		Ports:      []proxy.ServicePortSpec{{Name: "http", Protocol: proxy.TCP, Port: 80}}}
}

func clusterIP(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 19, byte(i >> 8), byte(i)}) }

// endpointIP numbers endpoints through 198.18.0.0/15; generation g moves
// the service's first endpoint to a fresh address.
func endpointIP(i, j, eps, g int) netip.Addr {
	k := i*eps + j + 1
	if j == 0 && g > 0 {
		k = 120000 + g
	}
	return netip.AddrFrom4([4]byte{198, 18 + byte(k>>16), byte(k >> 8), byte(k)})
}

func endpointsOf(i, eps, g int) *proxy.Endpoints {
	e := &proxy.Endpoints{Namespace: "bench", Name: "svc" + strconv.Itoa(i)}
	ss := proxy.EndpointSubset{Ports: []proxy.EndpointPort{{Name: "http", Protocol: proxy.TCP, Port: 8080}}}
	for j := range eps {
		ss.Addresses = append(ss.Addresses, proxy.EndpointAddress{IP: endpointIP(i, j, eps, g), Ready: true})
	}
	e.Subsets = []proxy.EndpointSubset{ss}
	return e
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func round(d time.Duration) string {
	if d < time.Millisecond {
		return d.Round(time.Microsecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}

// selfCPU is the CPU time (user+sys) of this process so far; the
// kernel's work on a netlink batch runs in the sending thread and counts.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfSys is the kernel part of selfCPU.
func selfSys() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Stime.Nano())
}

func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}
