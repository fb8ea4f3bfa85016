package relay

import (
	"net/netip"
	"testing"
)

// issue 12, defect 8: every range of the SSRF table is refused from its
// first to its last address, and the addresses just outside it are allowed
// unless they belong to another refused range (named in the row). Every
// IPv4 range is also refused when written IPv4-mapped.
func TestSSRFPrefixTableRefusesEverySpecialPurposeRange(t *testing.T) {
	type row struct {
		prefix        string
		before, after bool // whether the neighbour just outside is refused too
	}
	rows := []row{
		{"0.0.0.0/8", true, false}, // no address before 0.0.0.0
		{"10.0.0.0/8", false, false},
		{"100.64.0.0/10", false, false},
		{"127.0.0.0/8", false, false},
		{"169.254.0.0/16", false, false},
		{"172.16.0.0/12", false, false},
		{"192.0.0.0/24", false, false},
		{"192.0.2.0/24", false, false},
		{"192.88.99.0/24", false, false},
		{"192.168.0.0/16", false, false},
		{"198.18.0.0/15", false, false},
		{"198.51.100.0/24", false, false},
		{"203.0.113.0/24", false, false},
		{"224.0.0.0/4", false, true}, // 240.0.0.0/4 follows
		{"240.0.0.0/4", true, true},  // after multicast; nothing after 255.255.255.255
		// IPv6 outside 2000::/3 has refused neighbours by the global
		// unicast rule.
		{"::/96", true, true},
		{"::ffff:0:0/96", true, true},
		{"64:ff9b::/96", true, true},
		{"64:ff9b:1::/48", true, true},
		{"100::/64", true, true},
		{"100:0:0:1::/64", true, true},
		{"2001::/23", false, false},
		{"2001:db8::/32", false, false},
		{"2002::/16", false, false},
		{"3fff::/20", false, false},
		{"5f00::/16", true, true},
		{"fc00::/7", true, true},
		{"fe80::/10", true, true},
		{"fec0::/10", true, true},
		{"ff00::/8", true, true},
	}
	inTable := map[netip.Prefix]bool{}
	for _, p := range deniedPrefixes {
		inTable[p] = true
	}
	for _, r := range rows {
		p := netip.MustParsePrefix(r.prefix)
		if !inTable[p] {
			t.Errorf("%s is missing from the SSRF table", p)
		}
		delete(inTable, p)
		first := p.Masked().Addr()
		last := lastAddr(p)
		for _, a := range []netip.Addr{first, first.Next(), last} {
			if publicAddress(a) {
				t.Errorf("%s (in %s) is allowed", a, p)
			}
			if a.Is4() && publicAddress(netip.AddrFrom16(a.As16())) {
				t.Errorf("%s (in %s, IPv4-mapped) is allowed", netip.AddrFrom16(a.As16()), p)
			}
		}
		if b := first.Prev(); b.IsValid() && publicAddress(b) == r.before {
			t.Errorf("%s, just before %s: allowed %v, want %v", b, p, publicAddress(b), !r.before)
		}
		if n := last.Next(); n.IsValid() && publicAddress(n) == r.after {
			t.Errorf("%s, just after %s: allowed %v, want %v", n, p, publicAddress(n), !r.after)
		}
	}
	for p := range inTable {
		t.Errorf("%s is in the SSRF table but not in this test", p)
	}
	// Global unicast is allowed; the edges of 2000::/3 are not.
	for a, want := range map[string]bool{
		"8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true, "2a00:1450:4001::200e": true, "::ffff:8.8.8.8": true,
		"2000::": true, "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": false, "4000::": false, "fe80::1%eth0": false,
		"100.100.100.200": false, "::ffff:100.100.100.200": false, "::8.8.8.8": false,
	} {
		if got := publicAddress(netip.MustParseAddr(a)); got != want {
			t.Errorf("%s: allowed %v, want %v", a, got, want)
		}
	}
	if publicOnlyControl("tcp", "[::ffff:169.254.169.254]:80", nil) == nil || publicOnlyControl("tcp", "93.184.215.14:443", nil) != nil {
		t.Error("the dialer's Control hook disagrees with the table")
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
