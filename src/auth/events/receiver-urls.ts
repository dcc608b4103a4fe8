import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { AppError } from '../../errors/app-error';

/**
 * Where we may send events (issue 29): receivers are URLs that admins and service clients give us,
 * so an unchecked one would let them make this service call its own network (SSRF): the cloud
 * metadata address (169.254.169.254), the database, loopback admin ports. Only public unicast
 * addresses are allowed unless a network is listed in EVENTS_ALLOWED_NETWORKS; https is required in
 * production. The check runs when the URL is given and again at every connection (delivery.ts
 * resolves through addressAllowed), so a name that later resolves elsewhere (DNS rebinding) is refused.
 */
export interface ReceiverUrlPolicy {
  readonly requireHttps: boolean;
  /** CIDRs allowed although not public (e.g. 127.0.0.1/32 for tests on loopback, 10.0.0.0/8 inside a VPC). */
  readonly allowedNetworks: readonly string[];
}

function parsedNetworks(policy: ReceiverUrlPolicy): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return policy.allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
}

/** Whether a connection to `address` is allowed: a public unicast address, or one inside an allowed network. */
export function addressAllowed(policy: ReceiverUrlPolicy, address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  // ::ffff:10.0.0.1 is 10.0.0.1.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  for (const [network, bits] of parsedNetworks(policy)) {
    if (network.kind() === parsed.kind() && parsed.match(network, bits)) return true;
  }
  return parsed.range() === 'unicast';
}

function refused(reason: string): AppError {
  return new AppError('invalid_request', `The request body is invalid: url: ${reason}.`, {
    fields: { invalid_params: [{ name: 'url', reason }] },
  });
}

/**
 * Checks a receiver URL before it is stored: http(s) only (https when required), no credentials or
 * fragment, and a host whose every address is allowed. Throws invalid_request naming the problem.
 */
export async function assertReceiverUrl(policy: ReceiverUrlPolicy, value: string): Promise<URL> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refused('must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.requireHttps)) {
    throw refused(policy.requireHttps ? 'must use https' : 'must use http or https');
  }
  if (url.username || url.password) throw refused('must not carry credentials (use the authorization header or the signing secret)');
  if (url.hash) throw refused('must not have a fragment');
  if (value.length > 2_000) throw refused('must be at most 2000 characters');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (ipaddr.isValid(host)) {
    addresses = [host];
  } else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw refused(`its host ${host} does not resolve`);
    }
  }
  const blocked = addresses.find((a) => !addressAllowed(policy, a));
  if (blocked !== undefined) {
    throw refused(`its host resolves to ${blocked}, a private, loopback, link-local or reserved address; allow its network explicitly with EVENTS_ALLOWED_NETWORKS`);
  }
  return url;
}
