package nftables

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/longshore/longshore/proxy"
)

// DefaultTable is the name of the backend's table in each family.
const DefaultTable = "longshore"

// ErrClosed is returned by a Backend's methods after Close.
var ErrClosed = errors.New("nftables: backend closed")

// Options are the optional knobs of a Backend; the zero value works.
type Options struct {
	// NetNSPath is the network namespace to program, as a path such as
	// /run/netns/NAME or /proc/PID/ns/net; "" programs the caller's.
	NetNSPath string
	// Families lists the families to program, each in its own table;
	// default IPv4 and IPv6.
	Families []Family
	// Table is the table name; default DefaultTable.
	Table string
	// SocketBuffer is the netlink socket buffer size in bytes (set with
	// SO_SNDBUFFORCE/SO_RCVBUFFORCE, which need CAP_NET_ADMIN); large full
	// syncs need room for the whole batch and its acknowledgements.
	// Default 256 MiB (the kernel doubles it).
	SocketBuffer int
	// Flat, a variant of the Chains layout (it implies Chains), puts each
	// endpoint's rules (hairpin mark, affinity, DNAT) into the service
	// chain instead of a chain per endpoint. The kernel
	// walks every chain of the namespace on each transaction, so ten
	// chains per service make every change slower as services grow; Flat
	// has one or two chains per service. The hairpin mark then applies to
	// a client that is any endpoint of the service, not only the chosen
	// one (it is masqueraded a little more often). Not with NumgenMaps.
	Flat bool
	// Shards splits each family's rules over this many tables, named
	// Table-0 ... Table-(Shards-1), a service port going to the table its
	// name hashes to; 0 or 1 keeps one table. The kernel validates a whole
	// table on every transaction, so a change costs time linear in the
	// size of the tables it touches: shards make one-service changes
	// cheaper when there are thousands of services, at the price of a
	// map lookup per shard in each hook for new connections (and, in the
	// filter hooks, for every packet). The default maps layout does not
	// need shards for speed: its changes cost the same at any size.
	// Changing Shards leaves the tables of the old layout behind; Cleanup
	// with the old Options removes them.
	Shards int
	// NumgenMaps, a variant of the Chains layout (it implies Chains),
	// picks endpoints with one `numgen random mod N vmap {...}` rule per
	// service port, as kube-proxy does, instead of the Chains layout's
	// cascade of `numgen random mod (N-i) == 0 goto ep-i` rules (the same
	// uniform choice). Each vmap is an anonymous set, and the kernel names
	// a new anonymous set by scanning every set of the table, so syncs
	// grow quadratically with the number of services: see the package
	// documentation for figures.
	NumgenMaps bool
	// Chains selects the layout of earlier versions, with a chain per
	// service port (svc-<hash>) picking among a chain per endpoint
	// (ep-<hash>) by a cascade of numgen rules. Flat and NumgenMaps are
	// variants of it and imply it. The default layout instead keeps a
	// fixed, small set of chains and programs a service port as map
	// elements only, which keeps the kernel's per-transaction work
	// independent of the number of services: see the package
	// documentation.
	Chains bool
	// Logger receives debug messages; nil discards.
	Logger *slog.Logger
}

// conn is the part of *nftables.Conn the backend uses: building a batch
// and sending it. Tests record it with a fake.
type conn interface {
	AddTable(*nftables.Table) *nftables.Table
	DelTable(*nftables.Table)
	AddChain(*nftables.Chain) *nftables.Chain
	DelChain(*nftables.Chain)
	FlushChain(*nftables.Chain)
	AddRule(*nftables.Rule) *nftables.Rule
	AddSet(*nftables.Set, []nftables.SetElement) error
	DelSet(*nftables.Set)
	SetAddElements(*nftables.Set, []nftables.SetElement) error
	SetDeleteElements(*nftables.Set, []nftables.SetElement) error
	Flush() error
}

var _ conn = (*nftables.Conn)(nil)

// Backend programs service ports into nftables over netlink. It
// implements proxy.Backend and proxy.Counter; its methods must not be
// called concurrently (proxy.Runner serializes them).
type Backend struct {
	conn   conn
	close  func() error
	log    *slog.Logger
	tables []*table
	closed bool
	layout layout
	shards int
}

// shardOf returns the shard that programs a service port.
func (b *Backend) shardOf(n proxy.ServicePortName) int {
	if b.shards <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(n.String()))
	return int(h.Sum32() % uint32(b.shards))
}

