/**
 * The `type` of every `ApplicationFailure` Kassa's activities and workflows raise. Workflows
 * branch on them and retry policies name them, so each is one constant here; the values are
 * recorded in workflow histories and never change.
 */
export const FailureType = {
  // the row an activity was asked about is not there
  UnknownEvent: 'UnknownEvent',
  UnknownCheckout: 'UnknownCheckout',
  UnknownPayment: 'UnknownPayment',
  UnknownRefund: 'UnknownRefund',
  UnknownPayout: 'UnknownPayout',
  UnknownDecision: 'UnknownDecision',
  UnknownMethod: 'UnknownMethod',
  NotAPaymentEvent: 'NotAPaymentEvent',
  // providers
  ProviderDeclined: 'ProviderDeclined',
  RefundAmountMismatch: 'RefundAmountMismatch',
  PayoutAmountMismatch: 'PayoutAmountMismatch',
  /** The provider could not answer now (a transient or unknown outcome): asked again under the same key. */
  ProviderUnavailable: 'ProviderUnavailable',
  /** The connector is paused: nothing is asked of it until it resumes (refunds and payouts wait under their retry policy). */
  ConnectorPaused: 'ConnectorPaused',
  /** No active connector serves the method (all paused or removed). */
  NoConnector: 'NoConnector',
  /** A create did not reach the provider after the activity's retries: nothing was made under the key. */
  ProviderUnreached: 'ProviderUnreached',
  /** A create may or may not have made a provider payment: the provider must be asked. */
  ProviderOutcomeUnknown: 'ProviderOutcomeUnknown',
  // merchant webhooks and notification channels
  WebhookUrlRefused: 'WebhookUrlRefused',
  WebhookNotDelivered: 'WebhookNotDelivered',
  NotificationRefused: 'NotificationRefused',
  NotificationNotDelivered: 'NotificationNotDelivered',
  // site verification
  UnsafeUrl: 'UnsafeUrl',
  VerificationFileInvalid: 'VerificationFileInvalid',
  // operator decisions on exceptions
  DecisionClosed: 'DecisionClosed',
  NothingCaptured: 'NothingCaptured',
  CurrencyMismatch: 'CurrencyMismatch',
  AlreadyRefunded: 'AlreadyRefunded',
  PaymentChanged: 'PaymentChanged',
  // updates refused by the purchase workflow
  PaymentClosed: 'PaymentClosed',
  AttemptUnsettled: 'AttemptUnsettled',
  MethodLocked: 'MethodLocked',
  MethodUnavailable: 'MethodUnavailable',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
