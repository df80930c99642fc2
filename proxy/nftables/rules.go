package nftables

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/longshore/longshore/proxy"
)

// Family is an IP family the backend programs, with its own table.
type Family int

// The families.
const (
	IPv4 Family = 4
	IPv6 Family = 6
)

// String returns "ip" or "ip6", the nftables family name.
func (f Family) String() string {
	if f == IPv6 {
		return "ip6"
	}
	return "ip"
}

// Names of the objects in each table.
const (
	chainServices     = "services"
	chainNoEndpoints  = "no-endpoints"
	chainReject       = "reject-no-endpoints"
	chainMarkMasq     = "mark-for-masquerade"
	chainNATPre       = "nat-prerouting"
	chainNATOut       = "nat-output"
	chainNATPost      = "nat-postrouting"
	chainFilterIn     = "filter-input"
	chainFilterFwd    = "filter-forward"
	chainFilterOut    = "filter-output"
	mapServiceIPs     = "service-ips"
	mapNodePorts      = "service-nodeports"
	mapNoEndpointIPs  = "no-endpoint-services"
	mapNoEndpointNode = "no-endpoint-nodeports"
)

// masqMark is the packet mark bit that asks postrouting to masquerade.
const masqMark = 0x4000

// 32-bit registers used for concatenated keys (NFT_REG32_00 onwards).
const reg32 = unix.NFT_REG32_00

// fam holds what differs between the IPv4 and IPv6 tables.
type fam struct {
	family   Family
	table    nftables.TableFamily
	addrLen  uint32
	saddrOff uint32
	daddrOff uint32
	addrType nftables.SetDatatype
	nfproto  uint32
	// rejectCode is the ICMP "port unreachable" code of the family.
	rejectCode uint8
}

func famOf(f Family) fam {
	if f == IPv6 {
		return fam{IPv6, nftables.TableFamilyIPv6, 16, 8, 24, nftables.TypeIP6Addr, unix.NFPROTO_IPV6, 4}
	}
	return fam{IPv4, nftables.TableFamilyIPv4, 4, 12, 16, nftables.TypeIPAddr, unix.NFPROTO_IPV4, 3}
}

func (f fam) has(ip netip.Addr) bool { return ip.Is4() == (f.family == IPv4) }

func (f fam) addrBytes(ip netip.Addr) []byte {
	if f.family == IPv4 {
		b := ip.As4()
		return b[:]
	}
	b := ip.As16()
	return b[:]
}

// name hashes parts into a short, stable, chain-name-safe suffix.
func name(prefix string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:10]))
}

func svcChainName(n proxy.ServicePortName) string {
	return name("svc-", n.Namespace, n.Name, n.Port)
}

func extChainName(n proxy.ServicePortName) string {
	return name("ext-", n.Namespace, n.Name, n.Port)
}

// epChainName names an endpoint's chain (and its affinity set): every
// input of the chain's rules is part of the name, so a chain's content
// never changes while it exists.
func epChainName(n proxy.ServicePortName, ep proxy.Endpoint, affinity string) string {
	return name("ep-", n.Namespace, n.Name, n.Port, ep.String(), affinity)
}

func protoNum(p proxy.Protocol) byte {
	switch p {
	case proxy.UDP:
		return unix.IPPROTO_UDP
	case proxy.SCTP:
		return unix.IPPROTO_SCTP
	}
	return unix.IPPROTO_TCP
}

// ipProtoPortKey is the key of service-ips: addr . inet_proto . inet_service,
// each field padded to 4 bytes.
func ipProtoPortKey(f fam, ip netip.Addr, p proxy.Protocol, port uint16) []byte {
	k := append([]byte{}, f.addrBytes(ip)...)
	k = append(k, protoNum(p), 0, 0, 0)
	k = binary.BigEndian.AppendUint16(k, port)
	return append(k, 0, 0)
}

func protoPortKey(p proxy.Protocol, port uint16) []byte {
	k := []byte{protoNum(p), 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(k[4:], port)
	return k
}

// loadDaddrProtoPort loads daddr . l4proto . th dport into consecutive
// 32-bit registers starting at reg32.
func loadDaddrProtoPort(f fam) []expr.Any {
	next := reg32 + f.addrLen/4
	return []expr.Any{
		&expr.Payload{DestRegister: reg32, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: f.addrLen},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: next},
		&expr.Payload{DestRegister: next + 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
	}
}

func loadProtoPort() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg32},
		&expr.Payload{DestRegister: reg32 + 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
	}
}

