export { purchaseWorkflow } from './purchase';
export { resendEventWorkflow } from './operator';
export { siteVerificationWorkflow } from './site-verification';
export { resendNotificationWorkflow } from './notifications';
export { refundWorkflow } from './refund';
export { payoutWorkflow } from './payout';
export { reconciliationWorkflow } from './reconciliation';
export { reviewDecisionWorkflow } from './review';
