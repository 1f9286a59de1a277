export { balanceResource } from '../resources/balance';
export { payoutResource } from '../resources/payout';
export { refundResource } from '../resources/refund';
