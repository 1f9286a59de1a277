import { brandColors, brandStylesheet, contrastRatio, minimumContrast } from '../../src/domain/checkout-branding';
import type { StoredPayment } from '../../src/domain/payment';
import {
  autoReturnScript,
  type BuyerPageContext,
  messagePage,
  methodChoicePage,
  methodIcon,
  providerFormPage,
  resultPage,
  shopReturnPage,
} from '../../src/api/hosted-pages';
import { translator } from '../../src/i18n';
import { brandingFrom } from '../../src/services/checkouts';
import type { ResultLinks } from '../../src/services/buyer';

// The buyer pages without servers: the brand's colours, the checkout's branding rules, and what
// each page says and links, in English and Russian.

const shop = { name: 'Tea & <b>Cakes</b>', logoUrl: 'https://cdn.example/logo.png', brandStylesheet: null };
const context = (locale: string): BuyerPageContext => ({ t: translator(locale), shop });

const payment = (extra: Partial<StoredPayment> = {}) =>
  ({
    id: 'pay_3kTMd2pL9sXq7vB1nW0e',
    orderId: '<i>A-1</i>',
    description: '<script>alert(1)</script>',
    status: 'awaiting_method',
    testMode: true,
    amountMinor: 123450n,
    currency: 'RUB',
    buyerTotalMinor: null,
    failureReason: null,
    delivery: null,
    paidAt: null,
    expiresAt: new Date('2026-12-01T10:30:00.000Z'),
    ...extra,
  }) as StoredPayment;

const getBack = (autoReturnSeconds: number | null): ResultLinks => ({
  shopUrl: 'https://shop.example/ok?status=paid',
  back: { method: 'GET', url: 'https://shop.example/ok?status=paid&x=1', fields: {} },
  autoReturnSeconds,
});

/** What the CSP forbids: inline style and script, event handler attributes. */
function expectNoInlineCode(page: string) {
  expect(page).not.toMatch(/<style|\sstyle=|\son\w+=|<script>|<script(?![^>]*\ssrc=)/i);
}

describe('the brand colour', () => {
  test('text on the brand and links on the page always read (contrast ≥ 4.5:1)', () => {
    for (let i = 0; i < 512; i++) {
      const color = `#${((i * 2654435761) % 0xffffff).toString(16).padStart(6, '0')}`;
      const { brand, brandText, brandInk } = brandColors(color);
      expect(contrastRatio(brand, brandText)).toBeGreaterThanOrEqual(minimumContrast);
      expect(contrastRatio(brandInk, '#ffffff')).toBeGreaterThanOrEqual(minimumContrast);
      expect(contrastRatio(brandInk, '#f4f6fa')).toBeGreaterThanOrEqual(minimumContrast);
    }
  });

  test('a dark colour keeps white text and itself for links; the stylesheet is custom properties only', () => {
    expect(brandColors('#0A7D5A')).toEqual({ brand: '#0a7d5a', brandText: '#ffffff', brandInk: '#0a7d5a' });
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21);
    expect(brandStylesheet('#0a7d5a')).toBe(':root{--brand:#0a7d5a;--brand-text:#ffffff;--brand-ink:#0a7d5a}\n');
  });
});

describe('a checkout’s branding', () => {
  const none = { logoUrl: null, color: null };

  test('the fields given change, null clears one, the colour is kept in lower case', () => {
    const set = brandingFrom(none, { logoUrl: 'https://cdn.example/logo.png', color: '#AABBCC' });
    expect(set).toEqual({ logoUrl: 'https://cdn.example/logo.png', color: '#aabbcc' });
    expect(brandingFrom(set, { color: null })).toEqual({ logoUrl: 'https://cdn.example/logo.png', color: null });
    expect(brandingFrom(set, {})).toEqual(set);
  });

  test.each([
    [{ logoUrl: 'http://cdn.example/logo.png' }, 'branding.logo_url'],
    [{ logoUrl: 'https://user:pw@cdn.example/logo.png' }, 'branding.logo_url'],
    [{ logoUrl: 'javascript:alert(1)' }, 'branding.logo_url'],
    [{ color: 'red' }, 'branding.color'],
    [{ color: '#abc' }, 'branding.color'],
  ])('%j is refused, naming %s', (given, param) => {
    expect(() => brandingFrom(none, given)).toThrow(expect.objectContaining({ param }));
  });
});

