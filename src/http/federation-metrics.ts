import { Counter, type Registry } from 'prom-client';
import type { FederationObserver } from '../auth/federation/observer';
import { REFUSAL_REASONS } from '../auth/federation/id-token-errors';

/**
 * Counters of sign-in with other providers and guests (issue 25), in the app's registry. The
 * provider label is one of the configured names; anything else a client sends is `other`, so a
 * client cannot grow the label set.
 */
export function federationMetrics(registry: Registry, providers: readonly string[]): FederationObserver {
  const signIns = new Counter({ name: 'auth_sign_ins_total', help: 'Finished sign-ins other than password logins (after the second factor when one is asked), by method (id_token, redirect, guest) and provider.', labelNames: ['method', 'provider'] as const, registers: [registry] });
  const refused = new Counter({ name: 'auth_id_tokens_refused_total', help: 'Provider ID tokens refused, by provider and reason (the error code).', labelNames: ['provider', 'reason'] as const, registers: [registry] });
  const identities = new Counter({ name: 'auth_identity_changes_total', help: 'Identities linked, unlinked, and takeover defences (an unproven password dropped).', labelNames: ['action'] as const, registers: [registry] });
  const guests = new Counter({ name: 'auth_guests_total', help: 'Guest players created and upgraded.', labelNames: ['event'] as const, registers: [registry] });
  const label = (provider: string) => (providers.includes(provider) ? provider : 'other');
  for (const provider of providers) {
    signIns.inc({ method: 'id_token', provider }, 0);
    for (const reason of Object.keys(REFUSAL_REASONS)) refused.inc({ provider, reason }, 0);
  }
  signIns.inc({ method: 'guest', provider: 'none' }, 0);
  for (const action of ['linked', 'unlinked', 'takeover_defence']) identities.inc({ action }, 0);
  for (const event of ['created', 'upgraded']) guests.inc({ event }, 0);
  return {
    signIn: (method, provider) => signIns.inc({ method, provider: method === 'guest' ? 'none' : label(provider) }),
    idTokenRefused: (provider, reason) => refused.inc({ provider: label(provider), reason }),
    identityChanged: (action) => identities.inc({ action }),
    guest: (event) => guests.inc({ event }),
  };
}
