import ipaddr from 'ipaddr.js';

/**
 * The key a client address is throttled by. An IPv4 address is one key (an IPv4-mapped IPv6
 * address counts as the IPv4 address). An IPv6 address is keyed by its network prefix, /64 by
 * default: one subscriber commonly holds a whole /64 (RFC 6177), so keying single addresses
 * would give an attacker 2^64 fresh budgets. Anything unparsable is keyed as it is.
 */
export function clientAddressKey(ip: string, ipv6PrefixLength: number): string {
  if (!ipaddr.isValid(ip)) return ip;
  let address = ipaddr.parse(ip);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  if (address.kind() === 'ipv4') return address.toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${ipv6PrefixLength}`);
  return `${network.toNormalizedString()}/${ipv6PrefixLength}`;
}
