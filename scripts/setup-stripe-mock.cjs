// Installs stripe-mock (Stripe's API simulator, a Go module) at a pinned version into
// .tools/stripe-mock/<version>/stripe-mock with `go install`; a second run does nothing.
// STRIPE_MOCK names a binary to use instead. Prints the executable's path on its last line;
// exits 1 with one line on stderr when it cannot.
// Plain CommonJS with nothing newer than Node 14, like scripts/ensure-deps.cjs.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const STRIPE_MOCK_VERSION = 'v0.203.0';
const root = path.resolve(__dirname, '..');
const bin = path.join(root, '.tools', 'stripe-mock', STRIPE_MOCK_VERSION);
const executable = path.join(bin, 'stripe-mock');

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

if (process.env.STRIPE_MOCK) {
  if (!isExecutable(process.env.STRIPE_MOCK))
    fail(`STRIPE_MOCK=${process.env.STRIPE_MOCK} is not an executable file: point it at stripe-mock, or unset it.`);
  console.log(process.env.STRIPE_MOCK);
  process.exit(0);
}
if (isExecutable(executable)) {
  console.log(executable);
  process.exit(0);
}

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status !== 0)
  fail(
    `the Stripe tests need stripe-mock ${STRIPE_MOCK_VERSION}, installed with Go: install Go (https://go.dev/dl) and run again, or set STRIPE_MOCK to a stripe-mock binary.`,
  );
process.stderr.write(`installing stripe-mock ${STRIPE_MOCK_VERSION} into ${path.relative(root, bin)} (go install)\n`);
fs.mkdirSync(bin, { recursive: true });
const installed = spawnSync('go', ['install', `github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}`], {
  cwd: bin,
  env: Object.assign({}, process.env, { GOBIN: bin }),
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (installed.status !== 0 || !isExecutable(executable))
  fail(`\`go install github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}\` failed (its output is above).`);
console.log(executable);
