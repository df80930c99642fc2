package nftables

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/longshore/longshore/proxy"
)

// This file holds the default "maps" layout: a fixed set of chains whose
// rules dispatch through maps, so that a service port is nothing but map
// elements. See the package documentation.

// Names of the maps layout's own sets and maps.
const (
	mapServiceIDs  = "service-ids"   // addr . proto . port : service id
	mapNodePortIDs = "nodeport-ids"  // proto . port : service id
	mapEndpoints   = "endpoints"     // service id . index : addr . port
	setHairpin     = "hairpin"       // addr . addr, one per endpoint address
	mapAffinity    = "affinity"      // client addr . service id : addr . port (dynamic, timed)
	setAffinityEps = "affinity-live" // service id . addr . port of ClientIP services
)

// dynsetOpDelete is NFT_DYNSET_OP_DELETE (Linux 5.18), which x/sys/unix
// does not name.
const dynsetOpDelete = 2

// elemChunk bounds the elements queued in one netlink message: a message's
// element list is one attribute, whose length field has 16 bits.
const elemChunk = 256

// pickKind is how a pick chain finds its service id.
type pickKind string

const (
	pickClusterIP pickKind = "ip"   // by daddr . l4proto . dport, no masquerade
	pickExternal  pickKind = "ext"  // the same key, marked for masquerade
	pickNodePort  pickKind = "node" // by l4proto . dport, marked for masquerade
)

// pickChainName names the shared chain that picks one of n endpoints for
// every service port of a kind (and affinity timeout).
func pickChainName(k pickKind, n int, timeout time.Duration) string {
	if timeout > 0 {
		return fmt.Sprintf("pick-%s-%d-aff%d", k, n, int64(timeout/time.Second))
	}
	return fmt.Sprintf("pick-%s-%d", k, n)
}

// kv is one element of a named set or map of the maps layout: val is the
// data of a data map, the chain of a verdict map, "" for a set.
type kv struct {
	set, key, val string
}

// mapsRecord is what a service port has programmed in the maps layout.
type mapsRecord struct {
	id    uint32
	elems []kv
	// slots are the endpoints (epValue) by index in the endpoints map.
	slots []string
	// hairpin lists the endpoint addresses (as map keys) the port counts
	// in the table's hairpin set.
	hairpin []string
}

// mapsState is a table's record for the maps layout.
type mapsState struct {
	nextID  uint32
	ports   map[proxy.ServicePortName]*mapsRecord
	picks   map[string]bool
	hairpin map[string]int // endpoint address -> references
	// del and add collect the element changes of a batch, by set.
	del, add map[string][]kv
	buf      []nftables.SetElement
}

func (t *table) resetMaps() {
	t.m = mapsState{
		nextID:  1,
		ports:   map[proxy.ServicePortName]*mapsRecord{},
		picks:   map[string]bool{},
		hairpin: map[string]int{},
		del:     map[string][]kv{},
		add:     map[string][]kv{},
	}
	f := t.f
	ipKey := nftables.MustConcatSetType(f.addrType, nftables.TypeInetProto, nftables.TypeInetService)
	portKey := nftables.MustConcatSetType(nftables.TypeInetProto, nftables.TypeInetService)
	epData := nftables.MustConcatSetType(f.addrType, nftables.TypeInetService)
	for _, s := range []*nftables.Set{
		{Name: mapServiceIDs, IsMap: true, Concatenation: true, KeyType: ipKey, DataType: nftables.TypeMark},
		{Name: mapNodePortIDs, IsMap: true, Concatenation: true, KeyType: portKey, DataType: nftables.TypeMark},
		{Name: mapEndpoints, IsMap: true, Concatenation: true,
			KeyType: nftables.MustConcatSetType(nftables.TypeMark, nftables.TypeMark), DataType: epData},
		{Name: setHairpin, Concatenation: true, KeyType: nftables.MustConcatSetType(f.addrType, f.addrType)},
		{Name: mapAffinity, IsMap: true, Concatenation: true, Dynamic: true, HasTimeout: true,
			KeyType: nftables.MustConcatSetType(f.addrType, nftables.TypeMark), DataType: epData},
		{Name: setAffinityEps, Concatenation: true,
			KeyType: nftables.MustConcatSetType(nftables.TypeMark, f.addrType, nftables.TypeInetService)},
	} {
		s.Table = t.table
		t.sets[s.Name] = s
	}
}

