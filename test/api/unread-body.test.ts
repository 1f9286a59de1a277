import http from 'node:http';
import net from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { ApiError } from '../../src/api/errors';
import { jsonBodyTypes, refuseUnreadBody } from '../../src/api/unread-body';

/**
 * The app's order, with one step before the body parser that waits until the client's connection
 * is gone: as when the client resets right after sending and the request waited for its turn.
 */
async function server(waitForReset: boolean) {
  const reached: unknown[] = [];
  const refused: string[] = [];
  const app = express();
  app.use((req, _res, next) => {
    if (!waitForReset || req.socket.destroyed) return next();
    req.socket.once('close', () => setImmediate(next));
  });
  app.use(express.json({ type: jsonBodyTypes }));
  app.use(refuseUnreadBody());
  app.post('/refunds', (req, res) => {
    reached.push(req.body);
    res.status(201).json({});
  });
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    refused.push(error instanceof ApiError ? error.code : String(error));
    res.status(error.status ?? 500).end();
  };
  app.use(onError);
  const listening = http.createServer(app);
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as net.AddressInfo;
  return { port, reached, refused, close: () => new Promise((resolve) => listening.close(resolve)) };
}

function sendThenReset(port: number, body: string) {
  return new Promise<void>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /refunds HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      setTimeout(() => {
        socket.resetAndDestroy();
        resolve();
      }, 50);
    });
    socket.on('error', () => resolve());
  });
}

const until = async (done: () => boolean) => {
  for (let waited = 0; !done() && waited < 5000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
};

test('a JSON body whose connection was reset before it was read never reaches the route as an empty body', async () => {
  const app = await server(true);
  try {
    await sendThenReset(app.port, '{"amount":"1.00"}');
    await until(() => app.refused.length + app.reached.length > 0);
    expect({ reached: app.reached, refused: app.refused }).toEqual({ reached: [], refused: ['body_unread'] });
  } finally {
    await app.close();
  }
});

test('a body read before the reset, and a request with no body at all, reach the route', async () => {
  const app = await server(false);
  try {
    await sendThenReset(app.port, '{"amount":"1.00"}');
    const empty = await fetch(`http://127.0.0.1:${app.port}/refunds`, { method: 'POST' });
    const zero = await fetch(`http://127.0.0.1:${app.port}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '',
    });
    await until(() => app.reached.length === 3);
    expect([empty.status, zero.status, app.refused]).toEqual([201, 201, []]);
    expect(app.reached).toEqual(expect.arrayContaining([{ amount: '1.00' }, undefined]));
  } finally {
    await app.close();
  }
});

test('a body of another content type is refused as 415', async () => {
  const app = await server(false);
  try {
    const form = await fetch(`http://127.0.0.1:${app.port}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'amount=1.00',
    });
    expect([form.status, app.refused, app.reached]).toEqual([415, ['content_type_unsupported'], []]);
  } finally {
    await app.close();
  }
});
