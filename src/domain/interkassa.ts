/**
 * Interkassa SCI compatibility: a checkout's SCI settings and what a payment made through the
 * SCI form keeps of it, so Kassa can answer the shop in Interkassa's own terms.
 */

export type SciSignAlgorithm = 'md5' | 'sha256';
export type SciHttpMethod = 'GET' | 'POST';

/** A checkout's SCI settings (docs/interkassa.md); its keys are kept apart, sealed. */
export interface SciSettings {
  enabled: boolean;
  signAlgorithm: SciSignAlgorithm;
  /** A form without `ik_sign` is refused; never "missing means valid". */
  signRequired: boolean;
  /** The form's `ik_suc_u`/`ik_fal_u`/`ik_pnd_u`/`ik_ia_u` replace the checkout's URLs. */
  urlOverride: boolean;
  /** A repeated `ik_pm_no` continues the open payment of the same amount, or is refused. */
  uniqueOrder: boolean;
  /** Where interactions go; null: none are sent. */
  interactionUrl: string | null;
  interactionMethod: SciHttpMethod;
  /** Seconds a payment lives when the form sets no `ik_exp`/`ik_ltm`. */
  lifetime: number;
  /** 24 lower-case hex characters, fixed for the checkout's life: the shop's `ik_co_id`. */
  checkoutRef: string;
}

/** A URL the shop gave with the method to reach it by. */
export interface SciTarget {
  url: string;
  method: SciHttpMethod;
}

/** What a payment made through the SCI form keeps of it; null on a payment made through the API. */
export interface PaymentSci {
  /** `ik_co_id` exactly as the shop sent it (the checkout ref or its `co_…` id). */
  coId: string;
  /** `ik_am` exactly as sent (`50`, `50.5`, `50.00`), echoed back in `ik_am`. */
  amount: string;
  /** `ik_pw_via` as sent, if the shop chose the method in advance. */
  payway: string | null;
  /** Every `ik_x_*` field as sent, echoed back in the interaction. */
  extra: Record<string, string>;
  /** The form's own URLs, kept only when the checkout allows `url_override`. */
  urls: {
    success?: SciTarget;
    fail?: SciTarget;
    pending?: SciTarget;
    interaction?: SciTarget;
  };
}

/** Interkassa's test payway: on a test-mode checkout it pays with the sandbox. */
export const sciTestPayway = 'test_interkassa_test_xts';
