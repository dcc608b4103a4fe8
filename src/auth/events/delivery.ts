import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import ipaddr from 'ipaddr.js';
import { addressAllowed, type ReceiverUrlPolicy } from './receiver-urls';

export interface DeliveryResponse {
  status: number;
  /** The first 4 KiB of the answer (RFC 8935 error objects are small). */
  body: string;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * One POST to a receiver: no redirect is followed (a 3xx is an answer like any other), the whole
 * exchange is bounded by `timeoutMs`, and the connection goes only to an address the policy allows:
 * the resolver is ours, so what was checked is what is connected to (no DNS rebinding between a
 * check and the connection). Resolves with the status, rejects on a network error or timeout.
 */
export function postToReceiver(
  policy: ReceiverUrlPolicy,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<DeliveryResponse> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (ipaddr.isValid(host) && !addressAllowed(policy, host)) {
    return Promise.reject(new Error(`refused: ${host} is not an allowed address (EVENTS_ALLOWED_NETWORKS)`));
  }
  const lookup = (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const allowed = addresses.filter((a) => addressAllowed(policy, a.address));
      if (allowed.length === 0) return callback(Object.assign(new Error(`refused: ${hostname} resolves to no allowed address (EVENTS_ALLOWED_NETWORKS)`), { code: 'EREFUSED' }), '');
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'cathouse-auth-events/1' },
        lookup: lookup as never,
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (text.length < 4_096) text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text.slice(0, 4_096) }));
        response.on('error', reject);
      },
    );
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('close', () => clearTimeout(deadline));
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}
