import ipaddr from 'ipaddr.js';

/**
 * The key a client address is throttled by. An IPv4 address is one key (an IPv4-mapped IPv6
 * address counts as the IPv4 address). An IPv6 address is keyed by its network prefix, /64 by
 * default: one subscriber commonly holds a whole /64 (RFC 6177), so keying single addresses
 * would give an attacker 2^64 fresh budgets. Anything unparsable is keyed as it is.
 */
export function clientAddressKey(ip: string, ipv6PrefixLength: number): string {
  return clientNetworkKeys(ip, ipv6PrefixLength, [])[0]!.key;
}

/** An IPv6 network wider than the client prefix, sharing `factor` times a per-address budget. */
export interface Ipv6Network {
  readonly prefixLength: number;
  readonly factor: number;
}

export interface NetworkKey {
  /** `198.51.100.7`, or `2001:db8::/64`, `2001:db8::/56`... */
  readonly key: string;
  /** How many times the per-address budget this key gets (1 for the client's own key). */
  readonly factor: number;
}

/**
 * The keys a client counts against, most specific first: its own key (clientAddressKey), then,
 * for IPv6, each wider network of `networks` (issue 22 M3). A subscriber is often given a /56 or
 * a /48 (RFC 6177): keyed by /64 alone, one /56 is 256 budgets. An IPv4 client has one key.
 */
export function clientNetworkKeys(ip: string, ipv6PrefixLength: number, networks: readonly Ipv6Network[]): NetworkKey[] {
  if (!ipaddr.isValid(ip)) return [{ key: ip, factor: 1 }];
  let address = ipaddr.parse(ip);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  if (address.kind() === 'ipv4') return [{ key: address.toString(), factor: 1 }];
  const text = address.toString();
  const keyAt = (length: number) => `${ipaddr.IPv6.networkAddressFromCIDR(`${text}/${length}`).toNormalizedString()}/${length}`;
  return [
    { key: keyAt(ipv6PrefixLength), factor: 1 },
    ...networks.filter((n) => n.prefixLength < ipv6PrefixLength).map((n) => ({ key: keyAt(n.prefixLength), factor: n.factor })),
  ];
}
