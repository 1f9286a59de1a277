/** What the scale-out test needs besides the chaos helpers: a load balancer, and who did the work. */
import http from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { type Deployment, recordingClient, type RecordingClient } from './chaos';

/**
 * A round-robin HTTP load balancer in front of `backends` (base URLs, which may be added later), as
 * an operator puts in front of several API processes: each request goes to the next one.
 */
export async function startLoadBalancer(backends: string[] = []) {
  let next = 0;
  const server = http.createServer((req, res) => {
    const backend = backends[next++ % Math.max(1, backends.length)];
    if (!backend) {
      res.writeHead(502);
      res.end();
      return;
    }
    const target = new URL(backend);
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    backends,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A buyer and shop whose calls take turns between the API processes, starting at `first`: the
 * payment is created on one API and its method chosen on the other (when the create got through
 * at once), its status read from both.
 */
export function alternatingClient(apiUrls: string[], first: number): RecordingClient {
  let calls = 0;
  return recordingClient(() => apiUrls[(first + calls++) % apiUrls.length]!);
}

/** One series' value summed over every label set matching `labels` in a Prometheus exposition. */
export function metricSum(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) total += Number(match[3]);
  }
  return total;
}

/** What each worker did for a set of payments, by its process id, from the workflows' histories. */
export interface WorkerShare {
  workflowTasks: number;
  activityTasks: number;
}

/**
 * Reads the purchase workflow history of each payment and counts, per worker process id (a
 * worker's identity is `pid@host`), the workflow tasks it completed and the activity tasks it ran.
 */
export async function workerShares(deployment: Deployment, paymentIds: string[]): Promise<Map<number, WorkerShare>> {
  const connection = await Connection.connect({ address: deployment.temporalAddress });
  try {
    const client = new Client({ connection, namespace: deployment.namespace });
    const shares = new Map<number, WorkerShare>();
    const share = (identity: string | null | undefined) => {
      const pid = Number(String(identity ?? '').split('@')[0]);
      if (!shares.has(pid)) shares.set(pid, { workflowTasks: 0, activityTasks: 0 });
      return shares.get(pid)!;
    };
    for (const paymentId of paymentIds) {
      const history = await client.workflow.getHandle(purchaseWorkflowId(paymentId)).fetchHistory();
      for (const event of history.events ?? []) {
        if (event.workflowTaskCompletedEventAttributes)
          share(event.workflowTaskCompletedEventAttributes.identity).workflowTasks += 1;
        if (event.activityTaskStartedEventAttributes)
          share(event.activityTaskStartedEventAttributes.identity).activityTasks += 1;
      }
    }
    return shares;
  } finally {
    await connection.close();
  }
}
