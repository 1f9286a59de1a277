import type { Fault } from './faults';
import { callbackEvents } from './faults';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import type { StoredPayment } from './store';
import type { CallbackEvent } from './views';

export interface CallbackSettings {
  webhookSecret: string;
  log: (line: string) => void;
  /** Waits before each retry; one attempt more than there are delays. */
  retryDelaysMs: readonly number[];
  /** Per attempt. */
  timeoutMs: number;
}

export interface CallbackSender {
  /** Sends a settled payment's callbacks in the background, as `fault` says. */
  send(payment: StoredPayment, fault: Fault): void;
  /** Cancels every scheduled and in-flight callback. */
  stop(): void;
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Timers and fetches of scheduled callbacks, all cancelled by {@link stop}. */
class CallbackScheduler {
  private readonly wakers = new Set<() => void>();
  private readonly controller = new AbortController();

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Resolves `true` after `ms`, or `false` as soon as the scheduler stops. */
  sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.wakers.delete(wake);
        resolve(true);
      }, ms);
      this.wakers.add(wake);
    });
  }

  stop(): void {
    this.controller.abort();
    for (const wake of [...this.wakers]) wake();
  }
}

/** One POST of a freshly signed body: whether it was accepted (2xx) and how it ended; `null` once stopped. */
async function attempt(
  settings: CallbackSettings,
  scheduler: CallbackScheduler,
  url: string,
  body: string,
): Promise<{ ok: boolean; outcome: string } | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'kassa-sandbox-provider',
        [SIGNATURE_HEADER]: signatureHeader(settings.webhookSecret, body, unixSeconds()),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(settings.timeoutMs), scheduler.signal]),
    });
    await res.body?.cancel().catch(() => undefined);
    return { ok: res.ok, outcome: `HTTP ${res.status}` };
  } catch (err) {
    if (scheduler.stopped) return null;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, outcome: cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/** One event, re-signed per attempt; retried on a network error or a non-2xx answer. */
async function deliver(settings: CallbackSettings, scheduler: CallbackScheduler, url: string, event: CallbackEvent) {
  const { log, retryDelaysMs } = settings;
  const body = JSON.stringify(event);
  const attempts = retryDelaysMs.length + 1;
  for (let n = 1; n <= attempts; n++) {
    if (n > 1 && !(await scheduler.sleep(retryDelaysMs[n - 2]!))) return;
    if (scheduler.stopped) return;
    const result = await attempt(settings, scheduler, url, body);
    if (!result) return;
    const { ok, outcome } = result;
    if (ok) {
      log(`callback ${event.id} ${event.type} for ${event.data.id} delivered (attempt ${n}, ${outcome})`);
      return;
    }
    log(`callback ${event.id} ${event.type} for ${event.data.id} attempt ${n}/${attempts} failed: ${outcome}`);
  }
  log(`callback ${event.id} for ${url} given up after ${attempts} attempts`);
}

export function createCallbackSender(settings: CallbackSettings): CallbackSender {
  const scheduler = new CallbackScheduler();
  return {
    send(payment, fault) {
      if (fault.drop) {
        settings.log(`callback for ${payment.id} dropped (fault)`);
        return;
      }
      const events = callbackEvents(payment, fault, unixSeconds());
      void (async () => {
        if (!(await scheduler.sleep(fault.delay_ms ?? 0))) return;
        for (const event of events) {
          await deliver(settings, scheduler, payment.callbackUrl, event);
          if (scheduler.stopped) return;
        }
      })().catch((err: unknown) => settings.log(`callbacks for ${payment.id} failed: ${String(err)}`));
    },
    stop: () => scheduler.stop(),
  };
}
