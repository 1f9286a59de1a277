import type { Pool } from 'pg';
import { markWorkflowsStarted } from '../db/payments';

/** How many marks one statement writes at most. */
const batchSize = 500;

/**
 * The outbox's "workflow started" marks of payments, written after the answer instead of before
 * it: the marks that arrive while one statement runs go together in the next. The start itself is
 * what the answer waits for; a mark that is lost (a crash, the database down for a moment) costs
 * only one more start by the outbox sweep, which finds the running workflow and marks the row.
 */
export class StartedMarks {
  private readonly pending: string[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: Pool,
    private readonly onError: (message: string, error: Error) => void,
  ) {}

  /** Marks the payment started, soon. */
  add(paymentId: string) {
    this.pending.push(paymentId);
    this.writing ??= this.write();
  }

  /** Resolves once every mark added so far is written (or has failed and been reported). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async write() {
    // Marks added in the same turn of the event loop go in the first statement.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.pending.length > 0) {
      const ids = this.pending.splice(0, batchSize);
      await markWorkflowsStarted(this.db, ids).catch((error: Error) =>
        this.onError(`marking ${ids.length} payments started (the outbox sweep will): ${error.message}`, error),
      );
    }
    this.writing = null;
  }
}
