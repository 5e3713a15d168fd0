// A real SMTP server on loopback for the e2e run: Flux sends through lettre (SMTP_URL)
// and every message lands as JSON (envelope recipients + raw message) that tests read.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export const MAIL_DIR = join(__dirname, '.mail');
export const SMTP_PORT = Number(process.env.FLUX_E2E_SMTP_PORT ?? 2525);
/** Messages to addresses starting with this are taken and never confirmed. */
export const SILENT_PREFIX = 'semresposta.';

export function startMailSink(): Promise<SMTPServer> {
  rmSync(MAIL_DIR, { recursive: true, force: true });
  mkdirSync(MAIL_DIR, { recursive: true });
  let counter = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      // For these recipients the server takes the message and never answers: the
      // sender cannot know whether it went out.
      if (session.envelope.rcptTo.some((r) => r.address.toLowerCase().startsWith(SILENT_PREFIX))) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        counter += 1;
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const raw = Buffer.concat(chunks).toString('latin1');
        writeFileSync(join(MAIL_DIR, `${Date.now()}-${counter}.json`), JSON.stringify({ to, raw }));
        callback();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(SMTP_PORT, '127.0.0.1', () => {
      // A client that hangs up mid-session (Flux giving up on a silent server) is
      // an error event, not a reason to stop the sink.
      server.on('error', (e) => console.warn(`mail sink: ${e.message}`));
      resolve(server);
    });
  });
}

/** The decoded text body of a single-part message (quoted-printable, base64 or plain). */
export function textBody(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = raw.slice(0, split);
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const encoding = headers.match(/^Content-Transfer-Encoding:\s*(\S+)/im)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return Buffer.from(body, 'latin1').toString('utf8');
}

/** The first link in the newest e-mail to `to`, waiting up to `timeoutMs` for it. */
export async function linkFromEmail(to: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const file of readdirSync(MAIL_DIR).sort().reverse()) {
      const mail = JSON.parse(readFileSync(join(MAIL_DIR, file), 'utf8')) as { to: string[]; raw: string };
      const link = textBody(mail.raw).match(/https?:\/\/\S+/)?.[0];
      if (mail.to.includes(to.toLowerCase()) && link) return link;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no e-mail with a link reached ${to}`);
}

/** The newest message the sink received for `to`, waiting for it. */
export async function mailTo(to: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const file of readdirSync(MAIL_DIR).sort().reverse()) {
      let mail: { to: string[]; raw: string };
      try {
        mail = JSON.parse(readFileSync(join(MAIL_DIR, file), 'utf8'));
      } catch {
        continue; // still being written
      }
      if (mail.to.includes(to.toLowerCase())) return mail.raw;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no e-mail reached ${to}`);
}