// buildMaps queues the maps layout's own sets and rules of a freshly
// added table (the shared base chains are already queued).
func (t *table) buildMaps(c conn) {
	for _, s := range []string{mapServiceIDs, mapNodePortIDs, mapEndpoints, setHairpin, mapAffinity, setAffinityEps} {
		c.AddSet(t.sets[s], nil) //nolint:errcheck // only fails for element encoding; there are none
	}
	// Hairpin: after DNAT a packet whose source is its destination went
	// from an endpoint back to itself, and must be masqueraded to return.
	a := t.f.addrLen
	t.addRule(c, chainNATPost,
		&expr.Payload{DestRegister: reg32, Base: expr.PayloadBaseNetworkHeader, Offset: t.f.saddrOff, Len: a},
		&expr.Payload{DestRegister: reg32 + a/4, Base: expr.PayloadBaseNetworkHeader, Offset: t.f.daddrOff, Len: a},
		&expr.Lookup{SourceRegister: reg32, SetName: setHairpin},
		&expr.Masq{FullyRandom: true})
	t.rules++
}

// r returns the i-th 32-bit register.
func r(i uint32) uint32 { return reg32 + i }

// ensurePick queues the pick chain for n endpoints of a kind (and
// affinity timeout) unless the table has it, and returns its name.
func (t *table) ensurePick(c conn, k pickKind, n int, timeout time.Duration) string {
	chain := pickChainName(k, n, timeout)
	if t.m.picks[chain] {
		return chain
	}
	t.m.picks[chain] = true
	c.AddChain(t.chain(chain))
	for _, rule := range pickRules(t.f, k, n, timeout) {
		t.addRule(c, chain, rule...)
		t.rules++
	}
	return chain
}

// pickRules are the rules of a pick chain. Registers, in 32-bit units
// with a the address length: the service key from 0, the service id, the
// endpoint index and the endpoint (address . port) after it.
func pickRules(f fam, k pickKind, n int, timeout time.Duration) [][]expr.Any {
	a := f.addrLen / 4
	key, idMap := loadDaddrProtoPort(f), mapServiceIDs
	if k == pickNodePort {
		key, idMap = loadProtoPort(), mapNodePortIDs
	}
	var rules [][]expr.Any
	if k != pickClusterIP {
		rules = append(rules, setMasqMark())
	}
	saddr := func(reg uint32) expr.Any {
		return &expr.Payload{DestRegister: reg, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddrOff, Len: f.addrLen}
	}
	idLookup := func(dst uint32) expr.Any {
		return &expr.Lookup{SourceRegister: r(0), SetName: idMap, DestRegister: dst, IsDestRegSet: true}
	}
	numgen := func(dst uint32) expr.Any {
		return &expr.Numgen{Register: dst, Modulus: uint32(n), Type: unix.NFT_NG_RANDOM}
	}
	dnat := func(ep uint32) expr.Any {
		return &expr.NAT{Type: expr.NATTypeDestNAT, Family: f.nfproto, RegAddrMin: r(ep), RegProtoMin: r(ep + a)}
	}
	if timeout <= 0 {
		// The layout nft itself uses for `dnat to KEY map @m`, so that
		// `nft list` can show the rule: the key from register 0, the id
		// over it and the index after it, the endpoint over both.
		return append(rules, slices.Concat(key, []expr.Any{
			idLookup(r(0)),
			numgen(r(1)),
			&expr.Lookup{SourceRegister: r(0), SetName: mapEndpoints, DestRegister: r(0), IsDestRegSet: true},
			dnat(0),
		}))
	}
	// ClientIP affinity. The key is read first; then the client address
	// overwrites it so that client . id is contiguous:
	// client (0..a-1) | id (a) | endpoint (a+1..2a+1).
	hit := slices.Concat(key, []expr.Any{
		idLookup(r(a)),
		saddr(r(0)),
		&expr.Lookup{SourceRegister: r(0), SetName: mapAffinity, DestRegister: r(a + 1), IsDestRegSet: true},
		// The remembered endpoint must still be one of the service's.
		&expr.Lookup{SourceRegister: r(a), SetName: setAffinityEps},
		&expr.Dynset{SrcRegKey: r(0), SrcRegData: r(a + 1), SetName: mapAffinity, Operation: unix.NFT_DYNSET_OP_UPDATE, Timeout: timeout},
		dnat(a + 1),
	})
	// A remembered endpoint that left: forget it, so that the pick below
	// records the new choice (an update only refreshes an entry's timeout).
	stale := slices.Concat(key, []expr.Any{
		idLookup(r(a)),
		saddr(r(0)),
		&expr.Lookup{SourceRegister: r(0), SetName: mapAffinity, DestRegister: r(a + 1), IsDestRegSet: true},
		&expr.Lookup{SourceRegister: r(a), SetName: setAffinityEps, Invert: true},
		// The kernel wants data registers for any dynset on a map.
		&expr.Dynset{SrcRegKey: r(0), SrcRegData: r(a + 1), SetName: mapAffinity, Operation: dynsetOpDelete},
	})
	// client (0..a-1) | id (a) | index (a+1) | endpoint (a+2..2a+2).
	pick := slices.Concat(key, []expr.Any{
		idLookup(r(a)),
		saddr(r(0)),
		numgen(r(a + 1)),
		&expr.Lookup{SourceRegister: r(a), SetName: mapEndpoints, DestRegister: r(a + 2), IsDestRegSet: true},
		&expr.Dynset{SrcRegKey: r(0), SrcRegData: r(a + 2), SetName: mapAffinity, Operation: unix.NFT_DYNSET_OP_UPDATE, Timeout: timeout},
		dnat(a + 2),
	})
	return append(rules, hit, stale, pick)
}

