/**
 * The benchmark's floor worker as its own process (scripts/bench/infra.ts starts it, so its CPU can
 * be read apart from Kassa's): `floorWorkflow` and its no-op activities on a task queue of their own,
 * bundled from scripts/bench, with the workflow cache Kassa's worker has. Kassa's workers never
 * register them. Like Kassa, it also starts and drives its runs, with a client on the worker's
 * connection (./floor-driver.ts), when the benchmark asks over the IPC channel. Environment:
 * `TEMPORAL_ADDRESS`, `FLOOR_TASK_QUEUE`; prints a ready line once it polls, and stops on
 * SIGINT/SIGTERM or when the benchmark is gone.
 */
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { stopWhenParentExits } from '../../src/parent-watch';
import { createFloorActivities } from './floor-activities';
import { driveFloor, type FloorReply, type FloorRequest } from './floor-driver';

export const floorWorkerReadyLine = 'floor worker ready';

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS;
  const taskQueue = process.env.FLOOR_TASK_QUEUE;
  if (!address || !taskQueue) throw new Error('TEMPORAL_ADDRESS and FLOOR_TASK_QUEUE are required');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    maxCachedWorkflows: 1000,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('./floor-workflow'),
      logger: quietBundlerLogger,
    }),
    activities: createFloorActivities(),
  });
  const running = worker.run();
  const client = new Client({ connection, namespace: 'default' });
  process.on('message', (request: FloorRequest) => {
    driveFloor(client, taskQueue, request).then(
      (workflowId) => reply({ id: request.id, workflowId }),
      (error: unknown) => reply({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  // The worker keeps the process alive while it runs; the channel alone does not.
  process.channel?.unref();
  console.log(`${floorWorkerReadyLine} on task queue ${taskQueue}`);
  stopWhenParentExits(() => worker.shutdown());
  await running;
  await connection.close();
}

function reply(message: FloorReply): void {
  process.send?.(message);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`floor worker failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
}
