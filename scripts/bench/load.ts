/** Load shapes and the statistics the benchmark reports. Every loop is bounded by a count and a deadline. */

/** Nearest-rank percentile of `values` (any order); `NaN` when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const median = (values: number[]) => percentile(values, 50);

export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export interface LoadResult<T> {
  /** Operations started. */
  started: number;
  /** Operations that resolved. */
  ok: number;
  errors: string[];
  elapsedMs: number;
  /** `ok` per second of `elapsedMs`. */
  rate: number;
  /** Per successful operation, ms: from its start (closed loop) or its intended start (open loop). */
  latencies: number[];
  values: T[];
  /** Stopped by the deadline before `count` operations started. */
  cut: boolean;
}

const firstErrors = 20;

function finish<T>(
  started: number,
  begin: number,
  latencies: number[],
  values: T[],
  errors: string[],
  cut: boolean,
): LoadResult<T> {
  const elapsedMs = performance.now() - begin;
  return {
    started,
    ok: latencies.length,
    errors,
    elapsedMs,
    rate: (latencies.length / elapsedMs) * 1000,
    latencies,
    values,
    cut,
  };
}

/**
 * `count` operations, `concurrency` at a time, each started as the last one of its lane ends.
 * No new operation starts after `deadline` (an epoch ms).
 */
export async function closedLoop<T>(
  count: number,
  concurrency: number,
  deadline: number,
  operation: (index: number) => Promise<T>,
): Promise<LoadResult<T>> {
  const begin = performance.now();
  const latencies: number[] = [];
  const values: T[] = [];
  const errors: string[] = [];
  let next = 0;
  let cut = false;
  const lane = async () => {
    for (;;) {
      if (next >= count) return;
      if (Date.now() >= deadline) {
        cut = true;
        return;
      }
      const index = next++;
      const start = performance.now();
      try {
        const value = await operation(index);
        latencies.push(performance.now() - start);
        values.push(value);
      } catch (error) {
        if (errors.length < firstErrors) errors.push((error as Error).message);
        else errors.push('');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return finish(next, begin, latencies, values, errors, cut);
}

/**
 * Open loop: operation `i` is due at `i / ratePerSecond` after the start and is sent then
 * whatever the earlier ones are doing; its latency counts from when it was due, so a stall
 * shows in the figures instead of slowing the schedule (no coordinated omission).
 */
export async function openLoop<T>(
  ratePerSecond: number,
  count: number,
  deadline: number,
  operation: (index: number) => Promise<T>,
): Promise<LoadResult<T>> {
  const begin = performance.now();
  const latencies: number[] = [];
  const values: T[] = [];
  const errors: string[] = [];
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / ratePerSecond;
  let started = 0;
  let cut = false;
  for (let index = 0; index < count; index++) {
    if (Date.now() >= deadline) {
      cut = true;
      break;
    }
    const due = begin + index * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    started += 1;
    inFlight.push(
      operation(index).then(
        (value) => {
          latencies.push(performance.now() - due);
          values.push(value);
        },
        (error: Error) => {
          errors.push(errors.length < firstErrors ? error.message : '');
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return finish(started, begin, latencies, values, errors, cut);
}

/** Distinct error messages with counts, for the report. */
export function errorSummary(errors: string[]): string[] {
  const counts = new Map<string, number>();
  for (const error of errors) counts.set(error || '(more)', (counts.get(error || '(more)') ?? 0) + 1);
  return [...counts].map(([message, n]) => `${n}× ${message}`);
}
