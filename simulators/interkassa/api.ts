import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { InterkassaContext } from './context';
import { TEST_PAYWAY, cardPayway, ikDate } from './interaction';
import { creditedAmount, fromMinor, type Invoice, type Refund, toMinor } from './store';

/** Every answer: `{status, code, data, message}`, `code` 0 on success. */
const ok = (res: Response, data: unknown) => res.json({ status: 'ok', code: 0, data, message: 'Success' });
const error = (res: Response, http: number, code: number, message: string) =>
  res.status(http).json({ status: 'error', code, data: { '@resultCode': code, '@resultMessage': message }, message });

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

/** HTTP Basic with the API user's id and key; `Ik-Api-Account-Id`, when sent, names the business account. */
function requireApiUser(context: InterkassaContext) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const decoded = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const { apiUserId, apiKey, apiAccountId } = context.checkout;
    if (colon < 0 || !sameText(decoded.slice(0, colon), apiUserId) || !sameText(decoded.slice(colon + 1), apiKey))
      return error(res, 401, 401, 'Auth: wrong API user id or key');
    const account = req.get('ik-api-account-id');
    if (account !== undefined && account !== apiAccountId)
      return error(res, 403, 403, 'Auth: no access to this account');
    next();
  };
}

/** An invoice as the API shows it. */
function view(invoice: Invoice) {
  const paid = invoice.paidMinor;
  return {
    id: invoice.id,
    coId: invoice.coId,
    paymentNo: invoice.paymentNo,
    state: String(invoice.state),
    am: paid === null ? invoice.amount : fromMinor(paid, invoice.currency),
    cur: invoice.currency,
    desc: invoice.description,
    pwAls: invoice.payway ?? (paid === null ? '' : cardPayway(invoice.currency)),
    trnId: invoice.transactionId ?? '',
    crt: ikDate(invoice.createdAt),
    prc: ikDate(invoice.processedAt),
    ...(paid !== null && {
      coRfn: creditedAmount(paid, invoice.currency),
      psPrice: fromMinor(paid, invoice.currency),
      refunded: fromMinor(invoice.refundedMinor, invoice.currency),
    }),
    test: invoice.payway === TEST_PAYWAY,
  };
}

const refundView = (refund: Refund, invoice: Invoice) => ({
  id: refund.id,
  paymentId: refund.invoiceId,
  merchantOrderId: refund.merchantOrderId,
  amount: fromMinor(refund.amountMinor, invoice.currency),
  cur: invoice.currency,
  state: refund.state,
  ...(refund.message && { message: refund.message }),
});

/**
 * The REST API under `/v1`: `GET /co-invoice` (filters `checkoutId`, `paymentNo`, `fromDate`/`toDate`
 * on the creation day) answers the invoices keyed by id; `GET /co-invoice/:id` one invoice;
 * `POST /refund` (`id`, `amount`, `merchantOrderId`, `description`) refunds (part of) a paid invoice.
 */
export function apiRoutes(context: InterkassaContext): Router {
  const router = Router();
  router.use('/v1', (req, res, next) => {
    res.on('finish', () => context.log(`api ${req.method} ${req.originalUrl.split('?')[0]}: HTTP ${res.statusCode}`));
    next();
  });
  router.use('/v1', requireApiUser(context), express.urlencoded({ extended: false, limit: '16kb' }), express.json());

  router.get('/v1/co-invoice', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const invoices = context.store
      .allInvoices()
      .filter((i) => i.coId === context.checkout.id)
      .filter((i) => !q.checkoutId || i.coId === q.checkoutId)
      .filter((i) => !q.paymentNo || i.paymentNo === q.paymentNo)
      .filter((i) => !q.fromDate || day(i.createdAt) >= q.fromDate)
      .filter((i) => !q.toDate || day(i.createdAt) <= q.toDate);
    ok(res, Object.fromEntries(invoices.map((i) => [i.id, view(i)])));
  });

  router.get('/v1/co-invoice/:id', (req, res) => {
    const invoice = context.store.invoice(req.params.id);
    if (!invoice || invoice.coId !== context.checkout.id) return error(res, 404, 404, 'Invoice not found');
    ok(res, view(invoice));
  });

  router.post('/v1/refund', (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    const [id, amount, merchantOrderId] = [text('id'), text('amount'), text('merchantOrderId')];
    if (!id || !amount) return error(res, 400, 1, `${!id ? 'id' : 'amount'} is required`);
    const invoice = context.store.invoice(id);
    if (!invoice || invoice.coId !== context.checkout.id) return error(res, 404, 404, 'Invoice not found');
    const minor = toMinor(amount, invoice.currency);
    if (minor === null || minor <= 0n) return error(res, 400, 2, 'amount is not valid');
    if (merchantOrderId) {
      const known = context.store.refundByOrder(merchantOrderId);
      if (known) {
        if (known.invoiceId !== invoice.id || known.amountMinor !== minor)
          return error(res, 409, 3, 'merchantOrderId already names another refund');
        return ok(res, refundView(known, invoice));
      }
    }
    if (invoice.paidMinor === null || ![7, 4, 9].includes(invoice.state))
      return error(res, 409, 4, 'the invoice is not paid');
    if (invoice.refundedMinor + minor > invoice.paidMinor) return error(res, 409, 5, 'amount exceeds what is left');
    const fails = context.faults.for(invoice.paymentNo).refund_fails === true;
    const refund = context.store.addRefund({
      invoiceId: invoice.id,
      merchantOrderId: merchantOrderId || `refund-${Date.now()}`,
      amountMinor: minor,
      state: fails ? 'fail' : 'success',
      message: fails ? 'refund declined by the payment system' : null,
      createdAt: new Date(),
    });
    if (!fails) {
      invoice.refundedMinor += minor;
      if (invoice.refundedMinor === invoice.paidMinor) invoice.state = 9;
    }
    context.log(`refund ${refund.id} of invoice ${invoice.id}: ${refund.state}`);
    ok(res, refundView(refund, invoice));
  });

  router.use('/v1', (_req, res) => error(res, 404, 404, 'no such resource'));
  return router;
}
