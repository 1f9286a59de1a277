import express, { Router } from 'express';
import type { z } from 'zod';
import { type FaultBook, faultSchema } from './faults';

/**
 * The test harness's knobs for a simulator without an error shape of its own to follow:
 * `POST <path>` `{reference?, delay_ms, duplicate, drop, wrong_amount, reorder, refund_fails}` sets the
 * faults for one payment (or, without `reference`, for every other one), `DELETE <path>` clears them;
 * both answer 204. A bad body is 400 `{"error":{"message","param"}}` naming the field.
 */
export function faultRoutes(opts: {
  path: string;
  faults: FaultBook;
  reference: z.ZodType<string>;
  log: (line: string) => void;
}): Router {
  const router = Router();
  const schema = faultSchema(opts.reference);

  router.post(opts.path, express.json({ limit: '8kb' }), (req, res) => {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param =
        issue.code === 'unrecognized_keys' ? String(issue.keys[0]) : issue.path.map(String).join('.') || 'body';
      res.status(400).json({ error: { message: `${param}: ${issue.message}`, param } });
      return;
    }
    const { reference, ...fault } = parsed.data;
    opts.faults.set(reference, fault);
    opts.log(`faults for ${reference ?? 'all payments'}: ${JSON.stringify(fault)}`);
    res.status(204).end();
  });

  router.delete(opts.path, (_req, res) => {
    opts.faults.clear();
    opts.log('faults cleared');
    res.status(204).end();
  });

  return router;
}
