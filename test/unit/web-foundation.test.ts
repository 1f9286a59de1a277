import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { html } from '../../src/api/web/html';
import { availableLocales, chooseLocale, loadCatalogs, translator } from '../../src/i18n';

describe('the html template', () => {
  it('escapes every value and keeps nested fragments as markup', () => {
    const name = `<script>alert("x")</script> & 'co'`;
    const page = html`<p title="${name}">${name}</p>${html`<b>${'<i>'}</b>`}`;
    expect(page.markup).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p><b>&lt;i&gt;</b>',
    );
  });

  it('renders lists, numbers and bigints, and nothing for null, undefined and false', () => {
    const items = ['a<', 'b'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${3}${10n}`.markup).toBe(
      '<ul><li>a&lt;</li><li>b</li></ul>310',
    );
  });
});

describe('languages', () => {
  it('speaks English and Russian, each with every English key', () => {
    expect(availableLocales).toEqual(expect.arrayContaining(['en', 'ru']));
    const catalogs = loadCatalogs(path.join(__dirname, '../../src/i18n/locales'));
    const english = [...catalogs.get('en')!.keys()].sort();
    for (const [code, catalog] of catalogs) {
      expect({ code, missing: english.filter((key) => !catalog.has(key)) }).toEqual({ code, missing: [] });
    }
  });

  it('chooses an explicit language first, then Accept-Language by weight, then the checkout default', () => {
    expect(chooseLocale({ explicit: [null, 'RU'], acceptLanguage: 'en' })).toBe('ru');
    expect(chooseLocale({ explicit: ['de'], acceptLanguage: 'de;q=1, ru;q=0.8, en;q=0.9' })).toBe('en');
    expect(chooseLocale({ acceptLanguage: 'de, fr', fallback: 'ru' })).toBe('ru');
    expect(chooseLocale({ acceptLanguage: 'ru;q=0, de' })).toBe('en');
  });

  it('formats amounts exactly for the locale and fills placeholders and plural forms', () => {
    expect(translator('ru').money(123456789012345678n, 'RUB').replace(/\s/g, ' ')).toBe('1 234 567 890 123 456,78 ₽');
    expect(translator('en').money(123456n, 'RUB').replace(/\s/g, ' ')).toBe('RUB 1,234.56');
    expect(translator('en').money(1250n, 'KWD').replace(/\s/g, ' ')).toBe('KWD 1.250');
    expect(translator('xx').locale).toBe('en');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalogs-'));
    fs.mkdirSync(path.join(dir, 'en'));
    fs.writeFileSync(
      path.join(dir, 'en', 'a.json'),
      JSON.stringify({ n: { one: '{count} item', other: '{count} items' } }),
    );
    expect([...loadCatalogs(dir).get('en')!.keys()]).toEqual(['a.n']);
    fs.rmSync(dir, { recursive: true });
    expect(translator('ru').t('common.testMode')).toBe('Тестовый режим');
    expect(translator('ru').t('common.missing.key')).toBe('common.missing.key');
  });
});
