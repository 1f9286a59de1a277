import express, { type Express, type Response } from 'express';
import { z } from 'zod';
import { type Callback, type CallbackSender, createCallbackSender, defaultRetryDelaysMs } from '../common/callbacks';
import { faultRoutes } from '../common/fault-routes';
import { capturedAmount, type Fault, FaultBook, faultSequence } from '../common/faults';
import { decisionForms, markup, sendPage } from '../common/pages';
import {
  fromMinor,
  type HashMethod,
  isAmount,
  isPaymentNo,
  lmiHash,
  moscowDate,
  PURSE,
  sameDigest,
  toMinor,
  x14Response,
  x18Response,
  xmlField,
} from './protocol';
import type { TLSSocket } from 'node:tls';
import { type Invoice, WebMoneyStore } from './store';
import { createHash } from 'node:crypto';

export interface WebMoneyOptions {
  /** The WMID owning the purses (X18 requests name it). */
  wmid: string;
  /** Every purse's Secret Key (one for all purses here). */
  secretKey: string;
  /** The purses' "control signature forming method". */
  hashMethod: HashMethod;
  /** Purses in work mode (`LMI_MODE=0`); every other purse is in test mode. */
  livePurses: readonly string[];
  log?: (line: string) => void;
  retryDelaysMs?: readonly number[];
  callbackTimeoutMs?: number;
}

/** What the result URL answered, kept for the test harness (`GET /sim/result-calls`). */
export interface ResultCall {
  kind: 'prerequest' | 'notification';
  paymentNo: string;
  body: string;
  status: number | null;
  answer: string;
}

/** The Merchant service, and W3S's X14 (served over mutual TLS by `server.ts`). */
export type WebMoneyApp = Express & { stopCallbacks(): void; x14: Express };

const formSchema = z.object({
  LMI_PAYEE_PURSE: z.string().regex(PURSE),
  LMI_PAYMENT_AMOUNT: z.string().refine(isAmount, 'a positive amount with at most two decimals'),
  LMI_PAYMENT_NO: z.string().refine(isPaymentNo, 'an integer from 0 to 2147483647').optional(),
  LMI_PAYMENT_DESC: z.string().max(255).optional(),
  LMI_PAYMENT_DESC_BASE64: z.string().max(400).optional(),
  LMI_RESULT_URL: z.string().max(255).optional(),
  LMI_SUCCESS_URL: z.string().max(255).optional(),
  LMI_SUCCESS_METHOD: z.enum(['0', '1', '2']).optional(),
  LMI_FAIL_URL: z.string().max(255).optional(),
  LMI_FAIL_METHOD: z.enum(['0', '1', '2']).optional(),
  LMI_SIM_MODE: z.enum(['0', '1', '2']).optional(),
});

/**
 * The WebMoney Merchant service as Kassa meets it: the payment request form
 * (`POST /lmi/payment_utf.asp`), the buyer's page with Approve and Decline, the result URL's
 * pre-request and payment notification (`LMI_HASH`), the buyer's way back to the success or fail
 * URL, and X18 (`POST /conf/xml/XMLTransGet.asp`); `x14` is W3S's X14 fee-free refund
 * (`POST /asp/XMLTransMoneybackCert.asp`, the caller known by its client certificate). Test harness:
 * `POST|DELETE /sim/faults` (reference = `LMI_PAYMENT_NO`; `refund_fails` refuses its refunds),
 * `GET /sim/result-calls`, `POST /sim/x14-lose-answer` (`{ payment_no }`: the next refund is made
 * and its answer lost), `GET /sim/x14-refunds`.
 */
