import type { CallbackSender } from '../common/callbacks';
import type { Fault, FaultBook } from '../common/faults';
import type { Session, StripeStore } from './store';

/** What the API, the Checkout page and the webhooks work with. */
export interface StripeContext {
  store: StripeStore;
  faults: FaultBook;
  sender: CallbackSender;
  /** stripe-mock's base URL. */
  stripeMockUrl: string;
  log: (line: string) => void;
}

/** A session's faults: set for its id or for its `client_reference_id`, else those for every session. */
export function faultOf(context: StripeContext, session: Session): Fault {
  return context.faults.for(session.id, ...(session.clientReferenceId ? [session.clientReferenceId] : []));
}
