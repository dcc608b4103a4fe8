import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** A request a stand-in server received. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LocalServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

async function listen(handler: (req: SeenRequest, reply: (status: number, body: string, type?: string) => void) => void, { stall = false } = {}): Promise<LocalServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      // A stalling server reads the request and never answers: the timeout path.
      if (stall) return;
      handler(seen, (status, body, type = 'text/plain') => res.writeHead(status, { 'content-type': type }).end(body));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const sha1 = (password: string) => createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();

/**
 * A stand-in for api.pwnedpasswords.com/range/{prefix} speaking its exact format: `SUFFIX:COUNT`
 * lines separated by CRLF, upper-case hex, and with `Add-Padding: true` between 800 and 1,000
 * lines in all, the added ones random suffixes with count 0. `breached` lists passwords with their
 * counts; `paddedAs` passwords whose suffix comes back only as a padding line (count 0).
 */
export async function startRangeServer(breached: Record<string, number>, { paddedAs = [] as string[] } = {}): Promise<LocalServer> {
  const ranges = new Map<string, string[]>();
  const add = (password: string, count: number) => {
    const hex = sha1(password);
    const lines = ranges.get(hex.slice(0, 5)) ?? [];
    lines.push(`${hex.slice(5)}:${count}`);
    ranges.set(hex.slice(0, 5), lines);
  };
  for (const [password, count] of Object.entries(breached)) add(password, count);
  for (const password of paddedAs) add(password, 0);
  return listen((req, reply) => {
    const match = /^\/range\/([0-9A-F]{5})$/.exec(req.path);
    if (!match) return reply(400, 'The hash prefix was not in a valid format');
    const lines = [...(ranges.get(match[1]!) ?? [])];
    if (req.headers['add-padding'] === 'true') {
      const target = 800 + Math.floor(Math.random() * 201);
      while (lines.length < target) lines.push(`${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);
      lines.sort();
    }
    reply(200, lines.join('\r\n'));
  });
}

/** A server that takes requests and never answers. */
export function startStallingServer(): Promise<LocalServer> {
  return listen(() => {}, { stall: true });
}

export interface IssuedToken {
  hostname: string;
  action?: string;
}

/**
 * A stand-in for Turnstile's / hCaptcha's siteverify: a form POST of secret, response and
 * remoteip, answered with their JSON (`success`, `challenge_ts`, `hostname`, `action`,
 * `error-codes`). Tokens are issued by the test (`issue`) and work once: a second use answers
 * `timeout-or-duplicate`, as Turnstile does.
 */
export async function startSiteverifyServer(secret: string): Promise<LocalServer & { issue(token: IssuedToken): string }> {
  const issued = new Map<string, IssuedToken>();
  const spent = new Set<string>();
  const server = await listen((req, reply) => {
    const json = (body: unknown) => reply(200, JSON.stringify(body), 'application/json');
    if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-www-form-urlencoded') return json({ success: false, 'error-codes': ['bad-request'] });
    const form = new URLSearchParams(req.body);
    if (form.get('secret') !== secret) return json({ success: false, 'error-codes': ['invalid-input-secret'] });
    const response = form.get('response');
    if (!response) return json({ success: false, 'error-codes': ['missing-input-response'] });
    const token = issued.get(response);
    if (!token) return json({ success: false, 'error-codes': ['invalid-input-response'] });
    if (spent.has(response)) return json({ success: false, 'error-codes': ['timeout-or-duplicate'] });
    spent.add(response);
    json({ success: true, challenge_ts: new Date().toISOString(), hostname: token.hostname, 'error-codes': [], ...(token.action ? { action: token.action, cdata: '' } : {}) });
  });
  return {
    ...server,
    issue(token) {
      const value = `0.${randomBytes(24).toString('base64url')}`;
      issued.set(value, token);
      return value;
    },
  };
}
