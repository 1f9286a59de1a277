/**
 * Records the workflow histories that test/workflows/replay.test.ts replays, and adds them to
 * test/histories without ever deleting or overwriting one already there.
 *
 * How it works: it runs the recording tests ({@link recordingTests}: the purchase tests and the
 * histories-* tests of every other workflow type) on a real Temporal server with
 * `RECORD_HISTORIES=1`. They write the history of each representative run to {@link historiesDir},
 * which here is a scratch folder (`RECORD_HISTORIES_DIR`), not test/histories. Each recording is
 * then merged into test/histories by {@link addHistory}:
 * - a name test/histories does not have yet is added as `<name>.json`;
 * - a name it has is kept as it is. When the new recording has the same shape (see
 *   {@link historyShape}: the same events, activities, signals, updates and markers in the same
 *   order; times, ids and payloads differ from run to run) nothing is added; when its shape
 *   differs, it is added beside the old one as `<name>.<yyyy-mm-dd>.json` (and, should that name be
 *   taken by another shape, `<name>.<yyyy-mm-dd>-<hash>.json`).
 * So the histories recorded before a change keep replaying after it, next to those recorded after.
 * Removing a history is a deliberate commit of its own, never this script's doing.
 *
 * Usage: `npx tsx scripts/record-histories.ts`, once the workflow code is final for a change; commit
 * the files it added. A recording test run alone with `RECORD_HISTORIES=1` (and no
 * `RECORD_HISTORIES_DIR`) writes to test/histories directly: the histories-* tests still go through
 * {@link addHistory}, the older purchase tests write `<name>.json` themselves.
 *
 * Also the JSON form those files use (protobuf JSON, as `temporal workflow show -o json` writes).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

// The protobuf JSON codec of the protobufjs copy that @temporalio/proto itself uses. The SDK's
// historyToJSON/historyFromJSON load another copy when npm installs several (here: 7.x at the
// top level, 8.x nested per @temporalio package) and then throw "type must be a Type".
const protojson: ProtoJson = require(
  require.resolve('protobufjs/ext/protojson', { paths: [path.dirname(require.resolve('@temporalio/proto'))] }),
);
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

export function historyToJson(history: History): string {
  return `${JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2)}\n`;
}

export function historyFromJson(json: string): proto.temporal.api.history.v1.History {
  const history = protojson.fromJson(historyType, JSON.parse(json), { ignoreUnknownFields: true });
  if (!history) throw new TypeError('not a workflow history');
  return history as proto.temporal.api.history.v1.History;
}

/** The committed histories, which test/workflows/replay.test.ts replays. */
export const committedHistoriesDir = path.resolve(__dirname, '../test/histories');

/**
 * Where recording tests write: the scratch folder this script gives them in `RECORD_HISTORIES_DIR`,
 * or test/histories when a test is run alone.
 */
export const historiesDir = process.env.RECORD_HISTORIES_DIR
  ? path.resolve(process.env.RECORD_HISTORIES_DIR)
  : committedHistoriesDir;

/** The tests that record histories when `RECORD_HISTORIES=1`. */
export const recordingTests = [
  'test/e2e/purchase.test.ts',
  'test/workflows/purchase-workflow.test.ts',
  'test/workflows/connector-purchase.test.ts',
  'test/e2e/notifications-delivery.test.ts',
  'test/e2e/histories-money.test.ts',
  'test/e2e/histories-operations.test.ts',
];

interface JsonEvent {
  eventType?: string;
  [attributes: string]: unknown;
}

/**
 * What replay depends on in a history (protobuf JSON): per event its type and the name it carries
 * (activity type, signal, update, marker, child workflow type); not its time, ids or payloads,
 * which differ in every run.
 */
