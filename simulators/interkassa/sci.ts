import express, { type Request, type Response, Router } from 'express';
import { capturedAmount } from '../common/faults';
import { decisionForms, formatAmount, markup, sendPage } from '../common/pages';
import type { InterkassaContext } from './context';
import { TEST_PAYWAY, sendInteractions } from './interaction';
import { ikSignValid } from './signature';
import { type Invoice, type Target, toMinor } from './store';

/** A refusal of the SCI form: `ik_int=json` gets `resultCode`/`resultMsg`, a browser a page. */
class SciRefusal extends Error {
  constructor(
    readonly resultCode: string,
    message: string,
  ) {
    super(message);
  }
}

const REQUIRED = ['ik_co_id', 'ik_pm_no', 'ik_am', 'ik_cur', 'ik_desc'] as const;

/** The form's fields (a POST body or the query), string values only. */
function formFields(req: Request): Record<string, string> {
  const source = req.method === 'POST' ? (req.body as Record<string, unknown>) : req.query;
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(source ?? {})) {
    if (typeof value === 'string') fields[name] = value;
    else if (Array.isArray(value) && typeof value.at(-1) === 'string') fields[name] = value.at(-1) as string;
  }
  return fields;
}

function target(fields: Record<string, string>, url: string, method: string): Target | null {
  const value = fields[url];
  if (!value) return null;
  try {
    if (!['http:', 'https:'].includes(new URL(value).protocol)) throw new Error('not http');
  } catch {
    throw new SciRefusal('2', `${url} is not a valid URL`);
  }
  return { url: value, method: (fields[method] ?? 'GET').toUpperCase() === 'POST' ? 'POST' : 'GET' };
}

/** Checks the form and makes (or finds again) its invoice. */
function invoiceFor(context: InterkassaContext, fields: Record<string, string>): Invoice {
  const { checkout, store } = context;
  for (const name of REQUIRED) if (!fields[name]) throw new SciRefusal('1', `${name} is required`);
  if (fields.ik_co_id !== checkout.id) throw new SciRefusal('5', 'no such checkout');
  if (!fields.ik_sign) throw new SciRefusal('3', 'ik_sign is required');
  if (!ikSignValid(fields, checkout.secretKey, checkout.signAlgorithm)) throw new SciRefusal('4', 'ik_sign is wrong');
  const currency = fields.ik_cur!.toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw new SciRefusal('7', 'ik_cur is not a currency');
  const minor = toMinor(fields.ik_am!, currency);
  if (minor === null || minor <= 0n) throw new SciRefusal('8', 'ik_am is not a valid amount');
  const payway = fields.ik_pw_via || null;
  if (payway && payway !== TEST_PAYWAY && !/^[a-z0-9_]{3,64}$/.test(payway))
    throw new SciRefusal('10', 'ik_pw_via names no payway');

  const known = store.byPaymentNo(checkout.id, fields.ik_pm_no!);
  if (known && known.state !== 8 && known.state !== 5) {
    // A payment number is paid once: the same form again finds its open invoice.
    if (known.state !== 2 || known.amount !== fields.ik_am || known.currency !== currency)
      throw new SciRefusal('9', 'ik_pm_no already has an invoice');
    return known;
  }
  const extra = Object.fromEntries(Object.entries(fields).filter(([name]) => name.startsWith('ik_x_')));
  const invoice = store.addInvoice({
    coId: checkout.id,
    paymentNo: fields.ik_pm_no!,
    amount: fields.ik_am!,
    currency,
    description: fields.ik_desc!,
    payway,
    extra,
    urls: {
      success: target(fields, 'ik_suc_u', 'ik_suc_m'),
      fail: target(fields, 'ik_fal_u', 'ik_fal_m'),
      pending: target(fields, 'ik_pnd_u', 'ik_pnd_m'),
      interaction: target(fields, 'ik_ia_u', 'ik_ia_m'),
    },
    status: 'new',
    state: 2,
    paidMinor: null,
    refundedMinor: 0n,
    transactionId: null,
    createdAt: new Date(),
    processedAt: null,
  });
  context.log(`invoice ${invoice.id} for ${invoice.paymentNo}: ${invoice.amount} ${currency}`);
  return invoice;
}

