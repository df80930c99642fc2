// Package cni attaches pod network namespaces to a network described by a
// CNI configuration, on top of libcni and the standard plugin binaries.
//
// # Basics
//
// A Manager reads a configuration directory the way the kubelet and
// containerd do: files ending in .conflist, .conf or .json, sorted by name,
// the first one that parses wins; a single-plugin .conf becomes a list of
// one. Reload reads the directory again on demand. Plugins are looked up in
// Options.BinDirs (default /usr/lib/cni, then /opt/cni/bin) and libcni's
// result cache lives in Options.CacheDir, so tests can keep everything in a
// temporary directory.
//
//	m, err := cni.New(cni.Options{ConfDir: "/etc/cni/net.d"})
//	res, err := m.Attach(ctx, cni.Pod{ID: sandboxID, Namespace: "default", Name: "web",
//		UID: uid, NetnsPath: ns.Path()})
//	fmt.Println(res.Addrs())
//	err = m.Detach(ctx, pod)
//
// Pod network namespaces come from package netns.
//
// # Operations
//
// Attach runs CNI ADD through the list and converts the result (any spec
// version) to Result: addresses with gateway and interface, routes and
// DNS. A failed ADD is undone with DEL. Attaching an attached pod returns
// the cached result.
//
// Detach runs DEL with the configuration each attachment was made with (the
// cache keeps it), so changing the configuration file never strands pods.
// It is idempotent and works when the namespace is already gone (DEL then
// runs without one, and IPAM still releases the address).
//
// Check runs CNI CHECK (spec 0.4.0+): a removed interface or a lost address
// is reported. GC deletes every cached attachment not in the valid list,
// then sends CNI GC (spec 1.1.0+) so plugins can drop state of their own.
// Status reports whether the network is ready: a configuration is loaded,
// its plugins are installed, and they answer CNI STATUS (spec 1.1.0+).
//
// # Errors
//
// ErrNoConfig (nothing to load), ErrInvalidConfig, ErrPluginNotFound (with
// the paths searched), ErrInvalidPod, and *PluginError for a failure a
// plugin reported, carrying its CNI error code; errors.Is(err, ErrPlugin)
// matches any of the latter.
//
// # Concurrency
//
// A Manager is safe for concurrent use. Operations on different pods run in
// parallel (libcni and the reference plugins lock what they share, such as
// host-local's pool); operations on the same Pod.ID are serialized; GC
// runs alone. Note that libcni fills a nil plugin executor lazily, a race
// between first calls: the Manager always gives it one.
//
// # Running plugins in another namespace
//
// Plugins treat the network namespace of the thread that starts them as the
// host. With Options.HostNetns set to a "node" namespace, the Manager starts
// them from a thread in that namespace, so the bridge, the host ends of the
// veths and portmap's rules live there; the end-to-end tests do this so they
// never touch the machine's own network.
//
// # Performance
//
// Measured on the project's reference machine (2 cores, shared) with the
// reference plugins 1.1.1 (bridge + host-local + portmap + loopback) in a
// node namespace:
//
//	go test -run '^$' -bench AttachDetach -benchtime 50x ./cni/
//
//	BenchmarkAttachDetach-2   50   63072685 ns/op   253316 B/op   3883 allocs/op
//
// about 63 ms for one ADD plus one DEL, almost all of it in the plugin
// processes (three per operation); the Manager's own cost is noise.
package cni
