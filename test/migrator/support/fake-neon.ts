import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';

/**
 * A local stand-in for the parts of Neon's API v2 that `rehearse --neon` uses, backed by the
 * test's PostgreSQL: a branch is `CREATE DATABASE ... TEMPLATE` of the parent branch's database
 * (a copy with the data, as Neon's copy-on-write branch is), its endpoint is the same server, and
 * operations report `running` until polled once, so the client has to poll. Requests are kept for
 * the test to look at. Shapes follow Neon's API reference (create branch, list endpoints, get
 * operation, connection_uri, delete branch).
 */
export interface FakeNeon {
  readonly url: string;
  readonly apiKey: string;
  readonly projectId: string;
  readonly requests: { method: string; path: string; body: unknown }[];
  /** Branch id → database backing it. */
  readonly branches: Map<string, string>;
  close(): Promise<void>;
}

interface Operation {
  id: string;
  project_id: string;
  branch_id: string;
  action: string;
  status: string;
  failures_count: number;
  polled: number;
}

export async function startFakeNeon(opts: { adminUrl: string; mainDatabase: string; mainHost: string }): Promise<FakeNeon> {
  const apiKey = `napi_${randomBytes(12).toString('hex')}`;
  const projectId = 'autumn-disk-484331';
  const requests: FakeNeon['requests'] = [];
  const branches = new Map<string, string>([['br-main-000001', opts.mainDatabase]]);
  const operations = new Map<string, Operation>();
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: opts.adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const operation = (branchId: string, action: string): Operation => {
    const op = { id: randomUUID(), project_id: projectId, branch_id: branchId, action, status: 'running', failures_count: 0, polled: 0 };
    operations.set(op.id, op);
    return op;
  };
  const shown = ({ polled: _polled, ...op }: Operation) => op;
  const body = (req: IncomingMessage) =>
    new Promise<unknown>((resolve) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => resolve(text ? JSON.parse(text) : undefined));
    });

  const server: Server = createServer(async (req, res) => {
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    try {
      const url = new URL(req.url ?? '/', 'http://fake');
      const payload = await body(req);
      requests.push({ method: req.method ?? '', path: `${url.pathname}${url.search}`, body: payload });
      if (req.headers.authorization !== `Bearer ${apiKey}`) return reply(401, { code: '', message: 'authentication required' });
      const prefix = `/api/v2/projects/${projectId}`;
      if (!url.pathname.startsWith(prefix)) return reply(404, { code: '', message: 'project not found' });
      const path = url.pathname.slice(prefix.length);
      if (req.method === 'GET' && path === '/endpoints') {
        return reply(200, { endpoints: [{ id: 'ep-main-000001', host: opts.mainHost, branch_id: 'br-main-000001', type: 'read_write', current_state: 'active' }] });
      }
      if (req.method === 'POST' && path === '/branches') {
        const { branch = {}, endpoints = [] } = (payload ?? {}) as { branch?: { name?: string; parent_id?: string }; endpoints?: { type: string }[] };
        const parent = branch.parent_id ?? 'br-main-000001';
        const source = branches.get(parent);
        if (!source) return reply(404, { code: '', message: `branch ${parent} not found` });
        const id = `br-${randomBytes(4).toString('hex')}`;
        const database = `${opts.mainDatabase}_${id.replace(/-/g, '_')}`;
        await admin(`CREATE DATABASE ${ident(database)} TEMPLATE ${ident(source)}`);
        branches.set(id, database);
        const ops = [operation(id, 'create_branch'), ...(endpoints.length ? [operation(id, 'start_compute')] : [])];
        return reply(201, {
          branch: { id, project_id: projectId, parent_id: parent, name: branch.name ?? id, current_state: 'init', pending_state: 'ready' },
          endpoints: endpoints.map((e) => ({ id: `ep-${id.slice(3)}`, host: opts.mainHost, branch_id: id, type: e.type, current_state: 'init', pending_state: 'active' })),
          operations: ops.map(shown),
        });
      }
      const op = /^\/operations\/([\w-]+)$/.exec(path);
      if (req.method === 'GET' && op) {
        const found = operations.get(op[1]!);
        if (!found) return reply(404, { code: '', message: 'operation not found' });
        // Running until it has been asked about once: the client must poll.
        if (++found.polled > 1) found.status = 'finished';
        return reply(200, { operation: shown(found) });
      }
      if (req.method === 'GET' && path === '/connection_uri') {
        const database = branches.get(url.searchParams.get('branch_id') ?? 'br-main-000001');
        if (!database) return reply(404, { code: '', message: 'branch not found' });
        const uri = new URL(opts.adminUrl);
        uri.pathname = `/${database}`;
        if (uri.username !== url.searchParams.get('role_name')) return reply(404, { code: '', message: 'role not found' });
        return reply(200, { uri: uri.toString() });
      }
      const del = /^\/branches\/([\w-]+)$/.exec(path);
      if (req.method === 'DELETE' && del) {
        const database = branches.get(del[1]!);
        if (!database || del[1] === 'br-main-000001') return reply(404, { code: '', message: 'branch not found' });
        await admin(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
        branches.delete(del[1]!);
        return reply(200, { branch: { id: del[1], project_id: projectId }, operations: [shown(operation(del[1]!, 'delete_timeline'))] });
      }
      return reply(404, { code: '', message: `no route ${req.method} ${path}` });
    } catch (err) {
      reply(500, { code: '', message: (err as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v2`,
    apiKey,
    projectId,
    requests,
    branches,
    close: async () => {
      for (const [id, database] of branches) if (id !== 'br-main-000001') await admin(`DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