export function historyShape(json: string): string[] {
  const events = ((JSON.parse(json) as { events?: JsonEvent[] }).events ?? []) as JsonEvent[];
  return events.map((event) => {
    const type = (event.eventType ?? '').replace(/^EVENT_TYPE_/, '');
    const attributes = Object.entries(event).find(([key]) => key.endsWith('EventAttributes'))?.[1] as
      Record<string, any> | undefined;
    const name =
      attributes?.activityType?.name ??
      attributes?.workflowType?.name ??
      attributes?.signalName ??
      attributes?.markerName ??
      attributes?.acceptedRequest?.input?.name ??
      null;
    return name ? `${type} ${name}` : type;
  });
}

const sameShape = (a: string, b: string) => JSON.stringify(historyShape(a)) === JSON.stringify(historyShape(b));

/** What {@link addHistory} did with one recording. */
export type AddedHistory = { action: 'added' | 'kept'; file: string };

/**
 * Adds one recorded history (protobuf JSON) named `name` to `dir`, never touching a file already
 * there: `<name>.json` when the name is new; nothing when `<name>.json` or a dated sibling already
 * has its shape (`kept`, naming that file); otherwise `<name>.<today>.json`, or
 * `<name>.<today>-<hash>.json` when that is taken too.
 */
export function addHistory(dir: string, name: string, json: string, today = new Date()): AddedHistory {
  fs.mkdirSync(dir, { recursive: true });
  const plain = `${name}.json`;
  if (!fs.existsSync(path.join(dir, plain))) {
    fs.writeFileSync(path.join(dir, plain), json, { flag: 'wx' });
    return { action: 'added', file: plain };
  }
  const versions = fs
    .readdirSync(dir)
    .filter(
      (file) => file === plain || (file.startsWith(`${name}.`) && /^\.\d{4}-\d{2}-\d{2}/.test(file.slice(name.length))),
    )
    .sort();
  const same = versions.find((file) => sameShape(fs.readFileSync(path.join(dir, file), 'utf8'), json));
  if (same) return { action: 'kept', file: same };
  const day = today.toISOString().slice(0, 10);
  const hash = createHash('sha256')
    .update(JSON.stringify(historyShape(json)))
    .digest('hex')
    .slice(0, 8);
  const file = [`${name}.${day}.json`, `${name}.${day}-${hash}.json`].find(
    (candidate) => !fs.existsSync(path.join(dir, candidate)),
  );
  if (!file) throw new Error(`${name}: ${name}.${day}-${hash}.json exists with another shape`);
  fs.writeFileSync(path.join(dir, file), json, { flag: 'wx' });
  return { action: 'added', file };
}

/**
 * For recording tests: adds `history` as `name` to {@link historiesDir} when `RECORD_HISTORIES=1`,
 * by {@link addHistory}; does nothing otherwise.
 */
export function recordHistory(name: string, history: History): AddedHistory | null {
  if (process.env.RECORD_HISTORIES !== '1') return null;
  return addHistory(historiesDir, name, historyToJson(history));
}

/** Adds every history recorded in `fromDir` to `toDir` by {@link addHistory}; answers the files it added. */
export function mergeRecordedHistories(fromDir: string, toDir: string, today = new Date()) {
  const recorded = fs
    .readdirSync(fromDir)
    .filter((file) => file.endsWith('.json'))
    .sort();
  const added: string[] = [];
  for (const file of recorded) {
    const json = fs.readFileSync(path.join(fromDir, file), 'utf8');
    const result = addHistory(toDir, path.basename(file, '.json'), json, today);
    if (result.action === 'added') added.push(result.file);
  }
  return { recorded: recorded.length, added };
}

function main() {
  const root = path.resolve(__dirname, '..');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-histories-'));
  let status = 1;
  try {
    const run = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/jest/bin/jest.js'), '--runInBand', ...recordingTests],
      {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, RECORD_HISTORIES: '1', RECORD_HISTORIES_DIR: scratch },
      },
    );
    const { recorded, added } = mergeRecordedHistories(scratch, committedHistoriesDir);
    console.log(
      `recorded ${recorded} histories; added ${added.length} to test/histories${added.length ? `: ${added.join(', ')}` : ''}; none removed or overwritten`,
    );
    status = run.status ?? 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  process.exit(status);
}

if (require.main === module) main();
