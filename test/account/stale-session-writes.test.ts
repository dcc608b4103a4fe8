import request from 'supertest';
import { createPasswordHasher, type PasswordHasher } from '../../src/auth/accounts/passwords';
import { bearer, register, uniqueEmail } from '../auth/helpers';
import { pollUntil } from '../support/poll';
import { api, login, PASSWORD, useMailApp } from './support';

/**
 * A bcrypt hasher whose next `verify` of `password` waits until the test lets it go: the test
 * holds a password check open while other requests run. The hashing itself is real.
 */
function holdableHasher(): PasswordHasher & { hold(password: string): { started: Promise<void>; release(): void } } {
  const real = createPasswordHasher(4);
  const holds = new Map<string, { gate: Promise<void>; entered: () => void }>();
  return {
    hash: (p) => real.hash(p),
    async verify(p, stored) {
      const result = await real.verify(p, stored);
      const held = holds.get(p);
      if (held) {
        holds.delete(p);
        held.entered();
        await held.gate;
      }
      return result;
    },
    hold(password) {
      let release!: () => void;
      let entered!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const started = new Promise<void>((r) => (entered = r));
      holds.set(password, { gate, entered });
      return { started, release };
    },
  };
}

/**
 * Issue 22 H2: a password change (or email change, or deletion) whose password check was in flight
 * while the owner completed a reset must not commit: the reset ended its session. The check is
 * held open by the hasher; the reset runs to the end meanwhile; then the check is let go.
 */
describe('writes from a session that a reset ended while its password was checked', () => {
  const hasher = holdableHasher();
  const m = useMailApp({ PASSWORD_CHANGE_MAX_PER_ACCOUNT: '3' }, { hasher });
  const OWNER_PASSWORD = 'the owner is back in';

  async function ownerResets(email: string) {
    expect((await request(m.t.app).post(api('/password/forgot')).send({ email })).status).toBe(202);
    const reset = await pollNewest(email);
    const res = await request(m.t.app).post(api('/password/reset')).send({ token: reset, password: OWNER_PASSWORD });
    expect(res.status).toBe(204);
  }
  const seenResets = new Map<string, number>();
  async function pollNewest(email: string) {
    const n = (seenResets.get(email) ?? 0) + 1;
    seenResets.set(email, n);
    const mail = await pollUntil(`reset mail ${n} to ${email}`, () => m.smtp.mailsTo(email).filter((x) => /Reset your password/.test(x.subject))[n - 1]);
    return mail.token!;
  }

  it('a password change in flight during a full reset answers 401 and writes nothing: the owner keeps the account', async () => {
    const email = uniqueEmail('h2-change');
    await register(m.t.app, email, 'the password both know');
    const attacker = await login(m, email, 'the password both know');
    const held = hasher.hold('the password both know');
    const change = request(m.t.app)
      .post(api('/password/change'))
      .set(bearer(attacker.body.access_token))
      .send({ current_password: 'the password both know', new_password: 'the attacker keeps it' })
      .then((r) => r);
    await held.started;
    await ownerResets(email);
    held.release();
    const res = await change;
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_token');
    expect((await login(m, email, OWNER_PASSWORD)).status).toBe(200);
    expect((await login(m, email, 'the attacker keeps it')).body.error).toBe('invalid_credentials');
    const events: { type: string }[] = await m.t.dataSource.query(
      `SELECT type FROM auth.audit_events WHERE user_id = (SELECT id FROM auth.users WHERE email = $1) ORDER BY id`,
      [email],
    );
    expect(events.map((e) => e.type)).not.toContain('password_changed');
  });

  it('an email change in flight during a full reset issues no link; a deletion in flight deletes nothing', async () => {
    const email = uniqueEmail('h2-email');
    await register(m.t.app, email, 'the password both know');
    const attacker = await login(m, email, 'the password both know');
    const target = uniqueEmail('h2-attacker-box');

    let held = hasher.hold('the password both know');
    const change = request(m.t.app).post(api('/email/change')).set(bearer(attacker.body.access_token)).send({ new_email: target, password: 'the password both know' }).then((r) => r);
    await held.started;
    await ownerResets(email);
    held.release();
    expect((await change).status).toBe(401);
    expect(m.smtp.mailsTo(target)).toEqual([]);
    expect(await m.t.dataSource.query(`SELECT 1 FROM auth.account_tokens WHERE new_email = $1`, [target])).toEqual([]);

    // Deletion: the owner's second reset ends the session whose deletion is in flight.
    const again = await login(m, email, OWNER_PASSWORD);
    held = hasher.hold(OWNER_PASSWORD);
    const deletion = request(m.t.app).delete(api('/me')).set(bearer(again.body.access_token)).send({ password: OWNER_PASSWORD }).then((r) => r);
    await held.started;
    await ownerResets(email);
    held.release();
    expect((await deletion).status).toBe(401);
    expect((await login(m, email, OWNER_PASSWORD)).status).toBe(200);
  });

  it('password changes are limited per account (PASSWORD_CHANGE_MAX_PER_ACCOUNT): a script cannot churn them', async () => {
    const email = uniqueEmail('h2-churn');
    const reg = await register(m.t.app, email);
    let current = PASSWORD;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = `churned passphrase ${i}`;
      const res = await request(m.t.app).post(api('/password/change')).set(bearer(reg.access_token)).send({ current_password: current, new_password: next });
      statuses.push(res.status);
      if (res.status === 204) current = next;
    }
    expect(statuses).toEqual([204, 204, 204, 429]);
    expect((await login(m, email, current)).status).toBe(200);
  });
});
