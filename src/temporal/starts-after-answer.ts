/** How many starts may run after their answers at once before a create waits for its own. */
const defaultLimit = 256;

/**
 * Payments' workflow starts that run after the create has answered. The row is stored before the
 * answer, so a start that fails (or a crash before it) loses nothing: it is reported and left to the
 * outbox sweep, and the buyer's method choice or a cancel starts a workflow that is not there yet.
 * Past `limit` starts in flight a create waits for its own, so an engine that slows down slows the
 * creates instead of piling starts up in memory.
 */
export class StartsAfterAnswer {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly onError: (message: string, error: Error, paymentId: string) => void,
    private readonly limit = defaultLimit,
  ) {}

  /** Runs the payment's `start`; resolves at once, or once it has settled when the limit is reached. */
  async run(paymentId: string, start: () => Promise<void>): Promise<void> {
    const running: Promise<void> = start()
      .catch((error: Error) =>
        this.onError(
          `starting the workflow of payment ${paymentId} (the outbox sweep will): ${error.message}`,
          error,
          paymentId,
        ),
      )
      .finally(() => this.running.delete(running));
    this.running.add(running);
    if (this.running.size > this.limit) await running;
  }

  /** Resolves once every start run so far has settled. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