test('each method takes the icon of its family', () => {
  expect(
    [
      'sandbox_card',
      'sandbox_wallet',
      'stripe_card',
      'yookassa_card',
      'yookassa_wallet',
      'yookassa_sbp',
      'webmoney_wallet',
      'interkassa_checkout',
      'bank_transfer',
      'cash',
    ].map(methodIcon),
  ).toEqual(
    ['card', 'wallet', 'stripe', 'card', 'yoomoney', 'sbp', 'webmoney', 'interkassa', 'bank', 'method'].map(
      (name) => `/assets/icons/${name}.svg`,
    ),
  );
});

describe('the method page', () => {
  const methods = [
    { code: 'sandbox_card', title: 'Bank card (sandbox)', testMode: true, buyerTotalMinor: 127154n },
    { code: 'new_method', title: 'Provider’s own title', testMode: true, buyerTotalMinor: 123450n },
  ];

  test('English: the shop, its logo, the order as text, each method with its icon and price, the fee only when the buyer pays one', () => {
    const page = methodChoicePage(context('en'), payment(), methods);
    const t = translator('en');
    expectNoInlineCode(page);
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('<h1>Tea &amp; &lt;b&gt;Cakes&lt;/b&gt;</h1>');
    expect(page).toContain(
      '<img class="shop-logo" src="https://cdn.example/logo.png" alt="Tea &amp; &lt;b&gt;Cakes&lt;/b&gt;">',
    );
    expect(page).toContain('&lt;i&gt;A-1&lt;/i&gt;');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain(`<span class="amount">${t.money(123450n, 'RUB')}</span>`);
    expect(page).toContain('<button type="submit" name="method" value="sandbox_card">');
    expect(page).toContain('src="/assets/icons/card.svg" alt=""');
    expect(page).toContain(`includes a fee of ${t.money(3704n, 'RUB')}`);
    expect(page.match(/method-fee/g)).toHaveLength(1);
    expect(page).toContain('<span class="method-name">Provider’s own title</span>');
    expect(page).toContain('Test mode: no real money moves');
    expect(page).toContain('<link rel="stylesheet" href="/assets/buyer.css" />');
    expect(page).toContain('<a href="?locale=ru" hreflang="ru" lang="ru">Русский</a>');
    expect(page).toContain('Pay before Dec 1, 2026, 10:30 AM UTC');
  });

  test('Russian: texts, amounts and dates of the language; a live payment has no test banner; the brand stylesheet is linked', () => {
    const branded = { ...context('ru'), shop: { ...shop, brandStylesheet: '/pay/brand/co_1.css?v=0a7d5a' } };
    const page = methodChoicePage(branded, payment({ testMode: false }), methods, 'Прошлая попытка');
    expect(page).toContain('<html lang="ru">');
    expect(page).toContain('Выберите способ оплаты');
    expect(page).toContain('Банковская карта (песочница)');
    expect(page).toContain('1\u00a0234,50\u00a0₽');
    expect(page).toContain('<p class="alert error" role="alert">Прошлая попытка</p>');
    expect(page).not.toContain('test-mode');
    expect(page).toContain('<link rel="stylesheet" href="/pay/brand/co_1.css?v=0a7d5a" />');
    expect(page).toContain('<a href="?locale=en" hreflang="en" lang="en">English</a>');
  });

  test('no method: the page says so', () => {
    expect(methodChoicePage(context('en'), payment(), [])).toContain(
      'No payment method is available for this payment.',
    );
  });
});