var (
	_ proxy.Backend = (*Backend)(nil)
	_ proxy.Counter = (*Backend)(nil)
)

// New opens a netlink connection (in Options.NetNSPath if set) and returns
// a Backend; opts may be nil. Nothing is programmed until FullSync.
func New(opts *Options) (*Backend, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.SocketBuffer <= 0 {
		o.SocketBuffer = 256 << 20
	}
	copts := []nftables.ConnOption{nftables.AsLasting(), nftables.WithSockOptions(bufferOption(o.SocketBuffer))}
	var nsFile *os.File
	if o.NetNSPath != "" {
		f, err := os.Open(o.NetNSPath)
		if err != nil {
			return nil, fmt.Errorf("nftables: open netns: %w", err)
		}
		nsFile = f
		copts = append(copts, nftables.WithNetNSFd(int(f.Fd())))
	}
	c, err := nftables.New(copts...)
	if err != nil {
		if nsFile != nil {
			nsFile.Close()
		}
		return nil, fmt.Errorf("nftables: open netlink: %w", err)
	}
	b, err := newBackend(c, &o)
	if err != nil {
		c.CloseLasting()
		if nsFile != nil {
			nsFile.Close()
		}
		return nil, err
	}
	b.close = func() error {
		err := c.CloseLasting()
		if nsFile != nil {
			err = errors.Join(err, nsFile.Close())
		}
		return err
	}
	return b, nil
}

// bufferOption enlarges the socket's buffers beyond the sysctl limits.
func bufferOption(size int) nftables.SockOption {
	return func(c *netlink.Conn) error {
		rc, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		err = rc.Control(func(fd uintptr) {
			serr = errors.Join(
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size),
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size))
		})
		return errors.Join(err, serr)
	}
}

func newBackend(c conn, o *Options) (*Backend, error) {
	if o == nil {
		o = &Options{}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	families := o.Families
	if len(families) == 0 {
		families = []Family{IPv4, IPv6}
	}
	tname := o.Table
	if tname == "" {
		tname = DefaultTable
	}
	if o.Shards < 0 || o.Shards > 1024 {
		return nil, fmt.Errorf("nftables: %d shards, want 0 to 1024", o.Shards)
	}
	if o.Flat && o.NumgenMaps {
		return nil, errors.New("nftables: Flat and NumgenMaps exclude each other")
	}
	b := &Backend{conn: c, log: log, layout: layout{numgenMaps: o.NumgenMaps, flat: o.Flat,
		maps: !o.Chains && !o.Flat && !o.NumgenMaps}}
	seen := map[Family]bool{}
	for _, f := range families {
		if (f != IPv4 && f != IPv6) || seen[f] {
			return nil, fmt.Errorf("nftables: bad or repeated family %d", f)
		}
		seen[f] = true
		if o.Shards <= 1 {
			b.tables = append(b.tables, newTable(famOf(f), tname, 0))
			continue
		}
		for i := range o.Shards {
			b.tables = append(b.tables, newTable(famOf(f), fmt.Sprintf("%s-%d", tname, i), i))
		}
	}
	b.shards = max(o.Shards, 1)
	return b, nil
}

// Close releases the netlink connection; the rules stay in place.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.close != nil {
		return b.close()
	}
	return nil
}

// FullSync replaces the backend's tables with state in one atomic batch:
// each table is deleted and rebuilt, so rules nobody asked for disappear.
func (b *Backend) FullSync(ctx context.Context, state *proxy.State) error {
	if err := b.check(ctx, "full sync"); err != nil {
		return err
	}
	for _, t := range b.tables {
		t.rebuild(b.conn, state, b.layout, b.shardOf)
	}
	return b.flush("full sync")
}

// Sync reconciles only the service ports named in changes, in one atomic
// batch.
func (b *Backend) Sync(ctx context.Context, state *proxy.State, changes *proxy.ChangeSet) error {
	if err := b.check(ctx, "sync"); err != nil {
		return err
	}
	touched := changes.Touched()
	if len(touched) == 0 {
		return nil
	}
	for _, t := range b.tables {
		if !t.built {
			return fmt.Errorf("%w: sync before a successful full sync", proxy.ErrBackend)
		}
	}
	for _, t := range b.tables {
		for _, n := range touched {
			if b.shardOf(n) == t.shard {
				t.reconcile(b.conn, n, state, b.layout)
			}
		}
		t.flushElems(b.conn)
	}
	return b.flush("sync")
}