func vmap(set string) *expr.Lookup {
	return &expr.Lookup{SourceRegister: reg32, SetName: set, DestRegister: 0, IsDestRegSet: true}
}

// localNonLoopback matches packets to a local address of the node other
// than loopback (NodePorts are not served on 127.0.0.0/8 or ::1).
func localNonLoopback(f fam) []expr.Any {
	e := []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
	if f.family == IPv4 {
		return append(e,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: 1},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{127}})
	}
	return append(e,
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddrOff, Len: 16},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: netip.IPv6Loopback().AsSlice()})
}

func goTo(chain string) *expr.Verdict { return &expr.Verdict{Kind: expr.VerdictGoto, Chain: chain} }

func jump(chain string) *expr.Verdict { return &expr.Verdict{Kind: expr.VerdictJump, Chain: chain} }

// setMasqMark is `meta mark set meta mark | 0x4000`.
func setMasqMark() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(^uint32(masqMark)),
			Xor:  binaryutil.NativeEndian.PutUint32(masqMark)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
	}
}

// epRules are the rules of an endpoint chain: mark hairpin traffic for
// masquerade, refresh the client's affinity, DNAT.
func epRules(f fam, ep proxy.Endpoint, affinitySet string, timeout time.Duration) [][]expr.Any {
	addr := f.addrBytes(ep.IP)
	hairpin := append([]expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddrOff, Len: f.addrLen},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr},
	}, setMasqMark()...)
	rules := [][]expr.Any{hairpin}
	if affinitySet != "" {
		rules = append(rules, []expr.Any{
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddrOff, Len: f.addrLen},
			&expr.Dynset{SrcRegKey: 1, SetName: affinitySet, Operation: unix.NFT_DYNSET_OP_UPDATE, Timeout: timeout},
		})
	}
	rules = append(rules, []expr.Any{
		&expr.Immediate{Register: 1, Data: addr},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(ep.Port)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: f.nfproto, RegAddrMin: 1, RegProtoMin: 2},
	})
	return rules
}

// flatRules queues a flat service chain: a hairpin mark per endpoint,
// affinity hits (refreshing the entry) and a cascade of uniform picks, each
// DNATing to its endpoint directly.
func (t *table) flatRules(c conn, rec *portRecord, eps []proxy.Endpoint, timeout time.Duration) {
	f := t.f
	saddr := func() expr.Any {
		return &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddrOff, Len: f.addrLen}
	}
	dnat := func(ep proxy.Endpoint) []expr.Any {
		return []expr.Any{
			&expr.Immediate{Register: 1, Data: f.addrBytes(ep.IP)},
			&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(ep.Port)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: f.nfproto, RegAddrMin: 1, RegProtoMin: 2},
		}
	}
	refresh := func(i int) []expr.Any {
		if !rec.affinity {
			return nil
		}
		return []expr.Any{saddr(), &expr.Dynset{SrcRegKey: 1, SetName: rec.eps[i], Operation: unix.NFT_DYNSET_OP_UPDATE, Timeout: timeout}}
	}
	for _, ep := range eps {
		t.addRule(c, rec.svc, append([]expr.Any{saddr(), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: f.addrBytes(ep.IP)}}, setMasqMark()...)...)
	}
	if rec.affinity {
		for i, ep := range eps {
			t.addRule(c, rec.svc, slices.Concat([]expr.Any{saddr(), &expr.Lookup{SourceRegister: 1, SetName: rec.eps[i]}}, refresh(i), dnat(ep))...)
		}
	}
	n := len(eps)
	for i, ep := range eps {
		var pick []expr.Any
		if i < n-1 {
			pick = []expr.Any{
				&expr.Numgen{Register: 1, Modulus: uint32(n - i), Type: unix.NFT_NG_RANDOM},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
			}
		}
		t.addRule(c, rec.svc, slices.Concat(pick, refresh(i), dnat(ep))...)
	}
}
