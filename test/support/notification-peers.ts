/**
 * Real peers on loopback for notification tests: an SMTP server (smtp-server, messages parsed
 * with postal-mime), a Telegram Bot API stand-in and a generic HTTP SMS gateway.
 */
import http from 'node:http';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';
import { freePort } from './processes';

export interface SinkMessage {
  /** The envelope's recipients (RCPT TO). */
  rcpt: string[];
  /** Who logged in (SMTP AUTH). */
  user: string | undefined;
  mail: Email;
  receivedAt: number;
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * An SMTP server that requires `user`/`pass`, refuses recipients matching `refuse` with a 550 and
 * keeps every message. It can be stopped and started again on the same port (a server that is down).
 */
export async function startSmtpSink(options: { user: string; pass: string; refuse?: RegExp }) {
  const messages: SinkMessage[] = [];
  const port = await freePort();
  let server: SMTPServer | null = null;
  const create = () =>
    new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === options.user && auth.password === options.pass)
          return callback(null, { user: auth.username });
        callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
      },
      onRcptTo(address, _session, callback) {
        if (options.refuse?.test(address.address)) {
          return callback(
            Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: no such mailbox`), {
              responseCode: 550,
            }),
          );
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          PostalMime.parse(Buffer.concat(chunks)).then(
            (mail) => {
              messages.push({
                rcpt: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                user: session.user as string | undefined,
                mail,
                receivedAt: Date.now(),
              });
              callback();
            },
            (error) => callback(error),
          );
        });
      },
    });
  const sink = {
    port,
    url: `smtp://${encodeURIComponent(options.user)}:${encodeURIComponent(options.pass)}@127.0.0.1:${port}`,
    messages,
    async start() {
      server = create();
      await new Promise<void>((resolve, reject) => {
        server!.server.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      const closing = server;
      server = null;
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    /** The messages to `address`, once there are `count`. */
    waitFor(address: string, count = 1, timeoutMs = 30_000) {
      return until(
        `${count} message(s) to ${address}`,
        () => {
          const found = messages.filter((message) => message.rcpt.includes(address));
          return found.length >= count ? found : undefined;
        },
        timeoutMs,
      );
    },
    to: (address: string) => messages.filter((message) => message.rcpt.includes(address)),
  };
  await sink.start();
  return sink;
}

export interface PeerRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  /** What the peer answered. */
  status: number;
}

async function startHttpPeer(
  answer: (request: Omit<PeerRequest, 'status' | 'receivedAt'>) => { status: number; body: string },
) {
  const requests: PeerRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const { status, body } = answer(request);
      requests.push({ ...request, status, receivedAt: Date.now() });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The Telegram Bot API as far as Kassa uses it: `POST /bot<token>/sendMessage`. Known tokens
 * answer like Telegram; `failNext(chatId, n)` makes the next n messages to a chat a 502 whose
 * description repeats the token (a peer that leaks it must not make Kassa leak it).
 */
export async function startFakeTelegram() {
  const tokens = new Set<string>();
  const failures = new Map<string, number>();
  let messageId = 0;
  const peer = await startHttpPeer(({ method, path, body }) => {
    const match = /^\/bot([^/]+)\/sendMessage$/.exec(path);
    if (method !== 'POST' || !match)
      return { status: 404, body: JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }) };
    if (!tokens.has(match[1]!))
      return { status: 401, body: JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }) };
    const message = JSON.parse(body) as { chat_id: string; text: string };
    const failing = failures.get(String(message.chat_id)) ?? 0;
    if (failing > 0) {
      failures.set(String(message.chat_id), failing - 1);
      return {
        status: 502,
        body: JSON.stringify({ ok: false, error_code: 502, description: `Bad Gateway (bot${match[1]})` }),
      };
    }
    if (!/^-?\d+$|^@/.test(String(message.chat_id)))
      return {
        status: 400,
        body: JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: chat not found' }),
      };
    messageId += 1;
    return {
      status: 200,
      body: JSON.stringify({
        ok: true,
        result: { message_id: messageId, chat: { id: message.chat_id }, text: message.text },
      }),
    };
  });
  return {
    ...peer,
    addBot: (token: string) => tokens.add(token),
    failNext: (chatId: string, count: number) => failures.set(chatId, count),
    /** Messages delivered to `chatId`. */
    delivered: (chatId: string) =>
      peer.requests.filter((request) => request.status === 200 && String(JSON.parse(request.body).chat_id) === chatId),
    toChat: (chatId: string) =>
      peer.requests.filter(
        (request) => request.path.endsWith('/sendMessage') && String(JSON.parse(request.body).chat_id) === chatId,
      ),
  };
}

/** A generic SMS gateway: answers 200 to requests carrying `authValue` in `authHeader`, 401 otherwise. */
export async function startFakeSmsGateway(authHeader: string, authValue: string) {
  return startHttpPeer(({ headers }) =>
    headers[authHeader.toLowerCase()] === authValue
      ? { status: 200, body: '{"status":"queued"}' }
      : { status: 401, body: '{"error":"bad credentials"}' },
  );
}

export { until };
