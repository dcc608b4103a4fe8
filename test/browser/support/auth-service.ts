import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { outboxKeys } from '../../../src/auth/mail/outbox';
import { startMailSender, type MailSender } from '../../../src/auth/mail/sender';
import { createMailTransport } from '../../../src/auth/mail/transport';
import { loadAuthKeys } from '../../../src/auth/tokens/auth-keys';
import { generateSigningKeyPem } from '../../../src/auth/tokens/signing-keys';
import type { Config } from '../../../src/config/config';
import { createRuntimeDataSource } from '../../../src/db/runtime-data-source';
import { createApp } from '../../../src/http/app';
import { createLogger } from '../../../src/logging/logger';
import { testConfig } from '../../support/env';

export interface AuthServiceOptions {
  databaseUrl: string;
  env?: Record<string, string>;
  /**
   * Access-token lifetime. ACCESS_TOKEN_TTL_SECONDS refuses less than 30 s (a production guard);
   * the multi-tab tests need tokens of a few seconds, so the parsed config is overridden here.
   */
  accessTokenTtlSeconds?: number;
  /** Keep a port across restarts; 0 picks a free one. */
  port?: number;
  /** Run the instance's mail sender (give SMTP_URL in env), for the account flows' links. */
  mail?: boolean;
}

/** The real auth service listening on 127.0.0.1, reached by browsers as http://localhost:PORT. */
export class RunningAuthService {
  config!: Config;
  dataSource!: DataSource;
  port: number;
  private server: Server | undefined;
  private mailSender: MailSender | undefined;
  private readonly signingKey = generateSigningKeyPem();

  constructor(private readonly options: AuthServiceOptions) {
    this.port = options.port ?? 0;
  }

  get origin(): string {
    return `http://localhost:${this.port}`;
  }

  get apiBase(): string {
    return `${this.origin}/api/v1/auth`;
  }

  /** Starts listening (again, on the same port after a stop). `signingKey` replaces the key, as a key rotation without overlap would. */
  async start({ signingKey }: { signingKey?: string } = {}): Promise<void> {
    const parsed = testConfig({ DATABASE_URL: this.options.databaseUrl, JWT_PRIVATE_KEY: signingKey ?? this.signingKey, ...this.options.env });
    const ttl = this.options.accessTokenTtlSeconds;
    this.config = ttl === undefined ? parsed : { ...parsed, auth: { ...parsed.auth, accessTokenTtlSeconds: ttl } };
    this.dataSource ??= createRuntimeDataSource(this.options.databaseUrl, this.config.db);
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    const authKeys = await loadAuthKeys(this.config);
    const logger = createLogger('silent');
    if (this.options.mail && !this.mailSender) {
      const transport = createMailTransport(this.config.mail, this.config.embedded.dataDir, logger);
      this.mailSender = startMailSender({ dataSource: this.dataSource, transport, mail: this.config.mail, keys: outboxKeys(authKeys.tokenSecret, authKeys.previousTokenSecrets), logger });
    }
    const app = createApp({ config: this.config, dataSource: this.dataSource, logger, authKeys, mailQueued: this.mailSender?.nudge });
    const server = app.listen(this.port, '127.0.0.1');
    // No keep-alive: after a stop and start, Node's fetch would otherwise reuse a pooled socket the
    // old server closed and fail with "other side closed" instead of reaching the new one.
    server.on('request', (_req, res: { shouldKeepAlive: boolean }) => {
      res.shouldKeepAlive = false;
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening; connections are cut, so clients see a network failure. The database pool stays. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async close(): Promise<void> {
    await this.stop();
    await this.mailSender?.stop();
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }

  /** Refresh tokens of the session: how many are live (not yet rotated) and in all, and whether the session was revoked. */
  async refreshTokenCounts(sessionId: string): Promise<{ live: number; total: number; revoked: boolean }> {
    // Since issue 15 the session row holds its family: one current token, one issued per generation.
    const [row] = await this.dataSource.query(
      `SELECT (refresh_token_hash IS NOT NULL)::int AS live, refresh_generation + 1 AS total, revoked_at IS NOT NULL AS revoked
         FROM auth.sessions WHERE id = $1`,
      [sessionId],
    );
    return row as { live: number; total: number; revoked: boolean };
  }
}

/** The `sid` claim of an access token (the session id); decoding is enough here, the service verified it. */
export function sessionIdOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string };
  return payload.sid;
}
