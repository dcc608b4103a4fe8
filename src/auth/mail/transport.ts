import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import type { RenderedMail } from './messages';

export interface MailTransport {
  /** Delivers one mail; rejects if the server did not accept it. */
  send(mail: RenderedMail): Promise<void>;
  close(): void;
  /** "smtp host:port" or "files in DIR", for the start-up log. */
  readonly description: string;
}

/**
 * SMTP through nodemailer when SMTP_URL is set (smtps:// is TLS from the start, smtp:// upgrades
 * with STARTTLS when the server offers it, as nodemailer reads the URL); otherwise, which the
 * service allows only with the embedded development database (config/mail-requirement.ts), each
 * mail becomes an .eml file in DATA_DIR/mail, so `npm start` needs no mail server. The log says
 * which file holds the mail, never its link: a link's token is a credential (issue 22 M2).
 */
export function createMailTransport(mail: Config['mail'], dataDir: string, logger: Logger): MailTransport {
  const timeouts = { connectionTimeout: mail.sendTimeoutMs, greetingTimeout: mail.sendTimeoutMs, socketTimeout: mail.sendTimeoutMs };
  if (mail.smtpUrl) {
    const url = new URL(mail.smtpUrl);
    // The timeouts go with the URL in one options object: the second argument of createTransport is
    // defaults for each message, where nodemailer 7 silently ignored them (found moving to 10).
    const transporter = nodemailer.createTransport({ url: mail.smtpUrl, ...timeouts });
    return {
      description: `smtp ${url.hostname}:${url.port || (url.protocol === 'smtps:' ? 465 : 587)}`,
      async send(m) {
        await transporter.sendMail({ from: mail.from, to: m.to, subject: m.subject, text: m.text, html: m.html });
      },
      close: () => transporter.close(),
    };
  }
  const dir = path.resolve(dataDir, 'mail');
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `files in ${dir}`,
    async send(m) {
      const info = await transporter.sendMail({ from: mail.from, to: m.to, subject: m.subject, text: m.text, html: m.html });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}.eml`);
      await writeFile(file, info.message as Buffer, { mode: 0o600 });
      // The developer opens the file for the link; the token never reaches a log line.
      logger.info({ to: m.to, subject: m.subject, file }, `mail written to ${file}${m.link ? ' (open it for the link)' : ''}`);
    },
    close: () => transporter.close(),
  };
}
