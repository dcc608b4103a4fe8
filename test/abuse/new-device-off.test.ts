import { createAbuseDefences } from '../../src/auth/abuse/defences';
import { testConfig } from '../support/env';

const defences = (env: Record<string, string>) =>
  createAbuseDefences(testConfig(env).abuse, { loginThrottle: () => ({ suspicion: async () => 0 }) as never, outboxKey: Buffer.alloc(32), resetTtlSeconds: 3600 });

describe('the new-device notice off (NEW_DEVICE_NOTICE, the default)', () => {
  // A sign-in (a login's session, the OpenID and /device pages) runs the notice when there is one:
  // with none, a page's sign-in records its event alone, without reading the user in a transaction.
  it('gives sign-ins no notice to run', () => {
    expect(defences({}).newDeviceNotice).toBeUndefined();
  });

  it('on, gives them one', () => {
    expect(defences({ NEW_DEVICE_NOTICE: 'on' }).newDeviceNotice).toEqual(expect.any(Function));
  });
});
