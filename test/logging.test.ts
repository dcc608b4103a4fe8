import { Writable } from 'node:stream';
import { createLogger } from '../src/logging/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('structured logs', () => {
  it('redact passwords and tokens wherever they appear', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'hunter2hunter2',
        body: { password: 'p4ssw0rd!!', refresh_token: 'rt-secret', access_token: 'at-secret' },
        req: { headers: { authorization: 'Bearer eyJsecret', cookie: '__Host-refresh_token=rt-cookie' } },
      },
      'login',
    );
    const line = lines.join('');
    for (const secret of ['hunter2hunter2', 'p4ssw0rd!!', 'rt-secret', 'at-secret', 'eyJsecret', 'rt-cookie']) {
      expect(line).not.toContain(secret);
    }
    expect(JSON.parse(line).body.password).toBe('[redacted]');
  });
});
