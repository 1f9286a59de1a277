/**
 * `npm run build`: the production build in `dist/`, run with plain `node dist/worker.js`.
 *
 * - TypeScript compiled by tsc with `tsconfig.dist.json` (`worker.ts` and `src/`, with source maps);
 * - the sandbox provider, a program of its own, compiled with `simulators/tsconfig.dist.json`
 *   (`node dist/simulators/sandbox/main.js`);
 * - the files under `src/` that are not TypeScript (SQL migrations) copied beside the compiled code;
 * - the workflow code bundled ahead of time, without and with the tracing interceptors
 *   (`dist/workflow-bundle.js`, `dist/workflow-bundle-tracing.js`, source maps inline), so that a
 *   worker never runs webpack at start.
 *
 * Prints one line per step with its duration; a failed step exits 1.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { workflowBundle } from '../worker';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

/** Names of the prebuilt workflow bundles inside `dist/`, by whether tracing interceptors are in them. */
const prebuiltBundleFiles = { plain: 'workflow-bundle.js', tracing: 'workflow-bundle-tracing.js' } as const;

async function step<T>(name: string, work: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const result = await work();
    console.log(`build: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (error) {
    console.error(`build: ${name} failed: ${(error as Error).message}`);
    process.exit(1);
  }
}

function copyAssets(from: string, to: string): number {
  let copied = 0;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copied += copyAssets(source, target);
    } else if (!entry.name.endsWith('.ts')) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
      copied += 1;
    }
  }
  return copied;
}

function compile(project: string): void {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, project)], {
    cwd: root,
    stdio: 'inherit',
  });
}

async function main() {
  await step('clean dist/', () => fs.rmSync(dist, { recursive: true, force: true }));
  await step('compile TypeScript', () => compile('tsconfig.dist.json'));
  await step('compile the sandbox provider', () => compile('simulators/tsconfig.dist.json'));
  await step('copy assets', () => copyAssets(path.join(root, 'src'), path.join(dist, 'src')));
  for (const tracing of [false, true]) {
    const file = tracing ? prebuiltBundleFiles.tracing : prebuiltBundleFiles.plain;
    await step(`bundle workflows${tracing ? ' with tracing' : ''}`, async () => {
      const bundle = await workflowBundle({ tracing });
      fs.writeFileSync(path.join(dist, file), bundle.code);
    });
  }
  console.log(`build: done; run it with node dist/worker.js`);
}

void main();
