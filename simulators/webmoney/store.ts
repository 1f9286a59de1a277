/** One payment request form received: an invoice the buyer may pay once. */
export interface Invoice {
  /** `LMI_SYS_INVS_NO`. */
  invoiceNo: string;
  purse: string;
  paymentNo: string;
  /** As the form asked, `50.00`. */
  amount: string;
  description: string;
  resultUrl: string | null;
  success: { url: string | null; method: string };
  fail: { url: string | null; method: string };
  /** `LMI_MODE`: 1 for a purse in test mode. */
  mode: '0' | '1';
  /** `LMI_SIM_MODE` in test mode: 0 pays, 1 fails, 2 pays four times in five. */
  simMode: '0' | '1' | '2';
  /** The form's fields not starting with `LMI_`, passed back to the result URL unchanged. */
  extra: Record<string, string>;
  status: 'pending' | 'paid' | 'declined' | 'refused';
  refusal?: string;
  payment?: Operation;
  /** X14 refunds of the payment, oldest first. */
  refunds?: Refund[];
}

/** An X14 fee-free refund: back from the purse to the payer's purse. */
export interface Refund {
  /** The refund operation's own transaction id. */
  id: string;
  reqn: string;
  amount: string;
  date: string;
}

/** A payment made: what X18 answers and the notification carries. */
export interface Operation {
  transNo: string;
  transDate: string;
  /** What was taken: the form's amount, or more under the `wrong_amount` fault. */
  amount: string;
  payerPurse: string;
  payerWm: string;
}

export class WebMoneyStore {
  readonly invoices = new Map<string, Invoice>();
  /** The invoice paid under each `purse:payment no`: one payment per number. */
  readonly paidByNumber = new Map<string, Invoice>();
  private invoiceCounter = 700_000_000;
  private transCounter = 1_900_000_000;
  /** The greatest X14 `reqn` accepted so far: each request's must be greater. */
  lastReqn = 0n;
  /** Payment numbers whose next X14 answer is lost after the refund is made (test harness). */
  readonly loseX14Answer = new Set<string>();

  nextInvoiceNo(): string {
    return String(++this.invoiceCounter);
  }

  nextTransNo(): string {
    return String(++this.transCounter);
  }
}
