import fs from 'node:fs';
import express, { type Express } from 'express';
import { escapeHtml } from '../api/hosted-pages';
import { safeEqualHex, signReturn, verifyWebhook } from '../domain/signatures';

/** How the demo shop reaches Kassa: its API, a test key and the checkout it sells through. */
export interface DemoShopOptions {
  kassaUrl: string;
  apiKey: string;
  checkoutId: string;
  webhookSecret: string;
  /** JSON file keeping the orders across restarts. */
  ordersFile: string;
  /** The test payment systems a buyer can pay through, as the shop names them. Default: the sandbox provider. */
  paymentSystems?: string[];
}

interface Order {
  orderId: string;
  product: string;
  amount: string;
  paymentId: string;
  status: string;
  createdAt: string;
  notifiedAt?: string;
}

const products = [
  {
    sku: 'ebook',
    title: 'E-book "Payments on Temporal" (digital)',
    amount: '50.00',
    delivery: { type: 'digital', download_url: 'https://shop.example/files/payments-on-temporal.pdf' },
  },
  {
    sku: 'mug',
    title: 'Kassa mug (delivered by courier)',
    amount: '450.00',
    delivery: { type: 'physical', method: 'courier', eta_days: 3 },
  },
] as const;

const page = (title: string, body: string, refresh = false) => `<!doctype html><html><head><meta charset="utf-8">
${refresh ? '<meta http-equiv="refresh" content="3">' : ''}<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}.paid{color:green;font-weight:600}</style>
</head><body><p><a href="/">Shop</a> · <a href="/orders">Orders</a></p>${body}</body></html>`;

/** `a`, `a or b`, `a, b or c`. */
const listed = (names: string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;

/**
 * A one-page storefront that sells through Kassa, the way a merchant's shop would: a Pay button
 * creating a payment, a webhook receiver that checks the signature, and an orders list that
 * turns paid by itself.
 */
export function createDemoShop(options: DemoShopOptions): Express {
  const orders: Order[] = fs.existsSync(options.ordersFile)
    ? JSON.parse(fs.readFileSync(options.ordersFile, 'utf8'))
    : [];
  const save = () => fs.writeFileSync(options.ordersFile, JSON.stringify(orders, null, 2));
  const app = express();

  app.get('/', (_req, res) => {
    res.type('html').send(
      page(
        'Demo shop',
        `<h1>Demo shop</h1>${products
          .map(
            (
              product,
            ) => `<form method="post" action="/buy/${product.sku}"><p>${escapeHtml(product.title)} — <b>${product.amount} RUB</b>
<button type="submit">Pay</button></p></form>`,
          )
          .join('')}<p><small>Test mode, no real money: pay through ${escapeHtml(
          listed(options.paymentSystems ?? ['the sandbox provider']),
        )}.</small></p>`,
      ),
    );
  });

  app.post('/buy/:sku', async (req, res) => {
    const product = products.find((candidate) => candidate.sku === req.params.sku);
    if (!product) return res.status(404).send('No such product');
    const orderId = `D-${Date.now().toString(36)}`;
    const response = await fetch(`${options.kassaUrl}/v1/payments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': orderId,
      },
      body: JSON.stringify({
        checkout_id: options.checkoutId,
        order_id: orderId,
        amount: product.amount,
        currency: 'RUB',
        description: product.title,
        delivery: product.delivery,
      }),
    });
    const payment = (await response.json()) as {
      id: string;
      status: string;
      checkout_url: string;
      error?: { message: string };
    };
    if (response.status !== 201)
      return res.status(502).send(`Kassa refused the payment: ${escapeHtml(payment.error?.message ?? '')}`);
    orders.unshift({
      orderId,
      product: product.title,
      amount: product.amount,
      paymentId: payment.id,
      status: payment.status,
      createdAt: new Date().toISOString(),
    });
    save();
    res.redirect(303, payment.checkout_url);
  });

  app.post('/kassa/notify', express.text({ type: () => true, limit: '256kb' }), (req, res) => {
    const valid = verifyWebhook(
      options.webhookSecret,
      {
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: String(req.headers['webhook-timestamp'] ?? ''),
        signature: String(req.headers['webhook-signature'] ?? ''),
      },
      req.body,
    );
    const fresh = Math.abs(Date.now() / 1000 - Number(req.headers['webhook-timestamp'])) < 300;
    if (!valid || !fresh) return res.status(401).send('bad signature');
    const event = JSON.parse(req.body) as { type: string; data: { order_id: string; status: string } };
    const order = orders.find((candidate) => candidate.orderId === event.data.order_id);
    if (order) {
      order.status = event.data.status;
      order.notifiedAt = new Date().toISOString();
      save();
    }
    res.status(200).send('ok');
  });

  app.get('/orders', (_req, res) => {
    const rows = orders
      .map(
        (
          order,
        ) => `<tr><td>${escapeHtml(order.orderId)}</td><td>${escapeHtml(order.product)}</td><td>${order.amount} RUB</td>
<td class="${order.status === 'paid' ? 'paid' : ''}">${escapeHtml(order.status)}</td><td>${escapeHtml(order.paymentId)}</td></tr>`,
      )
      .join('');
    res.type('html').send(
      page(
        'Orders',
        `<h1>Orders</h1><table><tr><th>Order</th><th>Product</th><th>Amount</th><th>Status</th><th>Payment</th></tr>${rows}</table>
<p><small>This page refreshes itself; an order turns paid when Kassa's signed webhook arrives.</small></p>`,
        true,
      ),
    );
  });

  for (const outcome of ['ok', 'fail', 'wait'] as const) {
    app.get(`/${outcome}`, (req, res) => {
      const { payment_id = '', order_id = '', status = '', signature = '' } = req.query as Record<string, string>;
      const genuine = safeEqualHex(
        String(signature),
        signReturn(options.webhookSecret, { paymentId: payment_id, orderId: order_id, status }),
      );
      const heading =
        outcome === 'ok'
          ? 'Thank you for your order'
          : outcome === 'wait'
            ? 'Your payment is being confirmed'
            : 'The payment did not go through';
      res.type('html').send(
        page(
          heading,
          `<h1>${heading}</h1><p>Order ${escapeHtml(String(order_id))}: ${escapeHtml(String(status))}
${genuine ? '(signature verified)' : '<b>(signature NOT valid)</b>'}</p><p><a href="/orders">Your orders</a></p>`,
        ),
      );
    });
  }
  return app;
}
