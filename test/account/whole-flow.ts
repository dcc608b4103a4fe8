import jwt from 'jsonwebtoken';

export const PASSWORD = 'correct horse battery staple';

/** One JSON call to the service over real HTTP. */
export async function call(url: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? (init.body ? 'POST' : 'GET'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Where the flow reads its mail: the n-th mail (1-based) to an address whose subject matches, once it is there. */
export type MailReader = (to: string, subject: RegExp, n?: number) => Promise<{ token?: string | undefined; link?: string | undefined }>;

/**
 * The "done when" as a frontend does it: register, verify, become a developer, change the
 * password, forget and reset it, change the email, delete the account; `apis` are base URLs of
 * one or more instances, used in turn. Asserts as it goes.
 */
export async function runWholeFlow(apis: string[], readMail: MailReader, label: string): Promise<void> {
  let turn = 0;
  const api = (path: string) => `${apis[turn++ % apis.length]}${path}`;
  const email = `${label}-${Date.now().toString(36)}@cathouse.example`;
  const reg = await call(api('/register'), { body: { email, password: PASSWORD } });
  expect(reg.status).toBe(201);

  const verify = await readMail(email, /Confirm your email/);
  expect((await call(api('/verify-email'), { body: { token: verify.token } })).body).toEqual({ email, email_verified: true });

  const dev = await call(api('/me/developer'), { method: 'POST', token: reg.body.access_token });
  expect(dev.status).toBe(200);
  expect((jwt.decode(dev.body.access_token) as { role: string }).role).toBe('developer');

  const other = await call(api('/login'), { body: { email, password: PASSWORD } });
  const changed = await call(api('/password/change'), { token: reg.body.access_token, body: { current_password: PASSWORD, new_password: 'second passphrase!' } });
  expect(changed.status).toBe(204);
  expect((await call(api('/refresh'), { body: { refresh_token: other.body.refresh_token } })).body.error).toBe('invalid_grant');
  await readMail(email, /Your password was changed/);

  expect((await call(api('/password/forgot'), { body: { email } })).status).toBe(202);
  const reset = await readMail(email, /Reset your password/);
  expect((await call(api('/password/reset'), { body: { token: reset.token, password: 'third passphrase!' } })).status).toBe(204);
  expect((await call(api('/refresh'), { body: { refresh_token: reg.body.refresh_token } })).body.error).toBe('invalid_grant');
  await readMail(email, /Your password was reset/);

  const login = await call(api('/login'), { body: { email, password: 'third passphrase!' } });
  expect(login.status).toBe(200);
  const newEmail = `new-${email}`;
  expect((await call(api('/email/change'), { token: login.body.access_token, body: { new_email: newEmail, password: 'third passphrase!' } })).status).toBe(202);
  await readMail(email, /about to change/);
  const confirm = await readMail(newEmail, /Confirm your new email/);
  expect((await call(api('/verify-email'), { body: { token: confirm.token } })).body.email).toBe(newEmail);
  expect((await call(api('/me'), { token: login.body.access_token })).body).toMatchObject({ email: newEmail, role: 'developer', email_verified: true });

  expect((await call(api('/me'), { method: 'PATCH', token: login.body.access_token, body: { display_name: 'Mia' } })).body.display_name).toBe('Mia');
  expect((await call(api('/me'), { method: 'DELETE', token: login.body.access_token, body: { password: 'third passphrase!' } })).status).toBe(204);
  expect((await call(api('/login'), { body: { email: newEmail, password: 'third passphrase!' } })).body.error).toBe('invalid_credentials');
  expect((await call(api('/register'), { body: { email: newEmail, password: PASSWORD } })).status).toBe(201);
}
