/**
 * No-op activities for `floorWorkflow`, the benchmark's baseline (scripts/bench.ts), registered by
 * its floor worker only (scripts/bench/floor-worker.ts): the same
 * inputs and outputs as the purchase activities they stand in for, with no database or HTTP
 * behind them, so the floor measures what Temporal alone costs for a payment's shape.
 */
export function createFloorActivities() {
  return {
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

    async floorChannelsForEvent(_input: { eventId: string }) {
      return { eventType: 'payment.paid', channels: [] as string[], retrySeconds: null };
    },

    async floorNotifyMerchant(_input: { eventId: string }) {
      return { statusCode: 200 };
    },
  };
}
