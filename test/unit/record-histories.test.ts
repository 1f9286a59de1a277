import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  addHistory,
  committedHistoriesDir,
  historyShape,
  mergeRecordedHistories,
} from '../../scripts/record-histories';

// The recording script adds histories and never deletes or overwrites one: histories recorded
// before a change must keep replaying after it.

const committed = (name: string) => fs.readFileSync(path.join(committedHistoriesDir, `${name}.json`), 'utf8');

/** `json` as another run of the same workflow would record it: other times, ids and payloads, same events. */
function rerun(json: string): string {
  const history = JSON.parse(json) as { events: Record<string, unknown>[] };
  for (const event of history.events) {
    event.eventTime = '2030-01-01T00:00:00Z';
    event.taskId = String(Number(event.taskId) + 1000);
  }
  const started = history.events[0]!.workflowExecutionStartedEventAttributes as Record<string, unknown>;
  started.originalExecutionRunId = '00000000-0000-0000-0000-000000000000';
  return `${JSON.stringify(history, null, 2)}\n`;
}

/** Every file in `dir` with its content. */
const snapshot = (dir: string) =>
  new Map(
    fs
      .readdirSync(dir)
      .sort()
      .map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]),
  );

/** Fails unless every file of `before` is still in `dir`, byte for byte. */
function expectNothingLost(dir: string, before: Map<string, string>) {
  const after = snapshot(dir);
  for (const [file, content] of before) expect([file, after.get(file) === content]).toEqual([file, true]);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-record-histories-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const today = new Date('2026-11-30T12:00:00Z');

test('a shape is the events and what they name, not their times or ids', () => {
  const paid = committed('paid');
  expect(historyShape(rerun(paid))).toEqual(historyShape(paid));
  expect(historyShape(paid)).toContain('ACTIVITY_TASK_SCHEDULED createProviderPayment');
  expect(historyShape(paid)[0]).toBe('WORKFLOW_EXECUTION_STARTED purchaseWorkflow');
  expect(historyShape(committed('expired'))).not.toEqual(historyShape(paid));
});

test('a new name is added as <name>.json', () => {
  expect(addHistory(dir, 'paid', committed('paid'), today)).toEqual({ action: 'added', file: 'paid.json' });
  expect(fs.readFileSync(path.join(dir, 'paid.json'), 'utf8')).toBe(committed('paid'));
});

test('a name that exists with the same shape is kept as it is and nothing is added', () => {
  fs.writeFileSync(path.join(dir, 'paid.json'), committed('paid'));
  const before = snapshot(dir);
  expect(addHistory(dir, 'paid', rerun(committed('paid')), today)).toEqual({ action: 'kept', file: 'paid.json' });
  expect(snapshot(dir)).toEqual(before);
});

test('a name that exists with another shape keeps the old file and adds the new one beside it, dated, then hashed', () => {
  fs.writeFileSync(path.join(dir, 'paid.json'), committed('paid'));
  const before = snapshot(dir);

  expect(addHistory(dir, 'paid', committed('expired'), today)).toEqual({
    action: 'added',
    file: 'paid.2026-11-30.json',
  });
  expectNothingLost(dir, before);
  expect(fs.readFileSync(path.join(dir, 'paid.2026-11-30.json'), 'utf8')).toBe(committed('expired'));

  const third = addHistory(dir, 'paid', committed('canceled'), today);
  expect(third.action).toBe('added');
  expect(third.file).toMatch(/^paid\.2026-11-30-[0-9a-f]{8}\.json$/);
  expectNothingLost(dir, before);
  expect(fs.readdirSync(dir).sort()).toEqual(['paid.2026-11-30.json', 'paid.json', third.file].sort());

  // a later run recording a shape seen before, under a dated name, adds nothing
  const again = snapshot(dir);
  expect(addHistory(dir, 'paid', rerun(committed('expired')), today)).toEqual({
    action: 'kept',
    file: 'paid.2026-11-30.json',
  });
  expect(snapshot(dir)).toEqual(again);
});

test('merging a recording run into the committed folder only adds: no history is deleted or overwritten', () => {
  const recorded = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-recorded-'));
  try {
    for (const name of ['paid', 'expired', 'refund-succeeded', 'payout-paid'])
      fs.writeFileSync(path.join(dir, `${name}.json`), committed(name));
    fs.writeFileSync(path.join(dir, 'README.md'), 'not a history');
    const before = snapshot(dir);

    fs.writeFileSync(path.join(recorded, 'paid.json'), rerun(committed('paid'))); // same shape
    fs.writeFileSync(path.join(recorded, 'expired.json'), committed('canceled')); // the workflow changed
    fs.writeFileSync(path.join(recorded, 'review-accepted.json'), committed('review-accepted')); // new

    expect(mergeRecordedHistories(recorded, dir, today)).toEqual({
      recorded: 3,
      added: ['expired.2026-11-30.json', 'review-accepted.json'],
    });
    expectNothingLost(dir, before);
    expect([...snapshot(dir).keys()].sort()).toEqual(
      [...before.keys(), 'expired.2026-11-30.json', 'review-accepted.json'].sort(),
    );
  } finally {
    fs.rmSync(recorded, { recursive: true, force: true });
  }
});
