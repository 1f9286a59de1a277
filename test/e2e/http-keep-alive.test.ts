import net from 'node:net';
import { startTestStack } from '../support/stack';

// A load balancer keeps idle connections to Kassa open for its own idle timeout (60 s on most) and
// sends the next request on one; Kassa must not close it first (Node's own default is 5 s).
jest.setTimeout(60_000);

/** A raw kept-alive connection to `url`: `ask` sends a GET /healthz and answers the status line. */
async function keptAlive(url: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  const ask = async () => {
    received = '';
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`);
    for (let waited = 0; !/\r\n\r\n/.test(received) && !socket.destroyed; waited += 10) {
      if (waited > 5000) throw new Error('no answer');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return received.split('\r\n')[0];
  };
  return { ask, closed, socket };
}

test('an idle kept-alive connection stays open past Node’s 5 s by default, for the next request', async () => {
  const stack = await startTestStack();
  try {
    const connection = await keptAlive(stack.url);
    expect(await connection.ask()).toBe('HTTP/1.1 200 OK');
    await new Promise((resolve) => setTimeout(resolve, 6500));
    expect(connection.socket.destroyed).toBe(false);
    expect(await connection.ask()).toBe('HTTP/1.1 200 OK');
    connection.socket.destroy();
  } finally {
    await stack.close();
  }
});

test('HTTP_KEEP_ALIVE_SECONDS sets how long an idle connection stays open', async () => {
  const stack = await startTestStack({ HTTP_KEEP_ALIVE_SECONDS: '1' });
  try {
    const connection = await keptAlive(stack.url);
    expect(await connection.ask()).toBe('HTTP/1.1 200 OK');
    const answered = Date.now();
    const idle = (await connection.closed) - answered;
    expect(idle).toBeGreaterThanOrEqual(900);
    expect(idle).toBeLessThan(4000);
  } finally {
    await stack.close();
  }
});
