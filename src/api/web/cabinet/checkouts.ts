import { Router, type Request, type Response } from 'express';
import { DomainError } from '../../../domain/errors';
import { parseAmount } from '../../../domain/money';
import type { CheckoutResource } from '../../../resources/checkout';
import {
  changeCheckout,
  getCheckout,
  listCheckouts,
  openCheckout,
  quoteCheckoutMethods,
  rotateCheckoutSciKeys,
  rotateCheckoutSecret,
} from '../../../services/checkouts';
import type { ServiceDeps } from '../../../services/deps';
import { verifySite } from '../../../services/site-verification';
import { html, type SafeHtml } from '../html';
import { merchantPrincipalOf, pageContext } from '../session';
import {
  checkoutFormValues,
  domainErrors,
  type FieldErrors,
  formValuesOf,
  type FormValues,
  readCheckoutTab,
  readNewCheckout,
  type SettingsTab,
} from './checkout-forms';
import {
  checkoutFrame,
  checkoutList,
  checkoutPath,
  type CheckoutTab,
  checkoutTabs,
  type FormState,
  generalTab,
  interfaceTab,
  type MethodPreview,
  newCheckoutForm,
  type OnceSecrets,
  onceSecrets,
  paymentsTab,
  previewSection,
  savedNote,
  securityTab,
  verificationTab,
} from './checkout-views';
import { type CabinetSection, sendCabinetPage } from './layout';

const checkoutId = /^co_[0-9A-Za-z]{8,64}$/;
const settingsTabs: readonly SettingsTab[] = ['general', 'payments', 'interface', 'security'];

/** The one value of a query parameter (the last when repeated), or ''. */
function queryValue(req: Request, name: string): string {
  const value = (req.query as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[value.length - 1] === 'string') return value[value.length - 1] as string;
  return '';
}

/** A cabinet page that says there is no such thing, with a 404. */
export function notFoundScreen(
  res: Response,
  back = '/dashboard/checkouts',
  active: CabinetSection = 'checkouts',
): void {
  const { session, t } = pageContext(res);
  sendCabinetPage(
    res,
    {
      session,
      t,
      active,
      title: t.t('common.notFound'),
      here: back,
      body: html`<p id="not-found">${t.t('cabinet.notFound')}</p><p><a href="${back}">${t.t('common.back')}</a></p>`,
    },
    404,
  );
}

/** The request's own checkout, or null when the id is malformed, another merchant's or the other mode's. */
async function ownCheckout(deps: ServiceDeps, res: Response, id: string | undefined): Promise<CheckoutResource | null> {
  if (!id || !checkoutId.test(id)) return null;
  try {
    return await getCheckout(deps, merchantPrincipalOf(res), id);
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'not_found') return null;
    throw error;
  }
}

/** Secrets a service answer carries in full: a new webhook secret, SCI keys issued or rotated. */
function secretsOf(answer: CheckoutResource & { webhook_secret?: string }): OnceSecrets {
  const secrets: OnceSecrets = {};
  if (answer.webhook_secret) secrets.webhookSecret = answer.webhook_secret;
  if (answer.sci && !answer.sci.secret_key.startsWith('*'))
    secrets.sciKeys = { secretKey: answer.sci.secret_key, testKey: answer.sci.test_key };
  return secrets;
}

const hasSecrets = (secrets: OnceSecrets) => Boolean(secrets.webhookSecret || secrets.sciKeys);

/** The checkout as its screens show it: secrets answered in full are masked like any other time. */
function masked(answer: CheckoutResource & { webhook_secret?: string }): CheckoutResource {
  const { webhook_secret: _secret, ...checkout } = answer;
  if (!checkout.sci || checkout.sci.secret_key.startsWith('*')) return checkout;
  const hide = (key: string) => `********${key.length >= 12 ? key.slice(-4) : ''}`;
  return {
    ...checkout,
    sci: { ...checkout.sci, secret_key: hide(checkout.sci.secret_key), test_key: hide(checkout.sci.test_key) },
  };
}

interface TabRender {
  checkout: CheckoutResource;
  tab: CheckoutTab;
  values?: FormValues;
  errors?: FieldErrors;
  saved?: string;
  secrets?: OnceSecrets;
  status?: number;
}

