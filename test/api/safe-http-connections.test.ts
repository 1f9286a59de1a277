import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { keptAliveConnections, safeRequest } from '../../src/net/safe-http';

// Kept-alive connections to merchants' endpoints, against real servers on loopback.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listening(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An HTTP server that counts the connections it accepts. */
async function countingServer() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  const counted = { connections: 0 };
  server.on('connection', () => (counted.connections += 1));
  return { url: await listening(server), counted };
}

const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"evt_1"}' };

test('requests through kept connections share one connection; without them each has its own', async () => {
  const kept = await countingServer();
  const connections = keptAliveConnections();
  for (let i = 0; i < 3; i++) {
    const response = await safeRequest(`${kept.url}/hook`, post, { allowPrivate: true, connections });
    expect(response).toMatchObject({ status: 200, body: 'ok' });
  }
  expect(kept.counted.connections).toBe(1);

  const single = await countingServer();
  for (let i = 0; i < 3; i++) await safeRequest(`${single.url}/hook`, post, { allowPrivate: true });
  expect(single.counted.connections).toBe(3);
});

test('a kept connection the server reset is not a failure: the request goes again once, on a new connection', async () => {
  // Answers the first request on a connection and resets the connection at the second, as a server
  // whose idle timeout ran out while the request was on its way.
  const requestsByConnection: number[] = [];
  const server = net.createServer((socket) => {
    const index = requestsByConnection.push(0) - 1;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      while (buffered.includes('\r\n\r\n')) {
        const headEnd = buffered.indexOf('\r\n\r\n') + 4;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, headEnd))?.[1] ?? 0);
        if (buffered.length < headEnd + length) return;
        buffered = buffered.slice(headEnd + length);
        requestsByConnection[index]! += 1;
        if (requestsByConnection[index] === 1)
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
        else socket.resetAndDestroy();
      }
    });
  });
  const url = await listening(server);
  const connections = keptAliveConnections();

  const first = await safeRequest(`${url}/hook`, post, { allowPrivate: true, connections });
  const second = await safeRequest(`${url}/hook`, post, { allowPrivate: true, connections });

  expect([first.status, second.status]).toEqual([200, 200]);
  expect(requestsByConnection).toEqual([2, 1]);
});

test('a kept connection is still refused an internal address when private ones are not allowed', async () => {
  const kept = await countingServer();
  const connections = keptAliveConnections();
  await expect(safeRequest(`${kept.url}/hook`, post, { allowPrivate: false, connections })).rejects.toThrow(
    /loopback|private|internal|not allowed/i,
  );
  expect(kept.counted.connections).toBe(0);
});

test('the idle time of kept connections does not cut an endpoint that takes longer to answer', async () => {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.end('late'), 600));
  });
  const url = await listening(server);
  const connections = keptAliveConnections({ idleMs: 200 });
  const response = await safeRequest(`${url}/hook`, post, { allowPrivate: true, connections, timeoutMs: 5_000 });
  expect(response).toMatchObject({ status: 200, body: 'late' });
});
