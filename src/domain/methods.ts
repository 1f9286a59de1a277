/** A payment method a provider offers, as shown to the buyer. */
export interface ProviderMethod {
  /** Method code on Kassa's side, e.g. `sandbox_card`. */
  code: string;
  /** Human name on the hosted page. */
  title: string;
  /** Test-mode (sandbox) method or a real-money one. */
  testMode: boolean;
}
