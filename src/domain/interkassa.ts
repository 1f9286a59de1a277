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
  /** `ik_pm_no` exactly as sent: the payment's `orderId`, unless a repeat made it unique (`A-1~2`). */
  paymentNo: string;
  /** `ik_pw_via` as sent, if the shop chose the method in advance. */
  payway: string | null;
  /** The Kassa methods the buyer may choose after `ik_pw_on`/`ik_pw_off`; null: every method the checkout offers. */
  methods: string[] | null;
  /** `ik_cli` as sent (an e-mail or a phone); an e-mail also gets the buyer's receipt. */
  payerContact: string | null;
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

/** A checkout's SCI settings before the shop sets any; `enabled` is true once the block is given. */
export const sciDefaults: Omit<SciSettings, 'checkoutRef' | 'interactionUrl'> = {
  enabled: true,
  signAlgorithm: 'md5',
  signRequired: true,
  urlOverride: false,
  uniqueOrder: true,
  interactionMethod: 'POST',
  lifetime: 2_592_000,
};

/** The bounds of a payment's life through SCI, in seconds (`lifetime`, `ik_ltm`, `ik_exp`). */
export const sciLifetimeBounds = { min: 60, max: 2_592_000 } as const;

/** What happens to a provider's success that arrives after the payment expired or was canceled. */
export type LateSuccess = 'refund' | 'hold';
