/**
 * `npm run kassa -- <command>`: the operator's command line. It talks to a running Kassa through
 * the operator API (so it works the same with the embedded PostgreSQL and with an external one):
 * `KASSA_URL` (default `PUBLIC_URL`, i.e.
 * http://127.0.0.1:3000) and `ADMIN_TOKEN` (default: the token Kassa generated in `DATA_DIR`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';

const usage = `Usage: npm run kassa -- <command>

  merchants create --name NAME --email EMAIL   a merchant with a test and a live key (shown once)
  keys issue --merchant mer_… --mode test|live  a new API key (shown once)
  keys rotate --key key_…                       revoke a key and issue its replacement (shown once)
  keys revoke --key key_…                       revoke a key: it is refused at once
  keys list --merchant mer_…                    a merchant's keys (prefixes only)

Talks to KASSA_URL (default PUBLIC_URL) with ADMIN_TOKEN (default: DATA_DIR/admin-token).`;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

class UsageError extends Error {}

function flags(args: string[]): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (let index = 0; index < args.length; index += 1) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(args[index]!);
    if (!match) throw new UsageError(`unexpected argument ${args[index]}`);
    const value = match[2] ?? args[(index += 1)];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    parsed[match[1]!] = value;
  }
  return parsed;
}

function required(options: Record<string, string>, name: string): string {
  const value = options[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

function connection(env: NodeJS.ProcessEnv) {
  const config = loadConfig(env);
  const url = (env.KASSA_URL || config.publicUrl).replace(/\/+$/, '');
  const tokenFile = path.join(config.dataDir, 'admin-token');
  const token = config.adminToken ?? (fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token)
    throw new UsageError(`no operator token: set ADMIN_TOKEN (or run Kassa once so that ${tokenFile} exists)`);
  return { url, token };
}

async function call(env: NodeJS.ProcessEnv, method: string, pathname: string, body?: unknown) {
  const { url, token } = connection(env);
  const response = await fetch(`${url}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as Record<string, any>;
  if (!response.ok)
    throw new Error(`${method} ${pathname}: ${response.status} ${json.error?.message ?? JSON.stringify(json)}`);
  return json;
}

const keyLine = (key: Record<string, any>) =>
  `${key.id}  ${key.mode.padEnd(4)}  ${key.prefix}…  created ${key.created_at}${key.revoked_at ? `  revoked ${key.revoked_at}` : ''}`;

/** Runs one command; resolves to the process exit code (0 done, 1 refused or failed, 2 bad usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (!group || group === 'help' || group === '--help') {
      io.out(usage);
      return 0;
    }
    const options = flags(rest);
    const action = `${group} ${command ?? ''}`;
    if (action === 'merchants create') {
      const merchant = await call(io.env, 'POST', '/admin/merchants', {
        name: required(options, 'name'),
        email: required(options, 'email'),
      });
      io.out(`merchant  ${merchant.id}  ${merchant.name} <${merchant.email}>`);
      io.out(`test key  ${merchant.api_keys.test}`);
      io.out(`live key  ${merchant.api_keys.live}`);
      io.out('The keys are shown this once; Kassa keeps only their hashes.');
    } else if (action === 'keys issue') {
      const mode = required(options, 'mode');
      if (mode !== 'test' && mode !== 'live') throw new UsageError('--mode must be test or live');
      const key = await call(
        io.env,
        'POST',
        `/admin/merchants/${encodeURIComponent(required(options, 'merchant'))}/keys`,
        { mode },
      );
      io.out(`${key.id}  ${key.mode}  ${key.secret}`);
      io.out('The key is shown this once.');
    } else if (action === 'keys rotate' || action === 'keys revoke') {
      const key = await call(io.env, 'GET', `/admin/keys/${encodeURIComponent(required(options, 'key'))}`);
      const base = `/admin/merchants/${key.merchant_id}/keys/${key.id}`;
      if (command === 'revoke') {
        io.out(`revoked  ${keyLine(await call(io.env, 'POST', `${base}/revoke`, {}))}`);
      } else {
        const rotated = await call(io.env, 'POST', `${base}/rotate`, {});
        io.out(`revoked  ${keyLine(rotated.revoked)}`);
        io.out(`issued   ${rotated.issued.id}  ${rotated.issued.mode}  ${rotated.issued.secret}`);
        io.out('The new key is shown this once.');
      }
    } else if (action === 'keys list') {
      const list = await call(
        io.env,
        'GET',
        `/admin/merchants/${encodeURIComponent(required(options, 'merchant'))}/keys`,
      );
      for (const key of list.data) io.out(keyLine(key));
    } else {
      throw new UsageError(`unknown command: ${action.trim()}`);
    }
    return 0;
  } catch (error) {
    io.err(error instanceof UsageError ? `${error.message}\n\n${usage}` : `kassa: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then((code) => {
    process.exitCode = code;
  });
}
