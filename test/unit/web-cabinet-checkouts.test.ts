import { invalid, DomainError } from '../../src/domain/errors';
import { translator } from '../../src/i18n';
import type { CheckoutResource } from '../../src/resources/checkout';
import {
  checkoutFormValues,
  domainErrors,
  inputForParam,
  readCheckoutTab,
  readNewCheckout,
} from '../../src/api/web/cabinet/checkout-forms';
import { checkoutList, errorSummary, newCheckoutForm } from '../../src/api/web/cabinet/checkout-views';
import { checklistSteps } from '../../src/api/web/cabinet/home';
import type { WebSession } from '../../src/api/web/session';

const en = translator('en');
const ru = translator('ru');
const session: WebSession = {
  userId: 'wu_1',
  email: 'a@shop.example',
  role: 'merchant',
  merchantId: 'mer_1',
  csrfToken: 'csrf-token',
  locale: 'en',
  testMode: true,
  otherTeams: [],
};

const checkout = (changes: Partial<CheckoutResource> = {}): CheckoutResource => ({
  id: 'co_abcdefgh12',
  object: 'checkout',
  type: 'website',
  name: 'Shop',
  site_url: 'https://shop.example',
  currencies: ['RUB', 'USD'],
  notify_url: 'https://shop.example',
  success_url: 'https://shop.example',
  fail_url: 'https://shop.example',
  pending_url: 'https://shop.example',
  fee_payer: 'merchant',
  fee: { percent: '3', fixed: {} },
  methods: [],
  methods_configured: false,
  verification: {
    status: 'unverified',
    file_url: 'https://shop.example/.well-known/kassa-verification.txt',
    token: 'kv_x',
    verified_at: null,
    last_error: null,
  },
  late_success: 'hold',
  branding: { logo_url: null, color: null },
  locale: 'en',
  sci: null,
  previous_secret_expires_at: null,
  test_mode: true,
  created_at: '2026-11-30T10:00:00.000Z',
  updated_at: '2026-11-30T10:00:00.000Z',
  ...changes,
});

describe('the new checkout form', () => {
  it('names each missing field once, in the merchant language, and not the addresses the site stands in for', () => {
    const reading = readNewCheckout(ru, { name: '  ', site_url: '', fee_payer: 'merchant' });
    expect(reading.ok).toBe(false);
    if (reading.ok) return;
    expect(Object.keys(reading.errors).sort()).toEqual(['currencies', 'name', 'site_url']);
    expect(reading.errors.site_url!.message).toBe('Введите полный адрес, начиная с https:// или http://.');
    expect(reading.errors.currencies!.message).toBe('Выберите хотя бы одну валюту.');
    const badSite = readNewCheckout(en, {
      name: 'Shop',
      site_url: 'shop dot example',
      currencies: 'RUB',
      fail_url: 'x',
    });
    expect(badSite.ok ? null : Object.keys(badSite.errors).sort()).toEqual(['fail_url', 'fee_payer', 'site_url']);
  });

  it('takes the site address for every address left empty, and a shared commission as a whole percent', () => {
    const reading = readNewCheckout(en, {
      name: 'Shop',
      site_url: ' https://shop.example ',
      currencies: ['RUB', 'USD'],
      fee_payer: 'split',
      buyer_percent: '30',
      success_url: 'https://shop.example/ok',
    });
    expect(reading).toMatchObject({
      ok: true,
      input: {
        name: 'Shop',
        siteUrl: 'https://shop.example',
        currencies: ['RUB', 'USD'],
        notifyUrl: 'https://shop.example',
        successUrl: 'https://shop.example/ok',
        feePayer: { type: 'split', buyerPercent: 30 },
      },
    });
    const refused = readNewCheckout(en, {
      ...{ name: 'Shop', site_url: 'https://s.example', currencies: 'RUB' },
      fee_payer: 'split',
      buyer_percent: '150',
    });
    expect(refused.ok ? null : Object.keys(refused.errors)).toEqual(['buyer_percent']);
  });

  it('reads the checkout type, a website when none is chosen, and refuses an unknown one by name', () => {
    const base = { name: 'Shop', site_url: 'https://shop.example', currencies: 'RUB', fee_payer: 'merchant' };
    expect(readNewCheckout(en, { ...base, type: 'mobile_app' })).toMatchObject({
      ok: true,
      input: { type: 'mobile_app' },
    });
    const unchosen = readNewCheckout(en, base);
    expect(unchosen.ok && unchosen.input.type).toBeUndefined();
    const refused = readNewCheckout(ru, { ...base, type: 'kiosk' });
    expect(refused.ok ? null : Object.keys(refused.errors)).toEqual(['type']);
    expect(refused.ok ? null : refused.errors.type!.message).toBe('Выберите: сайт, мобильное приложение или другое.');
  });

  it('offers the checkout types in a labelled select, a website first, in the merchant language', () => {
    const page = newCheckoutForm({ session, t: ru, values: {}, errors: {} }).markup;
    expect(page).toContain('<label for="f-type">Тип кассы</label>');
    expect(page).toMatch(
      /<select id="f-type" name="type"[^>]*>\s*<option value="website">Сайт<\/option><option value="mobile_app">Мобильное приложение<\/option><option value="other">Другое<\/option>/,
    );
    const chosen = newCheckoutForm({ session, t: en, values: { type: 'other' }, errors: {} }).markup;
    expect(chosen).toContain('<option value="other" selected>Other</option>');
  });

  it('renders what was typed as text, with the error next to its input', () => {
    const typed = '"><script>alert(1)</script>';
    const page = newCheckoutForm({
      session,
      t: en,
      values: { name: typed, site_url: 'nope' },
      errors: { site_url: { message: 'Enter a full address', detail: '<b>bad</b>' } },
    }).markup;
    expect(page).not.toContain('<script>');
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page).toContain('aria-invalid="true" aria-describedby="f-site_url-hint f-site_url-error"');
    expect(page).toContain('(&lt;b&gt;bad&lt;/b&gt;)');
    expect(page).toContain('name="_csrf" value="csrf-token"');
  });
});