// Cleanup deletes the backend's tables.
func (b *Backend) Cleanup(ctx context.Context) error {
	if err := b.check(ctx, "cleanup"); err != nil {
		return err
	}
	for _, t := range b.tables {
		b.conn.AddTable(t.table) // so that the delete cannot fail on a missing table
		b.conn.DelTable(t.table)
		t.reset()
	}
	return b.flush("cleanup")
}

// Programmed counts the rules and map/set elements in the tables (not
// counting dynamic affinity entries).
func (b *Backend) Programmed() proxy.Programmed {
	var p proxy.Programmed
	for _, t := range b.tables {
		p.Rules += t.rules
		p.Elements += t.elements
	}
	return p
}

// flush sends the queued batch. The context is checked before anything is
// queued (see check): a netlink batch cannot be abandoned half-built.
func (b *Backend) flush(what string) error {
	if err := b.conn.Flush(); err != nil {
		for _, t := range b.tables {
			t.built = false // records may not match the kernel any more
		}
		return fmt.Errorf("nftables %s: %w: %w", what, proxy.ErrBackend, err)
	}
	return nil
}

// check refuses work after Close or with a finished context.
func (b *Backend) check(ctx context.Context, what string) error {
	if b.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("nftables %s: %w", what, err)
	}
	return nil
}

// table is the record of what one family's table holds.
type table struct {
	f     fam
	name  string
	shard int
	table *nftables.Table
	sets  map[string]*nftables.Set
	ports map[proxy.ServicePortName]*portRecord
	// m is the record of the maps layout (Options.Chains unset).
	m     mapsState
	built bool
	// rules and elements count what is programmed.
	rules, elements int
}

// portRecord is what a service port has programmed in a table.
type portRecord struct {
	svc      string
	ext      string // "" without NodePort or external IPs
	eps      []string
	elems    []elem
	affinity bool
	layout   layout
	rules    int
	elements int
}

// layout is how service ports are programmed: maps (the default), or
// chains per service port (Options.Chains, NumgenMaps, Flat).
type layout struct {
	numgenMaps, flat, maps bool
}

// elem is one element of a verdict map.
type elem struct {
	set, key, chain string
	// ext marks an external IP or node port (masqueraded).
	ext bool
}

func newTable(f fam, name string, shard int) *table {
	t := &table{f: f, name: name, shard: shard, table: &nftables.Table{Name: name, Family: f.table}}
	t.reset()
	return t
}

func (t *table) reset() {
	t.ports = map[proxy.ServicePortName]*portRecord{}
	t.built = false
	t.rules, t.elements = 0, 0
	ipKey := nftables.MustConcatSetType(t.f.addrType, nftables.TypeInetProto, nftables.TypeInetService)
	portKey := nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService)
	t.sets = map[string]*nftables.Set{}
	for _, s := range []struct {
		name string
		key  nftables.SetDatatype
	}{{mapServiceIPs, ipKey}, {mapNoEndpointIPs, ipKey}, {mapNodePorts, portKey}, {mapNoEndpointNode, portKey}} {
		t.sets[s.name] = &nftables.Set{Table: t.table, Name: s.name, IsMap: true, Concatenation: true,
			KeyType: s.key, DataType: nftables.TypeVerdict}
	}
	t.resetMaps()
}

func (t *table) chain(name string) *nftables.Chain {
	return &nftables.Chain{Name: name, Table: t.table}
}

func (t *table) addRule(c conn, chain string, exprs ...expr.Any) {
	c.AddRule(&nftables.Rule{Table: t.table, Chain: t.chain(chain), Exprs: exprs})
}

