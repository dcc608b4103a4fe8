/**
 * The shape of the seeded database (issue 31 item 1): a deployment of a million accounts, about
 * a tenth of them playing on a given day. Every count scales with the factor of `--scale=F`
 * (1 by default); the proportions do not.
 */
export interface ScaleShape {
  readonly factor: number;
  readonly users: number;
  /** Users with hundreds of sessions each (a script that never logs out, a shared device farm). */
  readonly heavyUsers: number;
  readonly heavyUserSessions: number;
  /** Sessions of everyone else, about two per user (many one, some several). */
  readonly sessions: number;
  /** Audit events, evenly over `eventDays` days, ids in time order. */
  readonly events: number;
  readonly eventDays: number;
  readonly accountTokens: number;
  readonly outbox: number;
  readonly serviceClients: number;
  readonly cats: number;
  readonly installations: number;
}

export const FULL_SCALE = {
  users: 1_000_000,
  heavyUsers: 1_000,
  heavyUserSessions: 200,
  sessions: 1_800_000,
  events: 20_000_000,
  eventDays: 90,
  accountTokens: 300_000,
  outbox: 500_000,
  serviceClients: 20,
  cats: 10_000,
  installations: 1_500_000,
} as const;

export function scaleShape(factor: number): ScaleShape {
  const n = (full: number, min = 1) => Math.max(min, Math.round(full * factor));
  return {
    factor,
    users: n(FULL_SCALE.users, 1_000),
    heavyUsers: n(FULL_SCALE.heavyUsers, 5),
    heavyUserSessions: FULL_SCALE.heavyUserSessions,
    sessions: n(FULL_SCALE.sessions, 2_000),
    events: n(FULL_SCALE.events, 20_000),
    eventDays: FULL_SCALE.eventDays,
    accountTokens: n(FULL_SCALE.accountTokens, 300),
    outbox: n(FULL_SCALE.outbox, 500),
    serviceClients: FULL_SCALE.serviceClients,
    cats: n(FULL_SCALE.cats, 50),
    installations: n(FULL_SCALE.installations, 1_500),
  };
}

/** Every seeded user's password (the bench logs in as seeded users). */
export const SEEDED_PASSWORD = 'correct horse battery staple';

/** First names for the emails: an admin's prefix search finds about users / NAMES.length of them. */
export const NAMES = [
  'alice', 'amir', 'ana', 'arjun', 'ben', 'bianca', 'chen', 'chloe', 'dan', 'diego', 'elena', 'emma', 'eva', 'farah',
  'felix', 'finn', 'gabriel', 'grace', 'hana', 'hugo', 'ines', 'ivan', 'jack', 'jana', 'jin', 'kai', 'kemal', 'lara',
  'leo', 'lina', 'luca', 'maria', 'marta', 'mateo', 'mei', 'mia', 'nadia', 'nina', 'noah', 'olga', 'omar', 'oscar',
  'paula', 'pedro', 'priya', 'quinn', 'rafael', 'rosa', 'ruth', 'sam', 'sara', 'sofia', 'tariq', 'theo', 'uma', 'vera',
  'victor', 'wei', 'xavier', 'yara', 'yusuf', 'zoe',
] as const;

export const DOMAINS = ['mail.example', 'post.example', 'inbox.example', 'cats.example'] as const;
