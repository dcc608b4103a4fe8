import type { IncomingMessage } from 'node:http';
import { AuthClientError } from '../errors';
import type { RevocationList } from './deny-list';
import { applySecurityEvent, SetError, VERIFICATION_EVENT, type SecurityEventToken, type SetVerifier } from './security-events';

/** Receiving the auth service's Shared Signals stream: push (RFC 8935) or poll (RFC 8936). */

export interface ReceiverOptions {
  verifier: SetVerifier;
  revocations: RevocationList;
  /** Called for every accepted SET after it is applied (logging, a verification's `state` check). */
  onEvent?: (set: SecurityEventToken, applied: 'session' | 'subject' | 'none') => void;
}

type Handler = (req: IncomingMessage & { body?: unknown }, res: { status(code: number): { json(body: unknown): void; end(): void } }) => void;

async function readBody(req: IncomingMessage & { body?: unknown }): Promise<string> {
  if (typeof req.body === 'string') return req.body;
  if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 64 * 1024) throw new SetError('invalid_request', 'The SET is too large.');
  }
  return text;
}

/**
 * An Express (or node:http-compatible) handler for push delivery (RFC 8935): mount it at the URL
 * given as the stream's `delivery.endpoint_url`. A valid SET is applied to the deny-list and
 * answered 202; an invalid one 400 with `{err, description}` (RFC 8935 §2.3). When the auth
 * service's keys cannot be fetched the answer is 503, so the transmitter retries.
 */
export function setPushHandler({ verifier, revocations, onEvent }: ReceiverOptions): Handler {
  return (req, res) => {
    void (async () => {
      try {
        const set = await verifier.verify((await readBody(req)).trim());
        const applied = applySecurityEvent(revocations, set, verifier.tokenIssuer);
        onEvent?.(set, applied);
        res.status(202).end();
      } catch (err) {
        if (err instanceof SetError) return res.status(400).json({ err: err.err, description: err.message });
        if (err instanceof AuthClientError) return res.status(503).json({ err: 'invalid_key', description: err.message });
        return res.status(500).json({ err: 'invalid_request', description: 'the receiver failed' });
      }
    })();
  };
}

export interface PollerOptions extends ReceiverOptions {
  /** The stream's `delivery.endpoint_url` (the auth service's poll URL). */
  pollUrl: string;
  /** A service token with the ssf.manage scope (client credentials), fetched again when it expires. */
  accessToken: () => Promise<string>;
  /** Wait after a failed poll. Default 1 s. */
  retryMs?: number;
  fetch?: typeof fetch;
  /** Called with errors of a poll (the poller keeps going). */
  onError?: (err: unknown) => void;
}

export interface Poller {
  stop(): Promise<void>;
}

/**
 * Polls the stream (RFC 8936) in a loop of long polls: each request acknowledges the SETs of the
 * previous answer (or reports those it refused in setErrs) and waits for the next ones, so
 * revocations arrive as soon as the transmitter has them. Keeps going through errors.
 */
export function startSetPoller(options: PollerOptions): Poller {
  const doFetch = options.fetch ?? fetch;
  let stopped = false;
  const abort = new AbortController();
  let ack: string[] = [];
  let setErrs: Record<string, { err: string; description: string }> = {};

  async function once(): Promise<void> {
    const res = await doFetch(options.pollUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await options.accessToken()}` },
      body: JSON.stringify({ ack, setErrs, maxEvents: 100, returnImmediately: false }),
      signal: abort.signal,
    });
    if (!res.ok) throw new Error(`the poll answered ${res.status}`);
    const body = (await res.json()) as { sets?: Record<string, string> };
    ack = [];
    setErrs = {};
    for (const [jti, set] of Object.entries(body.sets ?? {})) {
      try {
        const claims = await options.verifier.verify(set);
        const applied = applySecurityEvent(options.revocations, claims, options.verifier.tokenIssuer);
        options.onEvent?.(claims, applied);
        ack.push(jti);
      } catch (err) {
        // Not acknowledged when the keys were unavailable: the next poll returns it again.
        if (err instanceof SetError) setErrs[jti] = { err: err.err, description: err.message };
        else options.onError?.(err);
      }
    }
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        await once();
      } catch (err) {
        if (stopped) break;
        options.onError?.(err);
        await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 1_000));
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      abort.abort();
      await loop;
    },
  };
}

export { VERIFICATION_EVENT };
