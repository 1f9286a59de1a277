import { phpFields, SciFieldsError } from '../../src/domain/sci-fields';
import { sciSign, sciSignatureValid, signingString } from '../../src/domain/sci-signature';

const key = 'Kq3LmN8pR2sT5vW9xY1zA4bC';
const checkoutRef = '5f0c3a9be1d24c7a8b6e0f12';

describe('ik_sign', () => {
  it('matches the vectors of the official PHP SDK for md5 and sha256', () => {
    // interkassa/php-sdk tests/SignatureTest.php signs {amount: 20, currency: UAH, description: Test}
    // with the key "secret"; the same values in the same order are ik_am, ik_cur, ik_desc.
    const fields = { ik_am: '20', ik_cur: 'UAH', ik_desc: 'Test' };
    expect(signingString(fields, 'secret')).toBe('20:UAH:Test:secret');
    expect(sciSign(fields, 'secret', 'md5')).toBe('7cI9rBdQPpPTI5LLPa7QDw==');
    expect(sciSign(fields, 'secret', 'sha256')).toBe('seBy/eSLWfKc7Y52JDlHnlWEBZqc9hipLkrQuGLIwHg=');
  });

  // Vectors computed apart from this code, with Python's hashlib over the values written out in
  // their sorted order by hand:
  //   base64.b64encode(hashlib.md5('100.50:5f0c…:RUB:Оплата заказа №42:ru:ORD-42:eu:client-7:<key>'.encode()).digest())
  const cyrillic = {
    ik_co_id: checkoutRef,
    ik_pm_no: 'ORD-42',
    ik_am: '100.50',
    ik_cur: 'RUB',
    ik_desc: 'Оплата заказа №42',
    ik_loc: 'ru',
    ik_x_user: 'client-7',
    ik_x_Zone: 'eu',
    not_signed: 'left out',
  };

  it('signs a Cyrillic description as UTF-8 bytes, ik_x_* fields in byte order (upper case first), md5', () => {
    expect(signingString(cyrillic, key)).toBe(
      `100.50:${checkoutRef}:RUB:Оплата заказа №42:ru:ORD-42:eu:client-7:${key}`,
    );
    expect(sciSign(cyrillic, key, 'md5')).toBe('AqYtRMsN3xbsQbTiIjYJoA==');
    expect(sciSign(cyrillic, key, 'sha256')).toBe('m1okWKKkz4Y0lIxb43znJ83JPEaUGIvMot4eTo9E7+8=');
  });

  it('sorts nested arrays recursively and flattens them in place (sha256)', () => {
    // Python: '50:5f0c…:USD:Test:a@b.c:380:501234567:7:test_interkassa_test_xts:<key>', sha256, base64
    const fields = phpFields([
      ['ik_pw_via', 'test_interkassa_test_xts'],
      ['ik_payway_fields[phone][number]', '501234567'],
      ['ik_payway_fields[phone][code]', '380'],
      ['ik_payway_fields[email]', 'a@b.c'],
      ['ik_pm_no', '7'],
      ['ik_desc', 'Test'],
      ['ik_cur', 'USD'],
      ['ik_co_id', checkoutRef],
      ['ik_am', '50'],
    ]);
    expect(sciSign(fields, key, 'sha256')).toBe('fW6XSK8j0x6ZmFJZGkTieZAeoy9vfNMmrNjh2JpP+XY=');
    expect(sciSign(fields, key, 'md5')).toBe('lFFq0dYyqDRyXwDu7Xq1Ig==');
  });

  it('leaves ik_sign itself out, and accepts only the exact signature in the checkout algorithm', () => {
    const sign = sciSign(cyrillic, key, 'md5');
    expect(sciSign({ ...cyrillic, ik_sign: 'anything' }, key, 'md5')).toBe(sign);
    expect(sciSignatureValid({ ...cyrillic, ik_sign: sign }, key, 'md5')).toBe(true);
    expect(sciSignatureValid({ ...cyrillic, ik_sign: sign }, key, 'sha256')).toBe(false);
    expect(sciSignatureValid({ ...cyrillic, ik_sign: sign }, `${key}x`, 'md5')).toBe(false);
    expect(sciSignatureValid({ ...cyrillic, ik_am: '100.5', ik_sign: sign }, key, 'md5')).toBe(false);
    expect(sciSignatureValid({ ...cyrillic, ik_sign: `${sign} ` }, key, 'md5')).toBe(false);
  });

  it('never takes a missing or empty signature as valid', () => {
    expect(sciSignatureValid(cyrillic, key, 'md5')).toBe(false);
    expect(sciSignatureValid({ ...cyrillic, ik_sign: '' }, key, 'md5')).toBe(false);
  });
});

describe('form fields read as PHP reads them', () => {
  it('nests bracketed names, appends [] with the next integer key, and lets a later field win', () => {
    const fields = phpFields([
      ['ik_am', '1'],
      ['ik_am', '2'],
      ['a[b][c]', 'x'],
      ['a[b][d]', 'y'],
      ['list[]', 'first'],
      ['list[5]', 'five'],
      ['list[]', 'six'],
      ['ik.x.dot', 'dotted'],
    ]);
    expect(fields).toEqual({
      ik_am: '2',
      a: { b: { c: 'x', d: 'y' } },
      list: { 0: 'first', 5: 'five', 6: 'six' },
      ik_x_dot: 'dotted',
    });
  });

  it('keeps a field named __proto__ as a field, not a prototype', () => {
    const fields = phpFields([['__proto__[polluted]', 'yes']]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(fields['__proto__']).toEqual({ polluted: 'yes' });
  });

  it('refuses nesting deeper than four levels, naming the field', () => {
    expect(() => phpFields([['ik_payway_fields[a][b][c][d][e]', 'x']])).toThrow(SciFieldsError);
    expect(phpFields([['ik_payway_fields[a][b][c][d]', 'x']]).ik_payway_fields).toBeDefined();
  });
});
