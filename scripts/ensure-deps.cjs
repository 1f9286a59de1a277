// Installs what a fresh clone lacks before `npm start` / `npm test`: npm packages (the lockfile's
// versions; `npm install`, because npm 11 leaves other platforms' optional packages out of the lock
// and `npm ci` then refuses it) and the Temporal CLI. `--test` also makes sure PostgreSQL 15 binaries
// and Temporal's time-skipping test server (for the tests that cross days) are there.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });

function npmPackagesCurrent() {
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(installed)) return false;
  return fs.statSync(installed).mtimeMs >= fs.statSync(path.join(root, 'package-lock.json')).mtimeMs;
}

if (!npmPackagesCurrent()) {
  console.log('installing npm packages');
  run('npm', ['install', '--no-audit', '--no-fund']);
}

execFileSync('bash', [path.join(root, 'scripts', 'setup-temporal.sh')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

if (process.argv.includes('--test')) {
  execFileSync('bash', [path.join(root, 'scripts', 'setup-temporal.sh'), 'test-server'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const pgBin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
  if (!fs.existsSync(path.join(pgBin, 'initdb'))) {
    console.log('installing PostgreSQL 15 server binaries (apt-get)');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'postgresql-15']);
  }
  if (!fs.existsSync('/usr/bin/chromium') && spawnSync('which', ['apt-get']).status === 0) {
    console.log('installing Chromium for browser tests (apt-get)');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium']);
  }
}