export function createWebMoneyApp(opts: WebMoneyOptions): WebMoneyApp {
  const log = opts.log ?? (() => undefined);
  const store = new WebMoneyStore();
  const faults = new FaultBook();
  const calls: ResultCall[] = [];
  const senders = new Set<CallbackSender>();
  let stopped = false;

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'webmoney', pid: process.pid });
  });

  const form = express.urlencoded({ extended: false, limit: '16kb' });
  for (const path of ['/lmi/payment.asp', '/lmi/payment_utf.asp']) {
    app.post(path, form, (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const parsed = formSchema.safeParse(body);
      if (!parsed.success) {
        const field = String(parsed.error.issues[0]!.path[0] ?? 'form');
        return refusePage(res, 400, `The payment request is wrong: ${field}`);
      }
      const f = parsed.data;
      const mode = opts.livePurses.includes(f.LMI_PAYEE_PURSE) ? '0' : '1';
      const extra = Object.fromEntries(
        Object.entries(body).filter(
          (entry): entry is [string, string] =>
            !entry[0].toUpperCase().startsWith('LMI_') && typeof entry[1] === 'string',
        ),
      );
      const invoice: Invoice = {
        invoiceNo: store.nextInvoiceNo(),
        purse: f.LMI_PAYEE_PURSE,
        paymentNo: f.LMI_PAYMENT_NO ?? '0',
        amount: f.LMI_PAYMENT_AMOUNT,
        description: f.LMI_PAYMENT_DESC_BASE64
          ? Buffer.from(f.LMI_PAYMENT_DESC_BASE64, 'base64').toString('utf8')
          : (f.LMI_PAYMENT_DESC ?? ''),
        resultUrl: f.LMI_RESULT_URL || null,
        success: { url: f.LMI_SUCCESS_URL || null, method: f.LMI_SUCCESS_METHOD ?? '0' },
        fail: { url: f.LMI_FAIL_URL || null, method: f.LMI_FAIL_METHOD ?? '0' },
        mode,
        simMode: mode === '1' ? (f.LMI_SIM_MODE ?? '0') : '0',
        extra,
        status: 'pending',
      };
      store.invoices.set(invoice.invoiceNo, invoice);
      log(`invoice ${invoice.invoiceNo} for payment ${invoice.paymentNo} at ${invoice.purse}: ${invoice.amount}`);
      res.redirect(303, `/lmi/pay/${invoice.invoiceNo}`);
    });
  }

  app.get('/lmi/pay/:invoice', (req, res) => {
    const invoice = store.invoices.get(String(req.params.invoice));
    if (!invoice) return refusePage(res, 404, 'No such payment');
    const buttons =
      invoice.status === 'pending'
        ? decisionForms(`/lmi/pay/${invoice.invoiceNo}`, { approve: 'Pay', decline: 'Refuse' })
        : markup`<p>This payment is ${invoice.status}.</p>`;
    sendPage(
      res,
      200,
      `WebMoney payment ${invoice.amount}`,
      markup`<p><small>WebMoney Merchant simulator${invoice.mode === '1' ? ' (test mode: no real money moves)' : ''}.</small></p><h1>${invoice.amount} WM${invoice.purse[0]!}</h1><p>${invoice.description}</p><p>To purse ${invoice.purse}, payment no. ${invoice.paymentNo}</p>${buttons}`,
    );
  });

  app.post('/lmi/pay/:invoice/approve', async (req, res) => {
    const invoice = store.invoices.get(String(req.params.invoice));
    if (!invoice) return refusePage(res, 404, 'No such payment');
    if (invoice.status !== 'pending') return refusePage(res, 409, `This payment is already ${invoice.status}`);
    const numberKey = `${invoice.purse}:${invoice.paymentNo}`;
    if (store.paidByNumber.has(numberKey)) {
      invoice.status = 'refused';
      return refusePage(res, 409, `Payment no. ${invoice.paymentNo} to this purse has already been made`);
    }
    const simulatedFailure =
      invoice.simMode === '1' || (invoice.simMode === '2' && BigInt(invoice.paymentNo) % 5n === 4n);
    if (simulatedFailure) {
      invoice.status = 'declined';
      log(`invoice ${invoice.invoiceNo} failed (LMI_SIM_MODE=${invoice.simMode})`);
      return sendBack(res, invoice, invoice.fail, {});
    }
    const fault = faults.for(invoice.paymentNo);
    const answer = await preRequest(invoice);
    if (answer !== 'YES') {
      invoice.status = 'refused';
      invoice.refusal = answer;
      log(`invoice ${invoice.invoiceNo} refused by the merchant: ${answer}`);
      return refusePage(res, 402, `The merchant refused the payment: ${answer || 'no answer'}`);
    }
    if (store.paidByNumber.has(numberKey)) {
      invoice.status = 'refused';
      return refusePage(res, 409, `Payment no. ${invoice.paymentNo} to this purse has already been made`);
    }
    invoice.status = 'paid';
    invoice.payment = {
      transNo: store.nextTransNo(),
      transDate: moscowDate(new Date()),
      amount: fromMinor(capturedAmount(toMinor(invoice.amount), fault)),
      payerPurse: `${invoice.purse[0]}${createHash('sha256').update(invoice.invoiceNo).digest('hex').replace(/\D/g, '').padEnd(12, '7').slice(0, 12)}`,
      payerWm: '310000000001',
    };
    store.paidByNumber.set(numberKey, invoice);
    log(`invoice ${invoice.invoiceNo} paid: transaction ${invoice.payment.transNo}`);
    notify(invoice, fault);
    sendBack(res, invoice, invoice.success, {
      LMI_SYS_TRANS_NO: invoice.payment.transNo,
      LMI_SYS_TRANS_DATE: invoice.payment.transDate,
    });
  });

  app.post('/lmi/pay/:invoice/decline', (req, res) => {
    const invoice = store.invoices.get(String(req.params.invoice));
    if (!invoice) return refusePage(res, 404, 'No such payment');
    if (invoice.status !== 'pending') return refusePage(res, 409, `This payment is already ${invoice.status}`);
    invoice.status = 'declined';
    log(`invoice ${invoice.invoiceNo} declined by the buyer`);
    sendBack(res, invoice, invoice.fail, {});
  });

  app.post('/conf/xml/XMLTransGet.asp', express.text({ type: () => true, limit: '16kb' }), (req, res) => {
    const xml = typeof req.body === 'string' ? req.body : '';
    res.type('text/xml; charset=utf-8');
    const wmid = xmlField(xml, 'wmid') ?? '';
    const purse = xmlField(xml, 'lmi_payee_purse') ?? '';
    const number = xmlField(xml, 'lmi_payment_no') ?? '';
    const type = xmlField(xml, 'lmi_payment_no_type') || '0';
    if (!/^merchant\.request$/.test(/<([a-z.]+)>/.exec(xml)?.[1] ?? '')) {
      return res.send(x18Response(-1, 'request is not a merchant.request'));
    }
    if (!/^\d{12}$/.test(wmid) || !PURSE.test(purse) || !/^\d{1,20}$/.test(number) || !['0', '1', '2'].includes(type)) {
      return res.send(x18Response(-2, 'wmid, lmi_payee_purse, lmi_payment_no or lmi_payment_no_type is wrong'));
    }
    const text = wmid + purse + number + opts.secretKey;
    const sha256 = xmlField(xml, 'sha256');
    const md5 = xmlField(xml, 'md5');
    const secret = xmlField(xml, 'secret_key');
    const authentic =
      wmid === opts.wmid &&
      (sha256
        ? sameDigest(sha256, createHash('sha256').update(text).digest('hex'))
        : md5
          ? sameDigest(md5, createHash('md5').update(text).digest('hex'))
          : secret !== null &&
            sameDigest(Buffer.from(secret).toString('hex'), Buffer.from(opts.secretKey).toString('hex')));
    if (!authentic) return res.send(x18Response(-4, 'authentication failed: sign, sha256, md5 or secret_key is wrong'));
    const paid = [...store.invoices.values()].find(
      (invoice) =>
        invoice.purse === purse &&
        invoice.status === 'paid' &&
        (type === '0'
          ? invoice.paymentNo === number
          : type === '1'
            ? invoice.invoiceNo === number
            : invoice.payment!.transNo === number),
    );
    if (!paid?.payment) {
      return res.send(x18Response(7, `Payment with lmi_payment_no number not found for this merchant purse:7 step=50`));
    }
    res.send(
      x18Response(0, '', {
        wmtransid: paid.payment.transNo,
        wminvoiceid: paid.invoiceNo,
        amount: paid.payment.amount,
        operdate: paid.payment.transDate,
        purpose: paid.description,
        pursefrom: paid.payment.payerPurse,
        wmidfrom: paid.payment.payerWm,
      }),
    );
  });

  app.use(faultRoutes({ path: '/sim/faults', faults, reference: z.string().refine(isPaymentNo), log }));
  app.post('/sim/x14-lose-answer', express.json(), (req, res) => {
    const number = String((req.body as { payment_no?: unknown } | undefined)?.payment_no ?? '');
    if (!isPaymentNo(number)) return res.status(400).json({ error: 'payment_no' });
    store.loseX14Answer.add(number);
    res.status(204).end();
  });
  app.get('/sim/x14-refunds', (_req, res) => {
    res.json({
      data: [...store.invoices.values()].flatMap((invoice) =>
        (invoice.refunds ?? []).map((refund) => ({
          paymentNo: invoice.paymentNo,
          wmtranid: invoice.payment!.transNo,
          ...refund,
        })),
      ),
    });
  });

  const x14 = express();
  x14.disable('x-powered-by');
  x14.post('/asp/XMLTransMoneybackCert.asp', express.text({ type: () => true, limit: '16kb' }), (req, res) => {
    const xml = typeof req.body === 'string' ? req.body : '';
    const reqn = xmlField(xml, 'reqn') ?? '';
    res.type('text/xml; charset=utf-8');
    const socket = req.socket as TLSSocket;
    const subject = socket.authorized ? socket.getPeerCertificate()?.subject?.CN : undefined;
    if (subject !== opts.wmid) return res.send(x14Response(reqn, -4, 'the client certificate is not the WMID’s'));
    if (!/^w3s\.request$/.test(/<([a-z0-9.]+)>/.exec(xml)?.[1] ?? '')) {
      return res.send(x14Response(reqn, -1, 'request is not a w3s.request'));
    }
    const inwmtranid = xmlField(xml, 'inwmtranid') ?? '';
    const amount = xmlField(xml, 'amount') ?? '';
    if (!/^\d{1,15}$/.test(reqn)) return res.send(x14Response(reqn, -1, 'reqn is wrong'));
    if (!/^\d{1,20}$/.test(inwmtranid)) return res.send(x14Response(reqn, -2, 'trans/inwmtranid is wrong'));
    if (!isAmount(amount)) return res.send(x14Response(reqn, -3, 'trans/amount is wrong'));
    if (BigInt(reqn) <= store.lastReqn)
      return res.send(x14Response(reqn, 102, 'reqn is not greater than the previous'));
    store.lastReqn = BigInt(reqn);
    const invoice = [...store.invoices.values()].find((candidate) => candidate.payment?.transNo === inwmtranid);
    if (!invoice?.payment) return res.send(x14Response(reqn, 17, 'transaction inwmtranid not found'));
    if (faults.for(invoice.paymentNo).refund_fails) {
      return res.send(x14Response(reqn, 18, 'the refund is refused for this transaction'));
    }
    const refunded = (invoice.refunds ?? []).reduce((sum, refund) => sum + BigInt(toMinor(refund.amount)), 0n);
    if (refunded + BigInt(toMinor(amount)) > BigInt(toMinor(invoice.payment.amount))) {
      return res.send(x14Response(reqn, 19, 'the amount exceeds what is left of the transaction'));
    }
    const refund = { id: store.nextTransNo(), reqn, amount: fromMinor(toMinor(amount)), date: moscowDate(new Date()) };
    (invoice.refunds ??= []).push(refund);
    log(`refund ${refund.id} of transaction ${inwmtranid}: ${refund.amount}`);
    if (store.loseX14Answer.delete(invoice.paymentNo)) {
      log(`the answer to refund ${refund.id} is lost`);
      return req.socket.destroy();
    }
    res.send(
      x14Response(reqn, 0, '', {
        id: refund.id,
        inwmtranid,
        pursesrc: invoice.purse,
        pursedest: invoice.payment.payerPurse,
        amount: refund.amount,
        date: refund.date,
      }),
    );
  });
  app.get('/sim/result-calls', (_req, res) => {
    res.json({ data: calls });
  });

  /** The pre-request: the form's fields with `LMI_PREREQUEST=1`; the payment goes ahead only on `YES`. */
  async function preRequest(invoice: Invoice): Promise<string> {
    if (!invoice.resultUrl) return 'YES';
    const body = new URLSearchParams({
      LMI_PREREQUEST: '1',
      LMI_PAYEE_PURSE: invoice.purse,
      LMI_PAYMENT_AMOUNT: invoice.amount,
      LMI_PAYMENT_NO: invoice.paymentNo,
      LMI_MODE: invoice.mode,
      LMI_PAYER_WM: '310000000001',
      LMI_PAYER_PURSE: `${invoice.purse[0]}000000000001`,
      LMI_PAYMENT_DESC: invoice.description,
      LMI_LANG: 'en-US',
      LMI_DBLCHK: 'SMS',
      ...invoice.extra,
    }).toString();
    const call: ResultCall = { kind: 'prerequest', paymentNo: invoice.paymentNo, body, status: null, answer: '' };
    calls.push(call);
    try {
      const res = await fetch(invoice.resultUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.callbackTimeoutMs ?? 10_000),
      });
      call.status = res.status;
      call.answer = await res.text();
      return res.status === 200 ? call.answer.trim() : call.answer.trim() || `HTTP ${res.status}`;
    } catch (err) {
      call.answer = err instanceof Error ? err.message : String(err);
      return '';
    }
  }

  /** The payment notification, as the faults say (duplicates; `reorder`: a stale pre-request after it). */
  function notify(invoice: Invoice, fault: Fault) {
    if (!invoice.resultUrl || stopped) return;
    const operation = invoice.payment!;
    const fields: Record<string, string> = {
      LMI_PAYEE_PURSE: invoice.purse,
      LMI_PAYMENT_AMOUNT: operation.amount,
      LMI_PAYMENT_NO: invoice.paymentNo,
      LMI_MODE: invoice.mode,
      LMI_SYS_INVS_NO: invoice.invoiceNo,
      LMI_SYS_TRANS_NO: operation.transNo,
      LMI_SYS_TRANS_DATE: operation.transDate,
      LMI_PAYER_PURSE: operation.payerPurse,
      LMI_PAYER_WM: operation.payerWm,
      LMI_PAYMENT_DESC: invoice.description,
      LMI_LANG: 'en-US',
      LMI_DBLCHK: 'SMS',
      LMI_PAYER_COUNTRYID: 'RU',
      LMI_PAYER_IP: '127.0.0.1',
    };
    fields.LMI_HASH = lmiHash(fields, opts.secretKey, opts.hashMethod);
    const notification = new URLSearchParams({ ...fields, ...invoice.extra }).toString();
    const stale = new URLSearchParams({
      LMI_PREREQUEST: '1',
      LMI_PAYEE_PURSE: invoice.purse,
      LMI_PAYMENT_AMOUNT: invoice.amount,
      LMI_PAYMENT_NO: invoice.paymentNo,
      LMI_MODE: invoice.mode,
      ...invoice.extra,
    }).toString();
    const bodies = faultSequence<{ kind: ResultCall['kind']; body: string }>(
      { kind: 'notification', body: notification },
      fault,
      () => ({ kind: 'prerequest', body: stale }),
    );
    let current: ResultCall | undefined;
    const sender = createCallbackSender({
      log,
      retryDelaysMs: opts.retryDelaysMs ?? defaultRetryDelaysMs,
      timeoutMs: opts.callbackTimeoutMs ?? 10_000,
      accepted: ({ status, text }) => {
        if (current) Object.assign(current, { status, answer: text });
        return status >= 200 && status < 300;
      },
    });
    senders.add(sender);
    const callbacks: Callback[] = bodies.map((item, n) => ({
      label: `${item.kind} ${n + 1} for payment ${invoice.paymentNo} (transaction ${operation.transNo})`,
      request: () => {
        current = { kind: item.kind, paymentNo: invoice.paymentNo, body: item.body, status: null, answer: '' };
        calls.push(current);
        return {
          url: invoice.resultUrl!,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'webmoney-merchant-simulator' },
          body: item.body,
        };
      },
    }));
    sender.send(`payment ${invoice.paymentNo}`, fault, callbacks);
  }

  return Object.assign(app, {
    x14,
    stopCallbacks: () => {
      stopped = true;
      for (const sender of senders) sender.stop();
    },
  });
}

function refusePage(res: Response, status: number, message: string) {
  sendPage(res, status, 'WebMoney', markup`<h1>${message}</h1>`);
}

/**
 * The buyer's way back: `LMI_*_METHOD` 0 a GET with the payment's fields in the query, 1 a form to
 * POST them (a button: pages here run no scripts), 2 a plain link; no URL, a page saying so.
 */
function sendBack(
  res: Response,
  invoice: Invoice,
  target: { url: string | null; method: string },
  more: Record<string, string>,
) {
  if (!target.url) return refusePage(res, 200, `Payment ${invoice.status}`);
  const fields = { LMI_PAYMENT_NO: invoice.paymentNo, LMI_SYS_INVS_NO: invoice.invoiceNo, ...more, ...invoice.extra };
  if (target.method === '2') return res.redirect(303, target.url);
  if (target.method === '1') {
    const inputs = Object.entries(fields).map(
      ([name, value]) => markup`<input type="hidden" name="${name}" value="${value}">`,
    );
    return sendPage(
      res,
      200,
      'Back to the shop',
      markup`<form method="post" action="${target.url}">${inputs}<button>Back to the shop</button></form>`,
    );
  }
  const url = new URL(target.url);
  for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  res.redirect(303, url.toString());
}
