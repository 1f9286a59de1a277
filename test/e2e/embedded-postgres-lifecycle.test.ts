import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../..');

test('a PostgreSQL server left running by a Kassa that was killed is stopped at the next start, which keeps the data', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-embedded-kill-'));
  const files = { logFile: path.join(dir, 'logs', 'postgres.log'), passwordFile: path.join(dir, 'postgres-password') };
  const script = `
    const { Pool } = require('pg');
    require('./src/db/embedded').startEmbeddedPostgres(process.env.DIR + '/postgres', JSON.parse(process.env.FILES)).then(async (server) => {
      const pool = new Pool({ connectionString: server.url });
      await pool.query('create table kept (note text)');
      await pool.query("insert into kept values ('before the kill')");
      await pool.end();
      console.log('up ' + require('fs').readFileSync(process.env.DIR + '/postgres/postmaster.pid', 'utf8').split('\\n')[0]);
    });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    env: { ...process.env, DIR: dir, FILES: JSON.stringify(files) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const orphan = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /up (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error(`the first start failed: ${output}`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(() => process.kill(orphan, 0)).not.toThrow();

  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    server = await startEmbeddedPostgres(path.join(dir, 'postgres'), files);
    expect(() => process.kill(orphan, 0)).toThrow();
    const pool = new Pool({ connectionString: server.url });
    expect((await pool.query('select note from kept')).rows).toEqual([{ note: 'before the kill' }]);
    await pool.end();
  } finally {
    await server?.stop();
    try {
      process.kill(orphan, 'SIGINT');
    } catch {
      // stopped by the second start, as it should be
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a second start on a database another live Kassa runs is refused, and the first keeps its server', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-embedded-owner-'));
  const files = { logFile: path.join(dir, 'logs', 'postgres.log'), passwordFile: path.join(dir, 'postgres-password') };
  const first = await startEmbeddedPostgres(path.join(dir, 'postgres'), files);
  try {
    await expect(startEmbeddedPostgres(path.join(dir, 'postgres'), files)).rejects.toThrow(
      /another Kassa .* runs the database/,
    );
    const pool = new Pool({ connectionString: first.url });
    expect((await pool.query('select 1 as up')).rows).toEqual([{ up: 1 }]);
    await pool.end();
  } finally {
    await first.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a first start cut off while the cluster is being created leaves nothing that blocks the next start', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-embedded-cut-'));
  const files = { logFile: path.join(dir, 'logs', 'postgres.log'), passwordFile: path.join(dir, 'postgres-password') };
  // What a start stopped in the middle of initdb leaves: a half-built scratch cluster.
  fs.mkdirSync(path.join(dir, 'postgres.initdb', 'base'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'postgres.initdb', 'PG_VERSION'), '18\n');
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    server = await startEmbeddedPostgres(path.join(dir, 'postgres'), files);
    const pool = new Pool({ connectionString: server.url });
    expect((await pool.query('select 1 as up')).rows).toEqual([{ up: 1 }]);
    await pool.end();
    expect(fs.existsSync(path.join(dir, 'postgres.initdb'))).toBe(false);
    expect(fs.existsSync(files.passwordFile)).toBe(true);
  } finally {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
