import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { findFreePort } from './ports';
import { pollUntil } from './poll';

export interface ReceivedMail {
  /** The SMTP envelope's recipients. */
  rcptTo: string[];
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The first link into the frontend in the text part. */
  link: string | undefined;
  /** The token parameter of that link (fragment or query). */
  token: string | undefined;
}

export interface TestSmtpServer {
  readonly port: number;
  /** smtp://127.0.0.1:PORT (plain SMTP, no auth: a test server on loopback). */
  readonly url: string;
  readonly received: ReceivedMail[];
  /** Waits for a mail to `to` (and matching `subject` if given), and returns the newest one. */
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  mailsTo(to: string): ReceivedMail[];
  start(): Promise<void>;
  /** Stops listening (the port is kept, so start() brings the same server back). */
  stop(): Promise<void>;
}

/** Reads the token a mail's link carries, from its fragment or its query. */
export function tokenOfLink(link: string): string | undefined {
  const url = new URL(link);
  return new URLSearchParams(url.hash.slice(1)).get('token') ?? url.searchParams.get('token') ?? undefined;
}

/** A real SMTP server (smtp-server, from the nodemailer project) that parses each message with mailparser. */
export async function startSmtpServer(port?: number): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const chosen = port ?? (await findFreePort());
  let server: SMTPServer | undefined;
  const make = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            const text = parsed.text ?? '';
            const link = /https?:\/\/\S+token=[A-Za-z0-9_%-]+/.exec(text)?.[0];
            const to = Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : (parsed.to?.text ?? '');
            received.push({
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              from: parsed.from?.text ?? '',
              to,
              subject: parsed.subject ?? '',
              text,
              html: typeof parsed.html === 'string' ? parsed.html : '',
              link,
              token: link ? tokenOfLink(link) : undefined,
            });
            callback();
          })
          .catch(callback);
      },
    });
  const api: TestSmtpServer = {
    port: chosen,
    url: `smtp://127.0.0.1:${chosen}`,
    received,
    mailsTo: (to) => received.filter((m) => m.rcptTo.includes(to)),
    waitFor: (to, subject, timeoutMs = 15_000) =>
      pollUntil(`a mail to ${to}${subject ? ` with subject ${subject}` : ''}`, () =>
        api.mailsTo(to).filter((m) => !subject || subject.test(m.subject)).at(-1),
      { timeoutMs }),
    async start() {
      server = make();
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(chosen, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await api.start();
  return api;
}
