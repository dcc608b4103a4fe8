import {
  createServiceClient,
  listServiceClients,
  parseScopes,
  revokeServiceClient,
  rotateServiceClientSecret,
  TOKEN_EXCHANGE_SCOPE,
  type IssuedSecret,
  type ServiceClientInfo,
} from '../../auth/tokens/service-clients';
import { EXIT, UsageError, type CommandGroup } from './command';

const USAGE = `  clients create NAME --scopes "a b"   a service client; prints its secret once (the proxy needs ${TOKEN_EXCHANGE_SCOPE})
  clients rotate NAME [--grace-seconds N] a new secret; the old one works N more seconds (CLIENT_SECRET_ROTATION_GRACE_SECONDS)
  clients revoke NAME                   deactivate: its secrets stop working at once
  clients list                          every client, its scopes, state, created and last used`;

function secretText(issued: IssuedSecret, verb: string): string {
  const lines = [
    `${verb} client ${issued.clientId} (scopes: ${issued.scopes.join(' ') || '(none)'})`,
    `client_secret: ${issued.clientSecret}`,
    'Store it now: it is not shown again and only its hash is kept.',
  ];
  if (issued.previousSecretValidUntil) lines.push(`The previous secret works until ${issued.previousSecretValidUntil.toISOString()}.`);
  else if (issued.previousSecretValidUntil === null) lines.push('The previous secret no longer works.');
  return lines.join('\n');
}

function listText(clients: ServiceClientInfo[]): string {
  if (clients.length === 0) return 'no clients (npm run admin -- clients create NAME --scopes "...")';
  return clients
    .map((c) =>
      [
        c.clientId,
        c.isActive ? 'active' : 'revoked',
        `scopes=${c.scopes.join(',') || '-'}`,
        `created=${c.createdAt.toISOString()}`,
        `last_used=${c.lastUsedAt?.toISOString() ?? 'never'}`,
        ...(c.previousSecretExpiresAt ? [`previous_secret_until=${c.previousSecretExpiresAt.toISOString()}`] : []),
      ].join('  '),
    )
    .join('\n');
}

const json = (issued: IssuedSecret) => ({
  client_id: issued.clientId,
  client_secret: issued.clientSecret,
  scopes: issued.scopes,
  ...(issued.previousSecretValidUntil !== undefined ? { previous_secret_valid_until: issued.previousSecretValidUntil } : {}),
});

/** `npm run admin -- clients ...`: service clients of the client credentials grant. */
export const clientsGroup: CommandGroup = {
  name: 'clients',
  usage: USAGE,
  options: { scopes: { type: 'string' }, 'grace-seconds': { type: 'string' } },
  async run(command, ctx) {
    const name = () => {
      if (ctx.args.length !== 1) throw new UsageError(`clients ${command} takes one NAME`);
      return ctx.args[0]!;
    };
    switch (command) {
      case 'create': {
        const clientId = name();
        if (typeof ctx.options.scopes !== 'string') throw new UsageError('clients create needs --scopes "scope1 scope2" (may be "")');
        const issued = await createServiceClient(await ctx.db(), clientId, parseScopes(ctx.options.scopes));
        ctx.print(json(issued), secretText(issued, 'created'));
        return EXIT.ok;
      }
      case 'rotate': {
        const clientId = name();
        const raw = ctx.options['grace-seconds'];
        const grace = raw === undefined ? ctx.config.tokens.clientSecretRotationGraceSeconds : Number(raw);
        if (!Number.isInteger(grace) || grace < 0 || grace > 2_592_000) throw new UsageError('--grace-seconds takes a whole number from 0 to 2592000');
        const issued = await rotateServiceClientSecret(await ctx.db(), clientId, grace);
        ctx.print(json(issued), secretText(issued, 'rotated'));
        return EXIT.ok;
      }
      case 'revoke': {
        const client = await revokeServiceClient(await ctx.db(), name());
        ctx.print({ client_id: client.clientId, active: false }, `revoked client ${client.clientId}: its secrets no longer work; tokens it holds expire within SERVICE_TOKEN_TTL_SECONDS`);
        return EXIT.ok;
      }
      case 'list': {
        if (ctx.args.length > 0) throw new UsageError('clients list takes no arguments');
        const clients = await listServiceClients(await ctx.db());
        ctx.print(
          clients.map((c) => ({
            client_id: c.clientId,
            scopes: c.scopes,
            active: c.isActive,
            created_at: c.createdAt,
            last_used_at: c.lastUsedAt,
            previous_secret_expires_at: c.previousSecretExpiresAt,
          })),
          listText(clients),
        );
        return EXIT.ok;
      }
      default:
        throw new UsageError(command === undefined ? 'clients needs a command: create, rotate, revoke or list' : `unknown command "clients ${command}"`);
    }
  },
};
