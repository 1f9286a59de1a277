/**
 * Timers and fetches a simulator runs in the background (callbacks, delayed events), all cancelled
 * at once by {@link Scheduler.stop} so a closing simulator leaves nothing behind.
 */
export class Scheduler {
  private readonly wakers = new Set<() => void>();
  private readonly controller = new AbortController();

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Aborted by {@link stop}: give it to every fetch the scheduler runs. */
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
