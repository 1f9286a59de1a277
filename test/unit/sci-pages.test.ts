import { paymentFormJson, sciLanguage } from '../../src/api/sci-pages';

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
});