/** The buyer's way back to the shop: a link for GET, a form with a button for POST (no script). */
function wayBack(res: Response, invoice: Invoice, to: Target | null): void {
  const params = {
    ik_co_id: invoice.coId,
    ik_inv_id: invoice.id,
    ik_inv_st: invoice.status,
    ik_pm_no: invoice.paymentNo,
  };
  if (!to) {
    sendPage(res, 200, 'Interkassa', markup`<h1>Invoice ${invoice.id}: ${invoice.status}</h1>`);
    return;
  }
  if (to.method === 'GET') {
    const url = new URL(to.url);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    res.redirect(303, url.href);
    return;
  }
  const inputs = Object.entries(params).map(
    ([name, value]) => markup`<input type="hidden" name="${name}" value="${value}">`,
  );
  sendPage(
    res,
    200,
    'Interkassa',
    markup`<form method="post" action="${to.url}">${inputs}<button>Return to the shop</button></form>`,
  );
}

/**
 * The SCI: the payment form at `/` (GET or POST, form-encoded), the buyer's page `/pay/:id` with
 * Approve and Decline, and the way back to the shop's success or fail URL.
 */
export function sciRoutes(context: InterkassaContext): Router {
  const router = Router();
  const form = (req: Request, res: Response) => {
    const fields = formFields(req);
    const json = fields.ik_int === 'json';
    try {
      const invoice = invoiceFor(context, fields);
      const page = `/pay/${invoice.id}`;
      if (json) {
        const action = new URL(page, `${req.protocol}://${req.get('host')}`).href;
        res.json({
          resultCode: '0',
          resultMsg: 'Success',
          resultData: { invoice: { id: invoice.id }, paymentForm: { action, method: 'GET', parameters: {} } },
        });
      } else res.redirect(303, page);
    } catch (err) {
      if (!(err instanceof SciRefusal)) throw err;
      if (json) res.json({ resultCode: err.resultCode, resultMsg: err.message });
      else sendPage(res, 400, 'Interkassa', markup`<h1>Payment refused</h1><p>${err.message}</p>`);
    }
  };
  router.get('/', form);
  router.post('/', express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }), form);

  router.get('/pay/:id', (req, res) => {
    const invoice = context.store.invoice(req.params.id);
    if (!invoice) return sendPage(res, 404, 'Interkassa', markup`<h1>No such invoice</h1>`);
    const way = invoice.payway === TEST_PAYWAY ? 'Test payment system' : 'Card';
    const decided = invoice.state !== 2;
    sendPage(
      res,
      200,
      `Interkassa: invoice ${invoice.id}`,
      markup`<h1>Interkassa</h1><p>${invoice.description}</p><p><strong>${formatAmount(
        (toMinor(invoice.amount, invoice.currency) ?? 0n).toString(),
        invoice.currency,
      )}</strong> · ${way}</p>${decided ? markup`<p>Invoice ${invoice.status}.</p>` : decisionForms(`/pay/${invoice.id}`)}`,
    );
  });

  const decide = (approve: boolean) => (req: Request<{ id: string }>, res: Response) => {
    const invoice = context.store.invoice(req.params.id);
    if (!invoice) return sendPage(res, 404, 'Interkassa', markup`<h1>No such invoice</h1>`);
    if (invoice.state !== 2)
      return sendPage(res, 409, 'Interkassa', markup`<h1>Invoice already ${invoice.status}</h1>`);
    const fault = context.faults.for(invoice.paymentNo);
    invoice.processedAt = new Date();
    if (approve) {
      const requested = toMinor(invoice.amount, invoice.currency)!;
      invoice.paidMinor = BigInt(capturedAmount(requested.toString(), fault));
      invoice.transactionId = context.store.newTransactionId();
      invoice.status = 'success';
      invoice.state = 7;
    } else {
      invoice.status = 'canceled';
      invoice.state = 8;
    }
    context.log(`invoice ${invoice.id} ${invoice.status}`);
    sendInteractions(context.checkout, context.interactions, invoice, fault);
    wayBack(res, invoice, approve ? invoice.urls.success : invoice.urls.fail);
  };
  router.post('/pay/:id/approve', decide(true));
  router.post('/pay/:id/decline', decide(false));
  return router;
}