describe('the checkout tabs', () => {
  it('reads the ticked methods in the order of their positions, with amounts per currency', () => {
    const reading = readCheckoutTab(
      en,
      'payments',
      checkout(),
      {
        fee_payer: 'buyer',
        late_success: 'refund',
        'methods.card.enabled': 'on',
        'methods.card.position': '2',
        'methods.card.min_amount.RUB': '10.00',
        'methods.wallet.enabled': 'on',
        'methods.wallet.position': '1',
        'methods.wallet.currencies': 'USD',
        'methods.other.position': '3',
      },
      ['card', 'wallet', 'other'],
    );
    expect(reading).toMatchObject({
      ok: true,
      methodCodes: ['wallet', 'card'],
      input: {
        feePayer: 'buyer',
        lateSuccess: 'refund',
        methods: [
          { method: 'wallet', currencies: ['USD'], minAmount: {}, maxAmount: {} },
          { method: 'card', currencies: null, minAmount: { RUB: '10.00' }, maxAmount: {} },
        ],
      },
    });
    expect(reading.ok && reading.input.sci).toBeUndefined();
  });

  it('names a bad amount at the method and currency it was typed for', () => {
    const reading = readCheckoutTab(
      en,
      'payments',
      checkout(),
      {
        fee_payer: 'merchant',
        late_success: 'hold',
        'methods.card.enabled': 'on',
        'methods.card.max_amount.USD': '1,5',
      },
      ['card'],
    );
    expect(reading.ok ? null : reading.errors['methods.card.max_amount.USD']?.message).toBe(
      'Enter an amount such as 50.00.',
    );
  });

  it('leaves the SCI settings alone until the merchant turns the forms on', () => {
    const off = readCheckoutTab(en, 'interface', checkout(), {
      notify_url: 'https://shop.example/notify',
      success_url: 'https://shop.example/ok',
      fail_url: 'https://shop.example/fail',
      pending_url: 'https://shop.example/wait',
      'sci.interaction_url': 'https://shop.example/ia',
    });
    expect(off.ok && off.input).toEqual(
      expect.objectContaining({ notifyUrl: 'https://shop.example/notify', sci: undefined }),
    );
    const on = readCheckoutTab(en, 'security', checkout(), { 'sci.enable': 'on', 'sci.sign_algorithm': 'sha256' });
    expect(on.ok && on.input.sci).toEqual({
      enabled: true,
      signAlgorithm: 'sha256',
      signRequired: false,
      urlOverride: undefined,
      uniqueOrder: undefined,
      interactionUrl: undefined,
      interactionMethod: undefined,
      lifetime: undefined,
    });
  });

  it('reads and fills the checkout type on the General tab', () => {
    const general = { name: 'Shop', site_url: 'https://shop.example', currencies: 'RUB', locale: 'en' };
    expect(readCheckoutTab(en, 'general', checkout(), { ...general, type: 'other' })).toMatchObject({
      ok: true,
      input: { type: 'other' },
    });
    const refused = readCheckoutTab(en, 'general', checkout(), { ...general, type: '' });
    expect(refused.ok ? null : Object.keys(refused.errors)).toEqual(['type']);
    expect(checkoutFormValues(checkout({ type: 'mobile_app' }), []).type).toBe('mobile_app');
  });

  it('fills every input from the checkout as stored', () => {
    const values = checkoutFormValues(
      checkout({
        fee_payer: { type: 'split', buyer_percent: 40 },
        methods: [
          {
            method: 'wallet',
            title: 'Wallet',
            currencies: ['RUB'],
            min_amount: { RUB: '5.00' },
            max_amount: {},
            fee: { percent: '3', fixed: {} },
          },
        ],
      }),
      ['card', 'wallet'],
    );
    expect(values).toMatchObject({
      fee_payer: 'split',
      buyer_percent: '40',
      'methods.card.enabled': undefined,
      'methods.wallet.enabled': 'on',
      'methods.wallet.position': '1',
      'methods.wallet.currencies': ['RUB'],
      'methods.wallet.min_amount.RUB': '5.00',
      'sci.sign_required': 'on',
    });
  });
});