// epValue encodes an endpoint as map data: address . port, the port
// padded to 4 bytes.
func epValue(f fam, ep proxy.Endpoint) string {
	v := append([]byte{}, f.addrBytes(ep.IP)...)
	v = binary.BigEndian.AppendUint16(v, ep.Port)
	return string(append(v, 0, 0))
}

// idBytes encodes a service id as nft shows a mark (host byte order).
func idBytes(id uint32) string { return string(binaryutil.NativeEndian.PutUint32(id)) }

// reconcileMaps queues the element changes that bring one service port
// from what it programmed to what state asks for. Chains are shared and
// only ever added (a pick chain for a new endpoint count), so a change
// costs the kernel a few element operations whatever the table's size.
func (t *table) reconcileMaps(c conn, n proxy.ServicePortName, state *proxy.State) {
	old := t.m.ports[n]
	var d *desired
	var sp *proxy.ServicePort
	if sp = state.Services[n]; sp != nil {
		d = t.want(n, sp, state, false)
	}
	if old == nil && d == nil {
		return
	}
	var rec *mapsRecord
	if d != nil {
		rec = &mapsRecord{}
		if old != nil {
			rec.id = old.id
		} else {
			rec.id = t.m.nextID
			t.m.nextID++
		}
		var oldSlots []string
		if old != nil {
			oldSlots = old.slots
		}
		rec.slots = assignSlots(oldSlots, t.f, d.eps)
		rec.elems = t.mapsElems(c, rec.id, sp, d, rec.slots)
		for _, ep := range d.eps {
			rec.hairpin = append(rec.hairpin, string(t.f.addrBytes(ep.IP)))
		}
	}
	var oldElems, newElems []kv
	var oldHairpin, newHairpin []string
	if old != nil {
		oldElems, oldHairpin = old.elems, old.hairpin
		t.elements -= len(old.elems)
	}
	if rec != nil {
		newElems, newHairpin = rec.elems, rec.hairpin
		t.elements += len(rec.elems)
	}
	// Set semantics: a key whose value changed is deleted, then added.
	var oldSet, newSet map[kv]bool
	if len(oldElems) > 0 && len(newElems) > 0 {
		oldSet = make(map[kv]bool, len(oldElems))
		for _, e := range oldElems {
			oldSet[e] = true
		}
		newSet = make(map[kv]bool, len(newElems))
		for _, e := range newElems {
			newSet[e] = true
		}
	}
	for _, e := range oldElems {
		if !newSet[e] {
			t.m.del[e.set] = append(t.m.del[e.set], e)
		}
	}
	for _, e := range newElems {
		if !oldSet[e] {
			t.m.add[e.set] = append(t.m.add[e.set], e)
		}
	}
	// Count the new references first, so that an address the port keeps
	// never drops to zero.
	for _, ip := range newHairpin {
		if t.m.hairpin[ip]++; t.m.hairpin[ip] == 1 {
			t.m.add[setHairpin] = append(t.m.add[setHairpin], kv{setHairpin, ip + ip, ""})
			t.elements++
		}
	}
	for _, ip := range oldHairpin {
		if t.m.hairpin[ip]--; t.m.hairpin[ip] == 0 {
			delete(t.m.hairpin, ip)
			t.m.del[setHairpin] = append(t.m.del[setHairpin], kv{setHairpin, ip + ip, ""})
			t.elements--
		}
	}
	if rec == nil {
		delete(t.m.ports, n)
		return
	}
	t.m.ports[n] = rec
}

