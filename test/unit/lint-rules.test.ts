import { execFileSync } from 'node:child_process';
import path from 'node:path';

// The lint rules that keep workflow code deterministic and the flow of imports one-way, checked on code they must
// refuse and code they must let through.

const root = path.resolve(__dirname, '../..');

/** The project's own eslint on `code` as if it were `file` (type-aware rules off: the probe is in no project). */
function problemsIn(file: string, code: string): string[] {
  const args = ['--stdin', '--stdin-filename', file, '-f', 'json', '--parser-options', 'projectService:false'];
  for (const rule of ['no-floating-promises', 'no-misused-promises'])
    args.push('--rule', `@typescript-eslint/${rule}: off`);
  let output: string;
  try {
    output = execFileSync(path.join(root, 'node_modules/.bin/eslint'), args, {
      cwd: root,
      input: code,
      encoding: 'utf8',
    });
  } catch (error) {
    output = (error as { stdout: string }).stdout;
  }
  const [result] = JSON.parse(output) as { messages: { line: number; message: string; ruleId: string }[] }[];
  return result!.messages
    .filter((message) => message.ruleId !== '@typescript-eslint/no-unused-vars')
    .map((m) => `${m.line}: ${m.message}`);
}

test('workflow code may not import Node built-ins or I/O modules', () => {
  const code = [
    "import fs from 'node:fs';",
    "import http from 'http';",
    "import { Pool } from 'pg';",
    "import { Client } from '@temporalio/client';",
    "import { findPaymentById } from '../db/payments';",
    "import { createActivities } from '../activities';",
    'export const used = [fs, http, Pool, Client, findPaymentById, createActivities];',
  ].join('\n');
  const problems = problemsIn('src/workflows/lint-probe.ts', code);
  expect(problems.map((problem) => Number(problem.split(':')[0]))).toEqual([1, 2, 3, 4, 5, 6]);
  expect(problems[0]).toMatch(/deterministic/);
});

test('workflow code may import the workflow SDK, domain code and types of activities', () => {
  const code = [
    "import { condition } from '@temporalio/workflow';",
    "import { formatAmount } from '../domain/money';",
    "import type { createActivities } from '../activities';",
    "import type { Pool } from 'pg';",
    'export const used: [typeof condition, typeof formatAmount, typeof createActivities | null, Pool | null] = [condition, formatAmount, null, null];',
  ].join('\n');
  expect(problemsIn('src/workflows/lint-probe.ts', code)).toEqual([]);
});

test('the same imports are fine outside src/workflows', () => {
  expect(problemsIn('src/activities/lint-probe.ts', "import fs from 'node:fs';\nexport const used = fs;")).toEqual([]);
});

test('a room may not import the rooms above it: services not the API, the domain not the database or workflows', () => {
  expect(
    problemsIn(
      'src/services/lint-probe.ts',
      "import { notFound } from '../api/errors';\nexport const used = notFound;",
    ),
  ).toEqual([expect.stringMatching(/^1: .*src\/services may import only the rooms below it/)]);
  const domain = [
    "import { findPaymentById } from '../db/payments';",
    "import { taskQueue } from '../workflows/shared';",
    "import { paymentResource } from '../resources/payment';",
    'export const used = [findPaymentById, taskQueue, paymentResource];',
  ].join('\n');
  expect(problemsIn('src/domain/lint-probe.ts', domain).map((problem) => problem.split(':')[0])).toEqual([
    '1',
    '2',
    '3',
  ]);
  expect(
    problemsIn(
      'src/workflows/purchase/lint-probe.ts',
      "import { startWorkflow } from '../../temporal/start';\nexport const used = startWorkflow;",
    ),
  ).toHaveLength(1);
});

test('a room may import the rooms below it and packages whose names look like a room', () => {
  const code = [
    "import { trace } from '@opentelemetry/api';",
    "import { findPaymentById } from '../db/payments';",
    "import { paymentResource } from '../resources/payment';",
    "import { formatAmount } from '../domain/money';",
    'export const used = [trace, findPaymentById, paymentResource, formatAmount];',
  ].join('\n');
  expect(problemsIn('src/services/lint-probe.ts', code)).toEqual([]);
});

test('configuration may not import the rooms that read it', () => {
  const code = "import { connectClient } from './temporal/connection';\nexport const used = connectClient;";
  expect(problemsIn('src/config.ts', code)).toEqual([
    expect.stringMatching(/^1: .*Configuration is read by every room/),
  ]);
});