describe("the service's refusals", () => {
  it('are listed at the top of the form, naming the method and currency of a method input', () => {
    const summary = errorSummary({
      session,
      t: en,
      values: {},
      errors: {
        'methods.sandbox_card.max_amount.RUB': { message: 'Enter an amount such as 50.00.' },
        name: { message: 'Enter a name of up to 200 characters.' },
      },
    });
    expect(summary && summary.markup).toContain(
      '<a href="#f-methods-sandbox_card-max_amount-RUB">sandbox_card RUB: Enter an amount such as 50.00.</a>',
    );
    expect(summary && summary.markup).toContain('2 fields need your attention');
  });

  it('land at the input they concern', () => {
    expect(inputForParam('methods.1.min_amount.RUB', ['card', 'wallet'])).toBe('methods.wallet.min_amount.RUB');
    expect(inputForParam('currencies.3')).toBe('currencies');
    expect(inputForParam('fee_payer.buyer_percent')).toBe('buyer_percent');
    expect(inputForParam('fee_payer')).toBe('fee_payer');
    expect(domainErrors(en, invalid('site_url', 'site_url names a private address'))).toEqual({
      site_url: {
        message: 'Enter a full address starting with https:// or http://.',
        detail: 'site_url names a private address',
      },
    });
    expect(domainErrors(en, new DomainError('conflict', 'sci_not_configured', 'no SCI yet', 'id'))).toEqual({
      '': { message: 'This could not be saved.', detail: 'no SCI yet' },
    });
    expect(domainErrors(en, new Error('boom'))).toBeNull();
  });
});

describe('the home checklist', () => {
  it('links each step to where it is done', () => {
    const none = checklistSteps({
      checkouts: [],
      checkoutCreated: false,
      siteVerified: false,
      notificationsSet: false,
      testPaymentMade: false,
    });
    expect(none.map((step) => [step.key, step.done, step.href])).toEqual([
      ['checkout', false, '/dashboard/checkouts/new'],
      ['verify', false, '/dashboard/checkouts/new'],
      ['notifications', false, '/dashboard/checkouts/new'],
      ['testPayment', false, '/dashboard/payments/test'],
    ]);
    const one = checklistSteps({
      checkouts: [checkout()],
      checkoutCreated: true,
      siteVerified: false,
      notificationsSet: false,
      testPaymentMade: true,
    });
    expect(one.map((step) => step.href)).toEqual([
      '/dashboard/checkouts',
      '/dashboard/checkouts/co_abcdefgh12/verification',
      '/dashboard/checkouts/co_abcdefgh12/interface',
      '/dashboard/payments/test',
    ]);
  });

  it('lists checkouts with their names and sites as text', () => {
    const page = checkoutList(en, [checkout({ name: '<img src=x onerror=alert(1)>' })]).markup;
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img');
  });
});
