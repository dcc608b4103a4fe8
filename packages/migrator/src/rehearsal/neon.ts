import { randomBytes } from 'node:crypto';
import { MigratorError } from '../errors';
import { redact } from '../pooler';

/**
 * A rehearsal on a Neon branch: a copy-on-write copy of the database with its data, made through
 * Neon's HTTP API (v2, https://console.neon.tech/api/v2) as the seed's guide made one by hand.
 * Uses five of its calls: list endpoints (to branch from the migration database's own branch),
 * create a branch with a read-write endpoint, poll its operations, read the branch's connection
 * URI, delete the branch.
 */

export const NEON_API_URL = 'https://console.neon.tech/api/v2';

export interface NeonSettings {
  readonly apiKey: string;
  readonly projectId: string;
  /** Default: Neon's own (NEON_API_URL). A test points it at a local server. */
  readonly apiUrl?: string;
  /** The branch to copy; default: the branch of the migration database's endpoint, else the project's default branch. */
  readonly parentBranchId?: string;
  /** How long to wait for Neon's operations (default 5 minutes). */
  readonly timeoutMs?: number;
}

export interface NeonBranch {
  readonly id: string;
  readonly name: string;
  readonly parentId: string | null;
  /** The branch's direct connection URI, password included: for the tool, never for printing. */
  readonly uri: string;
  /** The same without the password, for the report and `--keep`. */
  readonly displayUri: string;
  /** Deletes the branch and waits for Neon to finish. */
  delete(): Promise<void>;
}

interface Operation {
  readonly id: string;
  readonly action: string;
  readonly status: string;
  readonly error?: string;
}

const TERMINAL = new Set(['finished', 'skipped']);

function client(settings: NeonSettings) {
  const base = (settings.apiUrl ?? NEON_API_URL).replace(/\/+$/, '');
  const project = encodeURIComponent(settings.projectId);
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const url = `${base}/projects/${project}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${settings.apiKey}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new MigratorError('neon_failed', `cannot reach the Neon API at ${base}: ${(err as Error).message}; check NEON_API_URL and the network`, {}, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      const message = (() => {
        try {
          return (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          return text;
        }
      })();
      const hint = res.status === 401 ? ': check NEON_API_KEY' : res.status === 404 ? ': check NEON_PROJECT_ID (and NEON_PARENT_BRANCH_ID)' : '';
      throw new MigratorError('neon_failed', `the Neon API answered ${res.status} to ${method} ${path.split('?')[0]}: ${message.slice(0, 300)}${hint}`, { status: res.status });
    }
    return (text ? JSON.parse(text) : {}) as T;
  };
  return { call };
}

/** Polls each operation until Neon says it is done (finished or skipped); `failed` may be retried by Neon, so it waits on. */
async function waitFor(call: ReturnType<typeof client>['call'], operations: readonly Operation[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const op of operations) {
    let current = op;
    for (let pause = 100; !TERMINAL.has(current.status); pause = Math.min(pause * 2, 2_000)) {
      if (current.status === 'cancelled' || current.status === 'cancelling') {
        throw new MigratorError('neon_failed', `Neon cancelled its ${current.action} operation (${current.id})${current.error ? `: ${current.error}` : ''}`);
      }
      if (Date.now() > deadline) {
        throw new MigratorError('neon_failed', `Neon's ${current.action} operation (${current.id}) is still ${current.status} after ${Math.round(timeoutMs / 1000)} s${current.error ? ` (${current.error})` : ''}`);
      }
      await new Promise((r) => setTimeout(r, pause));
      current = (await call<{ operation: Operation }>('GET', `/operations/${encodeURIComponent(op.id)}`)).operation;
    }
  }
}

/**
 * Creates a branch with a read-write endpoint from the migration database's branch (found by the
 * endpoint host of `migrationHost`), waits until Neon has made it, and reads its connection URI
 * for `databaseName` as `roleName` (the roles and databases of a branch are its parent's).
 */
export async function createNeonBranch(
  settings: NeonSettings,
  target: { readonly databaseName: string; readonly roleName: string; readonly migrationHost?: string; readonly name?: string },
): Promise<NeonBranch> {
  const { call } = client(settings);
  const timeoutMs = settings.timeoutMs ?? 300_000;
  let parentId = settings.parentBranchId ?? null;
  if (!parentId && target.migrationHost) {
    const host = target.migrationHost.replace('-pooler', '');
    const { endpoints } = await call<{ endpoints: { host: string; branch_id: string }[] }>('GET', '/endpoints');
    parentId = endpoints.find((e) => e.host === host)?.branch_id ?? null;
  }
  const name = target.name ?? `rehearse-${new Date().toISOString().slice(0, 19).replace(/\D/g, '')}-${randomBytes(3).toString('hex')}`;
  const created = await call<{ branch: { id: string; name: string; parent_id?: string }; operations?: Operation[] }>('POST', '/branches', {
    branch: { name, ...(parentId ? { parent_id: parentId } : {}) },
    endpoints: [{ type: 'read_write' }],
  });
  const branch = created.branch;
  const remove = async () => {
    const deleted = await call<{ operations?: Operation[] }>('DELETE', `/branches/${encodeURIComponent(branch.id)}`);
    await waitFor(call, deleted.operations ?? [], timeoutMs);
  };
  try {
    await waitFor(call, created.operations ?? [], timeoutMs);
    const query = new URLSearchParams({ branch_id: branch.id, database_name: target.databaseName, role_name: target.roleName });
    const { uri } = await call<{ uri: string }>('GET', `/connection_uri?${query}`);
    return { id: branch.id, name: branch.name, parentId: branch.parent_id ?? parentId, uri, displayUri: redact(uri), delete: remove };
  } catch (err) {
    // A branch made for nothing is not left behind.
    await remove().catch(() => undefined);
    throw err;
  }
}
