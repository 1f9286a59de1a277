export { purchaseWorkflow } from './purchase';
export { floorWorkflow } from './floor';
export { resendEventWorkflow } from './operator';
export { siteVerificationWorkflow } from './site-verification';
export { resendNotificationWorkflow } from './notifications';
