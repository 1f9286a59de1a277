/**
 * A refund or payout its provider answered `pending`: asked again on a backing-off schedule until
 * its answer is final, or sooner when the provider's callback arrives (a signal).
 */
import { condition, type SignalDefinition, setHandler } from '@temporalio/workflow';

/** Seconds between status checks of a pending refund or payout, then hourly for as long as it takes. */
export const pendingCheckSeconds = [5, 15, 60, 300, 900, 3600] as const;

/** Collects what the provider's callbacks say; `take` hands over the latest one and forgets it. */
export function callbackAnswers<T>(signal: SignalDefinition<[T]>) {
  let latest: T | undefined;
  setHandler(signal, (answer) => {
    latest = answer;
  });
  return {
    arrived: () => latest !== undefined,
    take: () => {
      const answer = latest;
      latest = undefined;
      return answer;
    },
  };
}

/**
 * Checks again until the outcome is final: after each wait of the schedule, or as soon as a
 * callback arrived (handed to `check`, which decides with the provider's status where it can).
 */
export async function untilFinal<Outcome extends { state: string }, Answer>(
  first: Outcome,
  answers: { arrived(): boolean; take(): Answer | undefined },
  check: (answer: Answer | undefined) => Promise<Outcome>,
): Promise<Outcome> {
  let outcome = first;
  for (let round = 0; outcome.state === 'pending'; round++) {
    const seconds = pendingCheckSeconds[Math.min(round, pendingCheckSeconds.length - 1)]!;
    await condition(answers.arrived, seconds * 1000);
    outcome = await check(answers.take());
  }
  return outcome;
}