// rebuild queues the deletion of the table and its complete rebuild.
func (t *table) rebuild(c conn, state *proxy.State, l layout, shardOf func(proxy.ServicePortName) int) {
	c.AddTable(t.table)
	c.DelTable(t.table)
	t.reset()
	c.AddTable(t.table)
	for _, s := range []string{mapServiceIPs, mapNoEndpointIPs, mapNodePorts, mapNoEndpointNode} {
		c.AddSet(t.sets[s], nil) //nolint:errcheck // only fails for element encoding; there are none
	}
	for _, n := range []string{chainServices, chainNoEndpoints, chainReject, chainMarkMasq} {
		c.AddChain(t.chain(n))
	}
	accept := nftables.ChainPolicyAccept
	base := func(n string, typ nftables.ChainType, hook *nftables.ChainHook, prio *nftables.ChainPriority) {
		c.AddChain(&nftables.Chain{Name: n, Table: t.table, Type: typ, Hooknum: hook, Priority: prio, Policy: &accept})
	}
	filterPrio := nftables.ChainPriorityRef(*nftables.ChainPriorityFilter - 10)
	base(chainNATPre, nftables.ChainTypeNAT, nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest)
	base(chainNATOut, nftables.ChainTypeNAT, nftables.ChainHookOutput, nftables.ChainPriorityNATDest)
	base(chainNATPost, nftables.ChainTypeNAT, nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource)
	base(chainFilterIn, nftables.ChainTypeFilter, nftables.ChainHookInput, filterPrio)
	base(chainFilterFwd, nftables.ChainTypeFilter, nftables.ChainHookForward, filterPrio)
	base(chainFilterOut, nftables.ChainTypeFilter, nftables.ChainHookOutput, filterPrio)

	t.addRule(c, chainNATPre, jump(chainServices))
	t.addRule(c, chainNATOut, jump(chainServices))
	t.addRule(c, chainNATPost,
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(masqMark), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Masq{FullyRandom: true})
	t.addRule(c, chainMarkMasq, setMasqMark()...)
	for _, n := range []string{chainFilterIn, chainFilterFwd, chainFilterOut} {
		t.addRule(c, n, jump(chainNoEndpoints))
	}
	t.addRule(c, chainServices, append(loadDaddrProtoPort(t.f), vmap(mapServiceIPs))...)
	t.addRule(c, chainServices, slices.Concat(localNonLoopback(t.f), loadProtoPort(), []expr.Any{vmap(mapNodePorts)})...)
	t.addRule(c, chainNoEndpoints, append(loadDaddrProtoPort(t.f), vmap(mapNoEndpointIPs))...)
	t.addRule(c, chainNoEndpoints, slices.Concat(localNonLoopback(t.f), loadProtoPort(), []expr.Any{vmap(mapNoEndpointNode)})...)
	t.addRule(c, chainReject,
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Reject{Type: unix.NFT_REJECT_TCP_RST})
	t.addRule(c, chainReject, &expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: t.f.rejectCode})
	t.rules = 15
	t.built = true
	if l.maps {
		t.buildMaps(c)
	}

	names := make([]proxy.ServicePortName, 0, len(state.Services))
	for n := range state.Services {
		if shardOf(n) == t.shard {
			names = append(names, n)
		}
	}
	slices.SortFunc(names, func(a, b proxy.ServicePortName) int { return strings.Compare(a.String(), b.String()) })
	for _, n := range names {
		t.reconcile(c, n, state, l)
	}
	t.flushElems(c)
}

// desired is what a service port should program in a table.
type desired struct {
	eps      []proxy.Endpoint
	epNames  []string
	affinity bool
	ext      bool
	elems    []elem
}

// want computes what a service port should program; with chains unset
// (the maps layout) it names no per-service or per-endpoint chains, and
// the elements pointing at the service leave chain empty.
func (t *table) want(n proxy.ServicePortName, sp *proxy.ServicePort, state *proxy.State, chains bool) *desired {
	d := &desired{affinity: sp.SessionAffinity == proxy.AffinityClientIP}
	aff := ""
	if d.affinity {
		aff = strconv.FormatInt(int64(sp.AffinityTimeout), 10)
	}
	for _, ep := range state.Endpoints[n] {
		if ep.Ready && t.f.has(ep.IP) {
			d.eps = append(d.eps, ep)
			if chains {
				d.epNames = append(d.epNames, epChainName(n, ep, aff))
			}
		}
	}
	var svc, ext string
	if chains {
		svc, ext = svcChainName(n), extChainName(n)
	}
	ipMap, nodeMap, target, extTarget := mapServiceIPs, mapNodePorts, svc, ext
	if len(d.eps) == 0 {
		ipMap, nodeMap, target, extTarget = mapNoEndpointIPs, mapNoEndpointNode, chainReject, chainReject
	}
	for _, ip := range sp.ClusterIPs {
		if t.f.has(ip) {
			d.elems = append(d.elems, elem{ipMap, string(ipProtoPortKey(t.f, ip, sp.Protocol, sp.Port)), target, false})
		}
	}
	if len(d.elems) == 0 {
		return nil // no cluster IP in this family
	}
	for _, ip := range sp.ExternalIPs {
		if t.f.has(ip) {
			d.elems = append(d.elems, elem{ipMap, string(ipProtoPortKey(t.f, ip, sp.Protocol, sp.Port)), extTarget, true})
			d.ext = len(d.eps) > 0
		}
	}
	if sp.NodePort != 0 {
		d.elems = append(d.elems, elem{nodeMap, string(protoPortKey(sp.Protocol, sp.NodePort)), extTarget, true})
		d.ext = len(d.eps) > 0
	}
	return d
}