describe('the result pages', () => {
  test('paid with a download: the link, the auto-return notice, a link back that the script follows through Kassa, a way to stay', () => {
    const paid = payment({
      status: 'paid',
      buyerTotalMinor: 127154n,
      paidAt: new Date('2026-11-30T12:00:00.000Z'),
      delivery: { type: 'digital', download_url: 'https://shop.example/f.zip' },
    });
    const page = resultPage(context('en'), paid, {
      ...getBack(30),
      downloadUrl: 'https://pay.example/pay/x/download?expires=1&token=ab',
    });
    expectNoInlineCode(page);
    expect(page).toContain('<h1>Thank you! Payment received</h1>');
    expect(page).toContain('id="download" href="https://pay.example/pay/x/download?expires=1&amp;token=ab"');
    expect(page).toContain('You will be taken back to Tea &amp; &lt;b&gt;Cakes&lt;/b&gt; in 30 seconds.');
    expect(page).toContain(
      'id="back-to-shop" href="https://shop.example/ok?status=paid&amp;x=1" data-follow-after="30" data-follow-url="/pay/pay_3kTMd2pL9sXq7vB1nW0e/back"',
    );
    expect(page).toContain('<script src="/pay/assets/auto-return.js" defer></script>');
    expect(page).toContain('id="stay" data-stay hidden>Stay on this page</button>');
    expect(page).not.toContain('http-equiv="refresh"');
  });

  test('paid with a physical delivery in Russian: the date in the language', () => {
    const paid = payment({
      status: 'paid',
      paidAt: new Date('2026-11-30T12:00:00.000Z'),
      delivery: { type: 'physical', method: 'курьер', eta_days: 3 },
    });
    const page = resultPage(context('ru'), paid, getBack(5));
    expect(page).toContain('Спасибо! Оплата получена');
    expect(page).toContain(`Доставка: курьер, ожидается к ${translator('ru').date(new Date('2026-12-03T12:00:00Z'))}`);
    expect(page).toContain('Через 5 секунд вы вернётесь в Tea &amp; &lt;b&gt;Cakes&lt;/b&gt;.');
  });

  test('declined while open: the reason, another try, no auto-return', () => {
    const page = resultPage(context('en'), payment({ failureReason: 'card_declined' }), getBack(null));
    expect(page).toContain('Your card was declined. You can try another method.');
    expect(page).toContain('<a class="button" id="try-again" href="/pay/pay_3kTMd2pL9sXq7vB1nW0e">');
    expect(page).not.toContain('auto-return');
    expect(page).not.toContain('data-follow-after');
  });

  test('waiting: its script watches the status (a browser without script refreshes); after a long wait the link is followed on its own', () => {
    const waiting = payment({ status: 'awaiting_payment' });
    const first = resultPage(context('en'), waiting, {
      ...getBack(null),
      refreshUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/return?waited=2',
      watch: {
        statusUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/status',
        everySeconds: 2,
        resultUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/return',
        giveUpAfterSeconds: 58,
        giveUpUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/return?waited=60',
      },
    });
    expect(first).toContain(
      '<noscript><meta http-equiv="refresh" content="2;url=/pay/pay_3kTMd2pL9sXq7vB1nW0e/return?waited=2"></noscript>',
    );
    expect(first).toContain('data-watch-status="/pay/pay_3kTMd2pL9sXq7vB1nW0e/status" data-watch-every="2"');
    expect(first).toContain(
      'data-watch-give-up="58" data-watch-give-up-url="/pay/pay_3kTMd2pL9sXq7vB1nW0e/return?waited=60"',
    );
    expect(first).toContain('<script src="/pay/assets/auto-return.js" defer></script>');
    const long = resultPage(context('ru'), waiting, getBack(5));
    expect(long).toContain('Подтверждение идёт дольше обычного.');
    expect(long).toContain(
      'id="pending-link" href="https://shop.example/ok?status=paid&amp;x=1" data-follow-after="5"',
    );
  });

  test.each([
    ['expired', 'The time to pay has run out.'],
    ['canceled', 'The payment was canceled.'],
    ['under_review', 'The payment is being reviewed. Tea &amp; &lt;b&gt;Cakes&lt;/b&gt; will learn the outcome.'],
  ] as const)('%s: says what became of it', (status, text) => {
    expect(resultPage(context('en'), payment({ status }), getBack(5))).toContain(text);
  });

  test('the way back by POST: a form the script submits, fields escaped; the provider form page likewise', () => {
    const links: ResultLinks = {
      shopUrl: 'https://shop.example/ok',
      back: { method: 'POST', url: 'https://shop.example/ok', fields: { ik_pm_no: '"><b>x</b>' } },
      autoReturnSeconds: 5,
    };
    const back = shopReturnPage({ ...context('en'), languageSwitch: false }, links);
    expectNoInlineCode(back);
    expect(back).toContain(
      '<form id="back-to-shop-form" method="post" action="https://shop.example/ok" data-submit-after="0">',
    );
    expect(back).toContain('<input type="hidden" name="ik_pm_no" value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;">');
    expect(back).not.toContain('buyer-languages');
    const provider = providerFormPage(context('ru'), { url: 'https://pay.example/sci', fields: { a: '1' } });
    expect(provider).toContain(
      '<form id="provider-form" method="post" action="https://pay.example/sci" data-submit-after="0">',
    );
    expect(provider).toContain('Перейти к оплате');
    expect(messagePage(context('en'), 'Title <x>', 'Body')).toContain('<h1>Title &lt;x&gt;</h1><p>Body</p>');
  });

  test('the script submits forms, follows links, and lets the buyer stay', () => {
    expect(autoReturnScript).toContain('form[data-submit-after]');
    expect(autoReturnScript).toContain('a[data-follow-after]');
    expect(autoReturnScript).toContain('clearTimeout');
  });
});
