import type { CallbackSender } from '../common/callbacks';
import type { FaultBook } from '../common/faults';
import type { SignAlgorithm } from './signature';
import type { InterkassaStore, Target } from './store';

/** The one checkout (касса) the simulator serves, and its API user. */
export interface Checkout {
  /** `ik_co_id`: 24 hex digits. */
  id: string;
  secretKey: string;
  testKey: string;
  signAlgorithm: SignAlgorithm;
  /** The checkout's own interaction URL, used when the form names none. */
  interaction: Target | null;
  /** `ik_co_prs_id`: the checkout's purse. */
  purseId: string;
  apiUserId: string;
  apiKey: string;
  /** `Ik-Api-Account-Id`: when given by a request, it must be this. */
  apiAccountId: string;
}

export interface InterkassaContext {
  checkout: Checkout;
  store: InterkassaStore;
  faults: FaultBook;
  interactions: CallbackSender;
  log: (line: string) => void;
}
