import type { Fault } from './faults';
import { Scheduler } from './scheduler';

/**
 * One HTTP request of a callback, exactly as the provider sends it. Built again for every attempt,
 * so a signature over a timestamp is fresh each time.
 */
export interface CallbackRequest {
  url: string;
  /** Default `POST`. */
  method?: 'POST' | 'GET';
  /** A header whose value is `undefined` is not sent. */
  headers: Record<string, string | undefined>;
  /** Absent for a GET. */
  body?: string;
}

/** How the receiver's answer counts; by default any 2xx accepts the callback. */
export type Acceptance = (answer: { status: number; text: string }) => boolean;

export interface CallbackSettings {
  log: (line: string) => void;
  /** Waits before each retry; one attempt more than there are delays. */
  retryDelaysMs: readonly number[];
  /** Per attempt. */
  timeoutMs: number;
  /** Default: the answer is a 2xx. A provider that wants a particular body says so here. */
  accepted?: Acceptance;
}

/** One callback to deliver: what the log calls it, and how to build each attempt's request. */
export interface Callback {
  label: string;
  request: () => CallbackRequest;
}

export interface CallbackSender {
  /**
   * Delivers `callbacks` one after the other in the background, each retried until accepted or the
   * retries run out; after `fault.delay_ms`, or not at all under `fault.drop`. `subject` names the
   * payment in the log.
   */
  send(subject: string, fault: Fault, callbacks: readonly Callback[]): void;
  /** Cancels every scheduled and in-flight callback. */
  stop(): void;
}

/** One attempt: whether the answer accepted the callback and how it ended; `null` once stopped. */
async function attempt(
  settings: CallbackSettings,
  scheduler: Scheduler,
  request: CallbackRequest,
): Promise<{ ok: boolean; outcome: string } | null> {
  try {
    const res = await fetch(request.url, {
      method: request.method ?? 'POST',
      headers: Object.fromEntries(
        Object.entries(request.headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), scheduler.signal]),
    });
    const accepted = settings.accepted;
    if (!accepted) {
      await res.body?.cancel().catch(() => undefined);
      return { ok: res.ok, outcome: `HTTP ${res.status}` };
    }
    const text = await res.text();
    return { ok: accepted({ status: res.status, text }), outcome: `HTTP ${res.status}` };
  } catch (err) {
    if (scheduler.stopped) return null;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, outcome: cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)) };
  }
}

async function deliver(settings: CallbackSettings, scheduler: Scheduler, callback: Callback): Promise<void> {
  const { log, retryDelaysMs } = settings;
  const attempts = retryDelaysMs.length + 1;
  let url = '';
  for (let n = 1; n <= attempts; n++) {
    if (n > 1 && !(await scheduler.sleep(retryDelaysMs[n - 2]!))) return;
    if (scheduler.stopped) return;
    const request = callback.request();
    url = request.url;
    const result = await attempt(settings, scheduler, request);
    if (!result) return;
    const { ok, outcome } = result;
    if (ok) {
      log(`callback ${callback.label} delivered (attempt ${n}, ${outcome})`);
      return;
    }
    log(`callback ${callback.label} attempt ${n}/${attempts} failed: ${outcome}`);
  }
  log(`callback ${callback.label} for ${url} given up after ${attempts} attempts`);
}

/** The one callback sender of a simulator: retries, the delay and drop faults, and a clean stop. */
export function createCallbackSender(settings: CallbackSettings): CallbackSender {
  const scheduler = new Scheduler();
  return {
    send(subject, fault, callbacks) {
      if (fault.drop) {
        settings.log(`callback for ${subject} dropped (fault)`);
        return;
      }
      void (async () => {
        if (!(await scheduler.sleep(fault.delay_ms ?? 0))) return;
        for (const callback of callbacks) {
          await deliver(settings, scheduler, callback);
          if (scheduler.stopped) return;
        }
      })().catch((err: unknown) => settings.log(`callbacks for ${subject} failed: ${String(err)}`));
    },
    stop: () => scheduler.stop(),
  };
}

/** Default waits before each callback retry: 0.5, 1, 2, 4, 8 s (5 retries). */
export const defaultRetryDelaysMs: readonly number[] = [500, 1000, 2000, 4000, 8000];