// reconcile queues the changes that bring one service port's chains, sets
// and map elements from what was programmed to what state asks for. Every
// chain's content is a function of its name, except the service chain,
// which is rewritten when its endpoint list changes.
func (t *table) reconcile(c conn, n proxy.ServicePortName, state *proxy.State, l layout) {
	if l.maps {
		t.reconcileMaps(c, n, state)
		return
	}
	old := t.ports[n]
	var d *desired
	var sp *proxy.ServicePort
	if sp = state.Services[n]; sp != nil {
		d = t.want(n, sp, state, true)
	}
	if old == nil && d == nil {
		return
	}
	var rec *portRecord
	if d != nil {
		rec = &portRecord{svc: svcChainName(n), eps: d.epNames, elems: d.elems, affinity: d.affinity, layout: l}
		if d.ext {
			rec.ext = extChainName(n)
		}
	}
	var oldEps []string
	var oldElems []elem
	if old != nil {
		oldEps, oldElems = old.eps, old.elems
		t.rules -= old.rules
		t.elements -= old.elements
	}

	if rec != nil {
		// 1. New endpoint chains (and affinity sets).
		for i, name := range rec.eps {
			if slices.Contains(oldEps, name) {
				continue
			}
			set := ""
			if rec.affinity {
				set = name
				c.AddSet(&nftables.Set{Table: t.table, Name: set, KeyType: t.f.addrType, //nolint:errcheck // no elements
					HasTimeout: true, Timeout: sp.AffinityTimeout, Dynamic: true}, nil)
			}
			if l.flat {
				continue // the service chain holds the endpoint's rules
			}
			c.AddChain(t.chain(name))
			for _, r := range epRules(t.f, d.eps[i], set, sp.AffinityTimeout) {
				t.addRule(c, name, r...)
			}
		}
		// 2. The service chain, rewritten when its endpoints changed, and
		// the external chain in front of it.
		if old == nil {
			c.AddChain(t.chain(rec.svc))
		}
		if old == nil || !slices.Equal(oldEps, rec.eps) {
			if old != nil {
				c.FlushChain(t.chain(rec.svc))
			}
			t.svcRules(c, rec, d.eps, sp.AffinityTimeout)
		}
		if rec.ext != "" && (old == nil || old.ext == "") {
			c.AddChain(t.chain(rec.ext))
			t.addRule(c, rec.ext, jump(chainMarkMasq))
			t.addRule(c, rec.ext, goTo(rec.svc))
		}
		rec.count()
	}

	// 3. Map elements: removals first, so that no element points at a chain
	// deleted below.
	var newElems []elem
	if rec != nil {
		newElems = rec.elems
	}
	t.elementDiff(c, oldElems, newElems)

	// 4. Chains nobody points at any more.
	if old != nil {
		if old.ext != "" && (rec == nil || rec.ext == "") {
			c.FlushChain(t.chain(old.ext))
			c.DelChain(t.chain(old.ext))
		}
		if rec == nil {
			c.FlushChain(t.chain(old.svc))
			c.DelChain(t.chain(old.svc))
		}
		for _, name := range oldEps {
			if rec != nil && slices.Contains(rec.eps, name) {
				continue
			}
			if !old.layout.flat {
				c.FlushChain(t.chain(name))
				c.DelChain(t.chain(name))
			}
			if old.affinity {
				c.DelSet(&nftables.Set{Table: t.table, Name: name})
			}
		}
	}
	if rec == nil {
		delete(t.ports, n)
		return
	}
	t.ports[n] = rec
	t.rules += rec.rules
	t.elements += rec.elements
}

