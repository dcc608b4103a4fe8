import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../support/ports';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface ServiceProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** The last few kilobytes the process wrote to stdout and stderr. */
  output(): string;
  /** Error-level log lines (not those of 503 answers), when LOG_LEVEL lets them through. */
  errorLog(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface ServiceProcessOptions {
  /** Variables on top of the defaults below (the process does not inherit the caller's DATABASE_URL etc.). */
  env: Record<string, string | undefined>;
  /** Entry point relative to the repository; `src/main.ts` (npm start) unless a wrapper is needed. */
  script?: string;
  /** Options for node itself, e.g. --expose-gc. */
  nodeArgs?: string[];
  /**
   * What node runs after `nodeArgs`; by default `-r @swc-node/register <script>` (TypeScript
   * compiled in the process), e.g. `['dist/src/main.js']` for the production build.
   */
  entry?: string[];
  /** How long to wait for GET /api/v1/auth/health to answer. */
  startTimeoutMs?: number;
}

/** Variables of the parent worth passing on; everything the service reads is set explicitly. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'UV_THREADPOOL_SIZE'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
}

/**
 * Spawns the auth service as a real process (`node -r @swc-node/register src/main.ts`) on a free
 * loopback port and waits until /health answers. Nothing is imported from the service, so the
 * tests exercise exactly what `npm start` runs.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = options.env.PORT ? Number(options.env.PORT) : await findFreePort();
  const env: Record<string, string> = {
    ...baseEnv(),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'silent',
  };
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  env.PORT = String(port);

  const entry = options.entry ?? ['-r', '@swc-node/register', options.script ?? 'src/main.ts'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  const errorLines: string[] = [];
  const append = (d: Buffer) => (output = (output + d.toString()).slice(-8000));
  // Error-level log lines (pino: level 50 and up), minus the per-request lines of 503s, kept whole.
  const collectErrors = (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!.slice(-100_000);
    for (const line of lines) {
      if (/"level":(50|60)/.test(line) && !line.includes('failed with status code 503') && errorLines.length < 50) errorLines.push(line);
    }
  };
  child.stdout!.on('data', (d: Buffer) => {
    append(d);
    collectErrors(d);
  });
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited during start-up (${child.exitCode ?? child.signalCode}): ${output}`);
    }
    const ok = await fetch(`${url}/api/v1/auth/health`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not answer /health within ${options.startTimeoutMs ?? 30_000} ms: ${output}`);
    }
    await sleep(Math.min(50 * (attempt + 1), 250));
  }

  return {
    url,
    port,
    child,
    output: () => output,
    errorLog: () => errorLines.join('\n'),
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export interface SigningKey {
  readonly dir: string;
  readonly privateKeyFile: string;
  readonly publicKeyPem: string;
  remove(): Promise<void>;
}

/**
 * A fresh ES256 key in a temporary file, so that several service processes sign with the same
 * key (as a deploy of several instances would) instead of each generating a development key.
 */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = await mkdtemp(path.join(tmpdir(), 'cathouse-key-'));
  const privateKeyFile = path.join(dir, 'jwt-private.pem');
  await writeFile(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return {
    dir,
    privateKeyFile,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * The variables of a production-like instance: NODE_ENV=production (so nothing falls back to
 * development defaults), a shared key and secret, its own DATA_DIR, and a bcrypt cost.
 */
export function productionEnv(opts: {
  databaseUrl: string;
  key: SigningKey;
  bcryptCost?: number;
  extra?: Record<string, string | undefined>;
}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: opts.databaseUrl,
    JWT_PRIVATE_KEY_FILE: opts.key.privateKeyFile,
    TOKEN_SECRET: 'reliability-secret-reliability-secret-0123456789',
    BCRYPT_COST: String(opts.bcryptCost ?? 4),
    DATA_DIR: path.join(opts.key.dir, 'data'),
    // Load generators register many users from one address, some at once; the registration limits and the hash bound have tests of their own.
    REGISTER_MAX_PER_IP: '1000000',
    REGISTER_MAX_GLOBAL: '1000000',
    REGISTER_MAX_HASHES_IN_FLIGHT: '1000',
    // Production requires SMTP_URL; nothing listens on port 9 of loopback, so these instances' mail stays queued (mail has its own tests).
    SMTP_URL: 'smtp://127.0.0.1:9',
    // No balancer watches these instances' /ready: stop at once (the drain delay has its own tests: test/shutdown.test.ts, deploy.test.ts).
    DRAIN_DELAY_MS: '0',
    // Production requires the OpenID provider's public (https) issuer; nothing here fetches it.
    OIDC_ISSUER: 'https://auth.cathouse.example/oidc',
    // Load generators sign up at the reserved .example TLD (RFC 2606), which the service refuses by default
    // since issue 22 M8 (the refusal is tested with the default list in test/account/erasure.test.ts).
    EMAIL_REFUSED_TLDS: 'invalid,localhost,test',
    // The load asks for a reset mail to the same few addresses again and again; the per-address debounce (issue 22 M4)
    // would answer 429, which these tests would count as deploy failures (it has its own test: test/account/mail-limits.test.ts).
    MAIL_ADDRESS_DEBOUNCE_SECONDS: '0',
    ...opts.extra,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
