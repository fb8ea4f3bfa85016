package relay

import (
	"errors"
	"net/netip"
	"syscall"
)

// Webhook SSRF policy: merchant URLs are untrusted, so in live mode the
// relay connects only to global unicast addresses. IPv4-mapped IPv6
// addresses are unmapped first; IPv6 must be in 2000::/3 (global unicast);
// and every entry of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries that is not globally reachable (and the deprecated or
// translation prefixes that embed an IPv4 address we could not check) is
// refused. The check runs on the address actually dialed (after DNS), so a
// name that resolves to a private address is refused too.
//
// Sources: https://www.iana.org/assignments/iana-ipv4-special-registry and
// https://www.iana.org/assignments/iana-ipv6-special-registry.
var deniedPrefixes = []netip.Prefix{
	// IPv4 special-purpose registry (not globally reachable).
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network" (RFC 791)
	netip.MustParsePrefix("10.0.0.0/8"),      // private (RFC 1918)
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space / CGNAT, cloud metadata 100.100.100.200 (RFC 6598)
	netip.MustParsePrefix("127.0.0.0/8"),     // loopback (RFC 1122)
	netip.MustParsePrefix("169.254.0.0/16"),  // link local, cloud metadata 169.254.169.254 (RFC 3927)
	netip.MustParsePrefix("172.16.0.0/12"),   // private (RFC 1918)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments (RFC 6890)
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation TEST-NET-1 (RFC 5737)
	netip.MustParsePrefix("192.88.99.0/24"),  // deprecated 6to4 relay anycast (RFC 7526)
	netip.MustParsePrefix("192.168.0.0/16"),  // private (RFC 1918)
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking (RFC 2544)
	netip.MustParsePrefix("198.51.100.0/24"), // documentation TEST-NET-2 (RFC 5737)
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation TEST-NET-3 (RFC 5737)
	netip.MustParsePrefix("224.0.0.0/4"),     // multicast (RFC 5771): not unicast
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255 limited broadcast (RFC 1112, RFC 919)

	// IPv6 special-purpose registry (not globally reachable). Most lie
	// outside 2000::/3 and are refused by the global unicast rule anyway;
	// they are listed so that the table is the registry.
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (deprecated, RFC 4291), incl. :: and ::1
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped (checked unmapped, never as IPv6)
	netip.MustParsePrefix("64:ff9b::/96"),   // IPv4/IPv6 translation, NAT64 (RFC 6052)
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use IPv4/IPv6 translation (RFC 8215)
	netip.MustParsePrefix("100::/64"),       // discard-only (RFC 6666)
	netip.MustParsePrefix("100:0:0:1::/64"), // dummy IPv6 prefix (RFC 9780)
	netip.MustParsePrefix("2001::/23"),      // IETF protocol assignments (RFC 2928): Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID 2001:10::/28 …
	netip.MustParsePrefix("2001:db8::/32"),  // documentation (RFC 3849)
	netip.MustParsePrefix("2002::/16"),      // 6to4 (RFC 3056): embeds any IPv4 address
	netip.MustParsePrefix("3fff::/20"),      // documentation (RFC 9637)
	netip.MustParsePrefix("5f00::/16"),      // segment routing SIDs (RFC 9602)
	netip.MustParsePrefix("fc00::/7"),       // unique local (RFC 4193)
	netip.MustParsePrefix("fe80::/10"),      // link-local unicast (RFC 4291)
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated, RFC 3879)
	netip.MustParsePrefix("ff00::/8"),       // multicast: not unicast
}

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// publicAddress reports whether the relay may connect to a: a global
// unicast address in no denied prefix.
func publicAddress(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	if a.Is6() && !globalUnicast6.Contains(a) {
		return false
	}
	for _, p := range deniedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// errAddressNotAllowed is the dialer's refusal; the delivery log shows it
// as address_not_allowed.
var errAddressNotAllowed = errors.New("webhook address is not allowed")

// publicOnlyControl is the dialer's Control hook: it sees the resolved
// address about to be connected to.
func publicOnlyControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !publicAddress(ap.Addr()) {
		return errAddressNotAllowed
	}
	return nil
}