// svcRules queues the service chain's rules: affinity lookups, then a
// uniform random pick among the endpoints, either with one vmap or with a
// cascade where rule i is taken with probability 1/(N-i) when reached.
func (t *table) svcRules(c conn, rec *portRecord, eps []proxy.Endpoint, timeout time.Duration) {
	if rec.layout.flat {
		t.flatRules(c, rec, eps, timeout)
		return
	}
	if rec.affinity {
		for _, name := range rec.eps {
			t.addRule(c, rec.svc,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: t.f.saddrOff, Len: t.f.addrLen},
				&expr.Lookup{SourceRegister: 1, SetName: name},
				goTo(name))
		}
	}
	switch len(rec.eps) {
	case 0:
	case 1:
		t.addRule(c, rec.svc, goTo(rec.eps[0]))
	default:
		if !rec.layout.numgenMaps {
			n := len(rec.eps)
			for i, name := range rec.eps[:n-1] {
				t.addRule(c, rec.svc,
					&expr.Numgen{Register: 1, Modulus: uint32(n - i), Type: unix.NFT_NG_RANDOM},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
					goTo(name))
			}
			t.addRule(c, rec.svc, goTo(rec.eps[n-1]))
			return
		}
		elems := make([]nftables.SetElement, len(rec.eps))
		for i, name := range rec.eps {
			elems[i] = nftables.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(i)), VerdictData: goTo(name)}
		}
		set := &nftables.Set{Table: t.table, Anonymous: true, Constant: true, IsMap: true,
			KeyType: nftables.TypeInteger, DataType: nftables.TypeVerdict, KeyByteOrder: binaryutil.NativeEndian}
		c.AddSet(set, elems) //nolint:errcheck // verdict elements always encode
		t.addRule(c, rec.svc,
			&expr.Numgen{Register: 1, Modulus: uint32(len(rec.eps)), Type: unix.NFT_NG_RANDOM},
			&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID, IsDestRegSet: true})
	}
}

// elementDiff queues the removal of elements only in old and the addition
// of those only in new.
func (t *table) elementDiff(c conn, old, new []elem) {
	del := map[string][]nftables.SetElement{}
	add := map[string][]nftables.SetElement{}
	for _, e := range old {
		if !slices.Contains(new, e) {
			del[e.set] = append(del[e.set], nftables.SetElement{Key: []byte(e.key)})
		}
	}
	for _, e := range new {
		if !slices.Contains(old, e) {
			add[e.set] = append(add[e.set], nftables.SetElement{Key: []byte(e.key), VerdictData: goTo(e.chain)})
		}
	}
	for _, s := range []string{mapServiceIPs, mapNoEndpointIPs, mapNodePorts, mapNoEndpointNode} {
		if len(del[s]) > 0 {
			c.SetDeleteElements(t.sets[s], del[s]) //nolint:errcheck // keys always encode
		}
	}
	for _, s := range []string{mapServiceIPs, mapNoEndpointIPs, mapNodePorts, mapNoEndpointNode} {
		if len(add[s]) > 0 {
			c.SetAddElements(t.sets[s], add[s]) //nolint:errcheck // keys always encode
		}
	}
}

// count sets the record's rule and element counts.
func (r *portRecord) count() {
	perEp := 2
	if r.affinity {
		perEp = 3
	}
	r.rules = len(r.eps) * perEp
	r.elements = len(r.elems)
	if r.affinity {
		r.rules += len(r.eps)
	}
	switch {
	case r.layout.flat:
		// hairpin and pick per endpoint, no endpoint chains
		r.rules = len(r.eps) * 2
		if r.affinity {
			r.rules += len(r.eps)
		}
	case len(r.eps) > 1 && r.layout.numgenMaps:
		r.rules++
		r.elements += len(r.eps)
	default:
		r.rules += len(r.eps)
	}
	if r.ext != "" {
		r.rules += 2
	}
}

// Available reports whether this process may program nf_tables in the
// network namespace at netnsPath ("" for its own): it needs root and a
// kernel with nf_tables. It loads and removes a scratch table, so it
// answers for the real thing rather than guessing from the uid.
func Available(ctx context.Context, netnsPath string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not root", ErrUnavailable)
	}
	probe, err := New(&Options{NetNSPath: netnsPath, Table: "longshore-probe", Families: []Family{IPv4}})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer probe.Close()
	if err := probe.FullSync(ctx, proxy.NewState()); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := probe.Cleanup(ctx); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// ErrUnavailable is returned by Available when nf_tables cannot be used.
var ErrUnavailable = errors.New("nftables: unavailable")