// element converts a kv to a set element of its set.
func (t *table) element(e kv) nftables.SetElement {
	switch e.set {
	case mapServiceIPs, mapNodePorts, mapNoEndpointIPs, mapNoEndpointNode:
		return nftables.SetElement{Key: []byte(e.key), VerdictData: goTo(e.val)}
	case setAffinityEps, setHairpin:
		return nftables.SetElement{Key: []byte(e.key)}
	}
	return nftables.SetElement{Key: []byte(e.key), Val: []byte(e.val)}
}

// mapsElems lists the elements a service port programs, queueing the pick
// chains they point at when the table lacks them.
func (t *table) mapsElems(c conn, id uint32, sp *proxy.ServicePort, d *desired, slots []string) []kv {
	var out []kv
	n := len(d.eps)
	var timeout time.Duration
	if d.affinity {
		timeout = max(sp.AffinityTimeout.Round(time.Second), time.Second)
	}
	for _, e := range d.elems {
		target := e.chain
		if n > 0 {
			switch {
			case e.set == mapNodePorts:
				target = t.ensurePick(c, pickNodePort, n, timeout)
				out = append(out, kv{mapNodePortIDs, e.key, idBytes(id)})
			case e.ext:
				target = t.ensurePick(c, pickExternal, n, timeout)
				out = append(out, kv{mapServiceIDs, e.key, idBytes(id)})
			default:
				target = t.ensurePick(c, pickClusterIP, n, timeout)
				out = append(out, kv{mapServiceIDs, e.key, idBytes(id)})
			}
		}
		out = append(out, kv{e.set, e.key, target})
	}
	for i, v := range slots {
		idx := binaryutil.NativeEndian.PutUint32(uint32(i))
		out = append(out, kv{mapEndpoints, idBytes(id) + string(idx), v})
		if d.affinity {
			out = append(out, kv{setAffinityEps, idBytes(id) + v, ""})
		}
	}
	return out
}

// assignSlots gives each endpoint an index in the endpoints map, keeping
// the index of every endpoint that stays, so that replacing one endpoint
// changes one element: endpoints that left free their index for the
// newcomers, and when the list shrinks the last ones move into the holes.
// Without an old assignment the order is eps's.
func assignSlots(old []string, f fam, eps []proxy.Endpoint) []string {
	want := make(map[string]bool, len(eps))
	vals := make([]string, len(eps))
	for i, ep := range eps {
		vals[i] = epValue(f, ep)
		want[vals[i]] = true
	}
	if len(old) == 0 {
		return vals
	}
	slots := make([]string, len(old), max(len(old), len(eps)))
	kept := make(map[string]bool, len(old))
	for i, v := range old {
		if want[v] {
			slots[i] = v
			kept[v] = true
		}
	}
	hole := 0
	for _, v := range vals {
		if kept[v] {
			continue
		}
		for hole < len(slots) && slots[hole] != "" {
			hole++
		}
		if hole < len(slots) {
			slots[hole] = v
		} else {
			slots = append(slots, v)
		}
	}
	// Fill the remaining holes from the end.
	for i := 0; i < len(slots); i++ {
		if slots[i] != "" {
			continue
		}
		for len(slots) > i && slots[len(slots)-1] == "" {
			slots = slots[:len(slots)-1]
		}
		if i < len(slots) {
			slots[i] = slots[len(slots)-1]
			slots = slots[:len(slots)-1]
		}
	}
	return slots
}

// flushElems queues the element changes collected by reconcileMaps:
// every deletion before any addition, in messages of at most elemChunk
// elements.
func (t *table) flushElems(c conn) {
	order := []string{mapServiceIPs, mapNodePorts, mapNoEndpointIPs, mapNoEndpointNode,
		mapServiceIDs, mapNodePortIDs, mapEndpoints, setAffinityEps, setHairpin}
	// The connection encodes each message as it is queued, so one buffer
	// of elements serves every chunk.
	for _, s := range order {
		for kvs := range slices.Chunk(t.m.del[s], elemChunk) {
			t.m.buf = t.m.buf[:0]
			for _, e := range kvs {
				t.m.buf = append(t.m.buf, nftables.SetElement{Key: []byte(e.key)})
			}
			c.SetDeleteElements(t.sets[s], t.m.buf) //nolint:errcheck // keys always encode
		}
	}
	for _, s := range order {
		for kvs := range slices.Chunk(t.m.add[s], elemChunk) {
			t.m.buf = t.m.buf[:0]
			for _, e := range kvs {
				t.m.buf = append(t.m.buf, t.element(e))
			}
			c.SetAddElements(t.sets[s], t.m.buf) //nolint:errcheck // keys always encode
		}
	}
	clear(t.m.del)
	clear(t.m.add)
}
