import { paymentFormJson, sciLanguage, sciPaywaysPage, sciRefusalPage } from '../../src/api/sci-pages';
import type { MethodQuote } from '../../src/domain/fees';
import { SciRefusal, type SciRefusalReason } from '../../src/services/sci';

describe('the SCI answers', () => {
  it('moves the query of the next page into the form’s parameters, since a GET form replaces it', () => {
    expect(paymentFormJson('https://pay.example/checkout/abc?token=t1&lang=ru#top')).toEqual({
      action: 'https://pay.example/checkout/abc',
      method: 'GET',
      parameters: { token: 't1', lang: 'ru' },
    });
    expect(paymentFormJson('http://127.0.0.1:3000/pay/pay_123')).toEqual({
      action: 'http://127.0.0.1:3000/pay/pay_123',
      method: 'GET',
      parameters: {},
    });
  });

  it('speaks ik_loc when it is Russian or English, else the browser’s first language it speaks, else English', () => {
    expect(sciLanguage('ru', 'en')).toBe('ru');
    expect(sciLanguage('en', 'ru')).toBe('en');
    expect(sciLanguage('uk', 'de-DE, ru-RU;q=0.8, en;q=0.5')).toBe('ru');
    expect(sciLanguage(null, 'en-GB,en;q=0.9')).toBe('en');
    expect(sciLanguage(null, 'fr')).toBe('en');
    expect(sciLanguage(null, undefined)).toBe('en');
  });

  it('falls back to the checkout’s default language when neither ik_loc nor the browser names one Kassa speaks', () => {
    expect(sciLanguage(null, 'fr, de', 'ru')).toBe('ru');
    expect(sciLanguage(null, undefined, 'ru')).toBe('ru');
    expect(sciLanguage(null, 'en', 'ru')).toBe('en');
    expect(sciLanguage('en', 'ru', 'ru')).toBe('en');
    expect(sciLanguage(null, undefined, null)).toBe('en');
  });

  const quote = (code: string, title: string, buyerTotalMinor: bigint) =>
    ({
      code,
      title,
      buyerTotalMinor,
      buyerFeeMinor: 0n,
      feeMinor: 0n,
      merchantNetMinor: buyerTotalMinor,
    }) as MethodQuote;

  it('the refusal page names the field in the buyer’s language, escapes everything, and has nothing inline', () => {
    const refusal = new SciRefusal('sign_invalid', 'ik_sign', 'expected <b>md5</b> "x"');
    const russian = sciRefusalPage(refusal, 'ru');
    expect(russian).toContain('<html lang="ru">');
    expect(russian).toContain('<title>Запрос на оплату отклонён · Kassa</title>');
    expect(russian).toContain('<p id="reason" data-field="ik_sign">Подпись запроса на оплату (ik_sign) неверна.</p>');
    expect(russian).toContain('expected &lt;b&gt;md5&lt;/b&gt; &quot;x&quot;');
    expect(russian).toContain('<link rel="stylesheet" href="/assets/sci-pages.css" />');
    for (const page of [russian, sciRefusalPage(refusal, 'en')]) {
      expect(page).not.toMatch(/<style|style=|<script(?![^>]*src=)| on\w+=/i);
    }
    const hostile = sciRefusalPage(new SciRefusal('field_missing', '"><script>alert(1)</script>', 'x'), 'en');
    expect(hostile).not.toContain('<script>alert(1)</script>');
    expect(hostile).toContain('data-field="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });

  it('every refusal reason has its sentence in every language, naming the field', () => {
    const reasons: SciRefusalReason[] = [
      'field_missing',
      'field_invalid',
      'sign_missing',
      'sign_invalid',
      'checkout_unknown',
      'sci_disabled',
      'currency_unsupported',
      'amount_invalid',
      'order_exists',
      'method_unavailable',
      'checkout_not_verified',
      'body_invalid',
    ];
    for (const language of ['en', 'ru'])
      for (const reason of reasons) {
        const page = sciRefusalPage(new SciRefusal(reason, 'ik_zz_field', 'detail'), language);
        expect(/<p id="reason"[^>]*>([^<]*)<\/p>/.exec(page)![1]).toContain('ik_zz_field');
        expect(page).not.toContain(`sci.reasons.${reason}`);
      }
  });

  it('the ways to pay show what the buyer pays in the language’s money format, names escaped', () => {
    const quotes = [quote('sandbox_card', 'Card <b>', 123450n), quote('sandbox_wallet', 'Wallet', 100n)];
    const english = sciPaywaysPage(quotes, 'RUB', 'en', false).replace(/[\u00a0\u202f]/g, ' ');
    expect(english).toContain('<h1>Ways to pay</h1>');
    expect(english).toContain(
      '<li data-method="sandbox_card"><span class="sci-method">Card &lt;b&gt;</span> <span class="sci-price">you pay <span class="price">RUB 1,234.50</span></span></li>',
    );
    const russian = sciPaywaysPage(quotes.slice(1), 'RUB', 'ru', true).replace(/[\u00a0\u202f]/g, ' ');
    expect(russian).toContain('<h1>Способ оплаты</h1>');
    expect(russian).toContain('к оплате <span class="price">1,00 ₽</span>');
    expect(sciPaywaysPage([], 'RUB', 'ru', false)).toContain('Для этой суммы нет доступных способов оплаты.');
  });
});
