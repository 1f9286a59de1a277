import { createCallbackSender as createSender } from '../common/callbacks';
import type { Fault } from './faults';
import { callbackEvents } from './faults';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import type { StoredPayment } from './store';

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

/** Each event is a JSON POST to the payment's `callback_url`, signed afresh on every attempt. */
export function createCallbackSender(settings: CallbackSettings): CallbackSender {
  const sender = createSender(settings);
  return {
    send(payment, fault) {
      const events = fault.drop ? [] : callbackEvents(payment, fault, unixSeconds());
      sender.send(
        payment.id,
        fault,
        events.map((event) => {
          const body = JSON.stringify(event);
          return {
            label: `${event.id} ${event.type} for ${event.data.id}`,
            request: () => ({
              url: payment.callbackUrl,
              headers: {
                'content-type': 'application/json',
                'user-agent': 'kassa-sandbox-provider',
                [SIGNATURE_HEADER]: signatureHeader(settings.webhookSecret, body, unixSeconds()),
              },
              body,
            }),
          };
        }),
      );
    },
    stop: () => sender.stop(),
  };
}
