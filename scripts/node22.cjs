// Runs a command on Node 22 or newer: the running Node when it is new enough, else the one
// scripts/ensure-deps.cjs put in .tools/node. That Node's directory goes first on PATH, so `node`,
// `npx` and every `#!/usr/bin/env node` tool the command starts (tsc, jest, tsx) run on it too.
//   node scripts/node22.cjs <command> [args…]
// The command runs in a process group of its own, so a signal reaches it once: from this script,
// not also from the terminal (Ctrl-C) and again through npm, which forwards what it gets. Its exit
// code (or signal) is this script's.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const nodeFloor = 22;
const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: node scripts/node22.cjs <command> [args…]');
  process.exit(2);
}

function nodeBin() {
  if (Number(process.versions.node.split('.')[0]) >= nodeFloor) return path.dirname(process.execPath);
  const bin = path.resolve(__dirname, '..', '.tools', 'node', 'bin');
  const version = spawnSync(path.join(bin, 'node'), ['--version'], { encoding: 'utf8' });
  if (version.status === 0 && Number(version.stdout.trim().replace(/^v/, '').split('.')[0]) >= nodeFloor) return bin;
  console.error(
    `kassa: Node.js ${nodeFloor} or newer is needed (this is ${process.version}): run \`node scripts/ensure-deps.cjs\` to fetch it into .tools/node, or install Node.js ${nodeFloor}.`,
  );
  process.exit(1);
}

const bin = nodeBin();
const child = spawn(command, args, {
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH || ''}` },
});
/** The command and everything it started without a group of its own (jest's test servers, say). */
function signalGroup(signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
// One Ctrl-C arrives twice (from the terminal and through npm): pass on one per half second.
const lastForwarded = new Map();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (Date.now() - (lastForwarded.get(signal) || 0) < 500) return;
    lastForwarded.set(signal, Date.now());
    signalGroup(signal);
  });
}
// npm's `sh -c` dies of a SIGTERM sent to npm without passing it on: when this script's parent is
// gone, its command is stopped as if it had been signalled.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) signalGroup('SIGTERM');
}, 1000).unref();
child.on('error', (error) => {
  console.error(`kassa: could not run ${command}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