export function checkoutScreens(deps: ServiceDeps): Router {
  const router = Router();
  const offered = (testMode: boolean) =>
    deps.providers.methods(testMode).map((method) => ({ code: method.code, title: method.title }));

  async function previewOf(
    res: Response,
    req: Request,
    checkout: CheckoutResource,
  ): Promise<{ section: (state: FormState) => SafeHtml; failed: boolean }> {
    const { t } = pageContext(res);
    const query = {
      amount: queryValue(req, 'amount') || '100',
      currency: queryValue(req, 'currency') || checkout.currencies[0]!,
    };
    let preview: MethodPreview | null = null;
    let errors: FieldErrors = {};
    try {
      const quote = await quoteCheckoutMethods(deps, merchantPrincipalOf(res), checkout.id, query);
      const minor = (amount: string) => parseAmount(amount, quote.currency);
      preview = {
        amountMinor: minor(quote.amount),
        currency: quote.currency,
        rows: quote.data.map((row) => ({
          method: row.method,
          title: row.title,
          buyerTotalMinor: minor(row.buyer_total),
          feeMinor: minor(row.fee),
          buyerFeeMinor: minor(row.buyer_fee),
          merchantNetMinor: minor(row.merchant_net),
        })),
      };
    } catch (error) {
      errors = domainErrors(t, error) ?? {};
      if (Object.keys(errors).length === 0) throw error;
    }
    return {
      section: (state) => previewSection(state, checkout, preview, query, errors),
      failed: Object.keys(errors).length > 0,
    };
  }

  async function renderTab(req: Request, res: Response, view: TabRender) {
    const { session, t } = pageContext(res);
    const { tab } = view;
    const checkout = masked(view.checkout);
    const methods = offered(checkout.test_mode);
    const state: FormState = {
      session,
      t,
      values:
        view.values ??
        checkoutFormValues(
          checkout,
          methods.map((method) => method.code),
        ),
      errors: view.errors ?? {},
    };
    let status = view.status ?? 200;
    let body: SafeHtml;
    const scripts: string[] = [];
    let refresh: { seconds: number } | undefined;
    if (tab === 'general') body = generalTab(state, checkout);
    else if (tab === 'payments') {
      const preview = await previewOf(res, req, checkout);
      if (preview.failed && status === 200) status = 400;
      body = paymentsTab(state, checkout, methods, preview.section(state));
      scripts.push('/assets/cabinet-checkouts.js');
    } else if (tab === 'interface') body = interfaceTab(state, checkout);
    else if (tab === 'security') body = securityTab(state, checkout);
    else {
      body = verificationTab(state, checkout);
      if (checkout.verification.status === 'pending' && queryValue(req, 'checking')) refresh = { seconds: 2 };
    }
    sendCabinetPage(
      res,
      {
        session,
        t,
        active: 'checkouts',
        title: t.t('cabinet.checkout.title', { name: checkout.name, tab: t.t(`cabinet.tabs.${tab}`) }),
        here: '/dashboard/checkouts',
        head: { scripts, refresh },
        body: checkoutFrame(t, checkout, tab, html`${savedNote(view.saved)}${onceSecrets(t, view.secrets)}${body}`),
      },
      status,
    );
  }

  router.get('/checkouts', async (_req, res) => {
    const { session, t } = pageContext(res);
    const checkouts = await listCheckouts(deps, merchantPrincipalOf(res));
    sendCabinetPage(res, {
      session,
      t,
      active: 'checkouts',
      title: t.t('cabinet.checkouts.title'),
      here: '/dashboard/checkouts',
      body: checkoutList(t, checkouts),
    });
  });

  function renderNew(res: Response, values: FormValues, errors: FieldErrors, status = 200) {
    const { session, t } = pageContext(res);
    sendCabinetPage(
      res,
      {
        session,
        t,
        active: 'checkouts',
        title: t.t('cabinet.checkouts.new'),
        here: '/dashboard/checkouts/new',
        body: newCheckoutForm({ session, t, values, errors }),
      },
      status,
    );
  }

  router.get('/checkouts/new', (_req, res) => {
    const { t } = pageContext(res);
    renderNew(res, { currencies: ['RUB'], fee_payer: 'merchant', buyer_percent: '50', locale: t.locale }, {});
  });

  router.post('/checkouts', async (req, res) => {
    const { t } = pageContext(res);
    const values = formValuesOf(req.body);
    const reading = readNewCheckout(t, values);
    if (!reading.ok) return renderNew(res, values, reading.errors, 400);
    let created;
    try {
      created = await openCheckout(deps, merchantPrincipalOf(res), reading.input);
    } catch (error) {
      const errors = domainErrors(t, error);
      if (!errors) throw error;
      return renderNew(res, values, errors, 400);
    }
    await renderTab(req, res, {
      checkout: created,
      tab: 'verification',
      saved: t.t('cabinet.checkouts.createdNote'),
      secrets: secretsOf(created),
      status: 201,
    });
  });

  router.get('/checkouts/:id', async (req, res) => {
    const checkout = await ownCheckout(deps, res, req.params.id);
    if (!checkout) return notFoundScreen(res);
    res.redirect(303, checkoutPath(checkout.id, 'general'));
  });

  // each tab its own route, so the routing table (and with it 405 and the API reference) names them
  for (const tab of checkoutTabs)
    router.get(`/checkouts/:id/${tab}`, async (req, res) => {
      const checkout = await ownCheckout(deps, res, req.params.id);
      if (!checkout) return notFoundScreen(res);
      const { t } = pageContext(res);
      await renderTab(req, res, { checkout, tab, saved: queryValue(req, 'saved') ? t.t('cabinet.saved') : undefined });
    });

  router.post('/checkouts/:id/security/rotate-secret', async (req, res) => {
    const checkout = await ownCheckout(deps, res, req.params.id);
    if (!checkout) return notFoundScreen(res);
    const { t } = pageContext(res);
    const rotated = await rotateCheckoutSecret(deps, merchantPrincipalOf(res), checkout.id);
    await renderTab(req, res, {
      checkout: rotated,
      tab: 'security',
      saved: t.t('cabinet.security.secretRotated'),
      secrets: secretsOf(rotated),
    });
  });

  router.post('/checkouts/:id/security/rotate-sci-keys', async (req, res) => {
    const checkout = await ownCheckout(deps, res, req.params.id);
    if (!checkout) return notFoundScreen(res);
    const { t } = pageContext(res);
    try {
      const rotated = await rotateCheckoutSciKeys(deps, merchantPrincipalOf(res), checkout.id);
      await renderTab(req, res, {
        checkout: rotated,
        tab: 'security',
        saved: t.t('cabinet.security.keysRotated'),
        secrets: secretsOf(rotated),
      });
    } catch (error) {
      const errors = domainErrors(t, error);
      if (!errors) throw error;
      await renderTab(req, res, { checkout, tab: 'security', errors, status: 409 });
    }
  });

  router.post('/checkouts/:id/verification', async (req, res) => {
    const checkout = await ownCheckout(deps, res, req.params.id);
    if (!checkout) return notFoundScreen(res);
    await verifySite(deps, merchantPrincipalOf(res), checkout.id);
    res.redirect(303, `${checkoutPath(checkout.id, 'verification')}?checking=1`);
  });

  for (const tab of settingsTabs)
    router.post(`/checkouts/:id/${tab}`, async (req, res) => {
      const checkout = await ownCheckout(deps, res, req.params.id);
      if (!checkout) return notFoundScreen(res);
      const { t } = pageContext(res);
      const values = formValuesOf(req.body);
      const codes = offered(checkout.test_mode).map((method) => method.code);
      const reading = readCheckoutTab(t, tab, checkout, values, codes);
      if (!reading.ok) return renderTab(req, res, { checkout, tab, values, errors: reading.errors, status: 400 });
      let saved;
      try {
        saved = await changeCheckout(deps, merchantPrincipalOf(res), checkout.id, reading.input);
      } catch (error) {
        const errors = domainErrors(t, error, reading.methodCodes);
        if (!errors) throw error;
        return renderTab(req, res, { checkout, tab, values, errors, status: 400 });
      }
      const secrets = secretsOf(saved);
      if (hasSecrets(secrets))
        return renderTab(req, res, { checkout: saved, tab, saved: t.t('cabinet.saved'), secrets });
      res.redirect(303, `${checkoutPath(checkout.id, tab)}?saved=1`);
    });

  return router;
}
