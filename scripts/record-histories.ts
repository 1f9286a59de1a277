/**
 * Records the workflow histories that test/workflows/replay.test.ts replays: runs the purchase tests on a
 * real Temporal server with `RECORD_HISTORIES=1`, which makes them write the history of each
 * representative run (paid, declined then paid, expired, canceled, under review, …) to
 * test/histories/<name>.json. Run it once the workflow code is final for a change, and commit
 * the files with it. Usage: `npx tsx scripts/record-histories.ts`.
 *
 * Also the JSON form those files use (protobuf JSON, as `temporal workflow show -o json` writes).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
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

export const historiesDir = path.resolve(__dirname, '../test/histories');

function main() {
  const root = path.resolve(__dirname, '..');
  fs.mkdirSync(historiesDir, { recursive: true });
  for (const file of fs.readdirSync(historiesDir)) if (file.endsWith('.json')) fs.rmSync(path.join(historiesDir, file));
  const run = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/jest/bin/jest.js'),
      '--runInBand',
      'test/e2e/purchase.test.ts',
      'test/workflows/purchase-workflow.test.ts',
      'test/e2e/notifications-delivery.test.ts',
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, RECORD_HISTORIES: '1' } },
  );
  const recorded = fs
    .readdirSync(historiesDir)
    .filter((file) => file.endsWith('.json'))
    .sort();
  console.log(`recorded ${recorded.length} histories in test/histories: ${recorded.join(', ')}`);
  process.exit(run.status ?? 1);
}

if (require.main === module) main();
