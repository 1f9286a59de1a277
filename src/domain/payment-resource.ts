export { paymentResource } from '../resources/payment';
