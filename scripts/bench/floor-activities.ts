/**
 * No-op activities for `floorWorkflow`, the benchmark's baseline (scripts/bench.ts), registered by
 * its floor worker only (scripts/bench/floor-worker.ts): the same
 * inputs and outputs as the purchase activities they stand in for, with no database or HTTP
 * behind them, so the floor measures what Temporal alone costs for a payment's shape. The one
 * exception: for the signal → activity latency the notification activity POSTs to the benchmark.
 */
export function createFloorActivities() {
  return {
    async floorConnectorsForMethod(input: { method: string; testMode: boolean }) {
      return { connectors: [`floor_${input.method}`] };
    },

    async floorCreateProviderPayment(input: { paymentId: string; attempt: number; method: string }) {
      return {
        providerPaymentId: `floor_${input.paymentId}_${input.attempt}`,
        redirectUrl: `about:blank#${input.paymentId}`,
      };
    },

    async floorRecordPaymentStatus(input: {
      paymentId: string;
      seq: number;
      status: string;
      event: { id: string; type: string } | null;
    }) {
      return { eventId: input.event?.id ?? null };
    },

    /** With `notifyUrl`, one POST to it (the benchmark's receiver), as the webhook is one POST; else nothing. */
    async floorNotifyMerchant(input: { eventId: string; paymentId: string; notifyUrl?: string }) {
      if (!input.notifyUrl) return { statusCode: 200 };
      const answer = await fetch(input.notifyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'floor.notified', data: { id: input.paymentId, status: 'paid' } }),
      });
      await answer.arrayBuffer();
      return { statusCode: answer.status };
    },
  };
}
