import { CallbackVerificationError, ProviderError, type CallbackRequest } from '../../src/providers/types';
import { webmoneyAdapter, webmoneyReply } from '../../src/providers/webmoney';
import {
  formSeal,
  fromWebMoneyAmount,
  nextReqn,
  notificationHash,
  parseX14Answer,
  parseX18Answer,
  paymentFormFields,
  purseCurrency,
  toPaymentStatus,
  toWebMoneyAmount,
  transDateToIso,
  x14Request,
  x18Request,
} from '../../src/providers/webmoney/mapper';
import { verifyWebMoneyCallback } from '../../src/providers/webmoney/webhook';
import { supportedCurrencies, currencyExponent } from '../../src/domain/money';

const secretKey = 'webmoney_test_secret';
const purse = 'P100000000001';
const account = { purse, secretKey, hashMethod: 'sha256' as const, testMode: true };

const notification: Record<string, string> = {
  LMI_PAYEE_PURSE: purse,
  LMI_PAYMENT_AMOUNT: '50.00',
  LMI_PAYMENT_NO: '42',
  LMI_MODE: '1',
  LMI_SYS_INVS_NO: '700000001',
  LMI_SYS_TRANS_NO: '1900000001',
  LMI_SYS_TRANS_DATE: '20261130 17:00:00',
  LMI_PAYER_PURSE: 'P123456789012',
  LMI_PAYER_WM: '310000000001',
  LMI_PAYMENT_DESC: 'Tea',
};

const post = (fields: Record<string, string>): CallbackRequest => ({
  rawBody: Buffer.from(new URLSearchParams(fields).toString()),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  query: {},
  method: 'POST',
  remoteAddress: '127.0.0.1',
  now: new Date('2026-11-30T14:00:00Z'),
});

const sealed = (fields: Record<string, string>, paymentId = 'pay_abc', amount = '50.00'): Record<string, string> => ({
  ...fields,
  KASSA_PAYMENT_ID: paymentId,
  KASSA_AMOUNT: amount,
  KASSA_SIGN: formSeal(secretKey, purse, fields.LMI_PAYMENT_NO!, amount, paymentId),
});

describe('LMI_HASH and the X18 request (vectors computed apart, with Python hashlib)', () => {
  test('SHA-256 and MD5 over the ten fields in WebMoney’s order, upper-case hex', () => {
    expect(notificationHash(notification, secretKey, 'sha256')).toBe(
      'BD4A0D384DC1972CE8FB16CF2122CAAF91D115989100FD2A02BFE859CD9D32B8',
    );
    expect(notificationHash(notification, secretKey, 'md5')).toBe('47E12E794A099C4322E7BFE970BBA432');
  });

  test('the X18 request authenticates with the hash of wmid, purse, payment number and secret key', () => {
    expect(x18Request({ wmid: '123456789012', purse, secretKey, hashMethod: 'sha256' }, '42')).toBe(
      '<merchant.request><wmid>123456789012</wmid><lmi_payee_purse>P100000000001</lmi_payee_purse>' +
        '<lmi_payment_no>42</lmi_payment_no>' +
        '<sha256>178b81ed6169b3b5d335580598a3734a94ac70a07eab632a3ba626fb21a9e38a</sha256></merchant.request>',
    );
  });

  test('Kassa’s seal is an HMAC-SHA256 of purse, number, amount and payment id', () => {
    expect(formSeal(secretKey, purse, '42', '50.00', 'pay_abc')).toBe(
      '9e4c5aee6b16809c72db02946ccf28f511ef2630f62360546f8f9efa14b24bc8',
    );
  });
});

describe('amounts and purses', () => {
  test('every two-decimal currency Kassa accepts goes out and back; other exponents are refused as definite', () => {
    for (const currency of supportedCurrencies) {
      if (currencyExponent(currency) === 2) {
        for (const minor of ['1', '99', '100', '5000', '123456789']) {
          expect(fromWebMoneyAmount(toWebMoneyAmount(minor, currency), currency)).toBe(minor);
        }
      } else {
        expect(() => toWebMoneyAmount('500', currency)).toThrow(ProviderError);
      }
    }
    expect(toWebMoneyAmount('5005', 'RUB')).toBe('50.05');
    expect(fromWebMoneyAmount('50.5', 'RUB')).toBe('5050');
    expect(fromWebMoneyAmount('50', 'RUB')).toBe('5000');
    expect(fromWebMoneyAmount('50.005', 'RUB')).toBeNull();
    expect(fromWebMoneyAmount('-1', 'RUB')).toBeNull();
  });

  test('a purse’s letter is its currency', () => {
    expect(purseCurrency('Z100000000001')).toBe('USD');
    expect(purseCurrency('E100000000001')).toBe('EUR');
    expect(purseCurrency('P100000000001')).toBe('RUB');
    expect(purseCurrency('X100000000001')).toBeNull();
    expect(purseCurrency('P1')).toBeNull();
  });

  test('the form refuses another currency than the purse’s, and a payment number WebMoney cannot take, as definite', () => {
    const input = {
      reference: '42',
      paymentId: 'pay_abc',
      amountMinor: '5000',
      currency: 'RUB',
      description: 'Чай',
      returnUrl: 'https://kassa.example/pay/pay_abc/return',
      callbackUrl: 'https://kassa.example/callbacks/webmoney/conn_1',
    };
    const fields = paymentFormFields(input, { purse, secretKey, testMode: true });
    expect(fields).toMatchObject({
      LMI_PAYEE_PURSE: purse,
      LMI_PAYMENT_AMOUNT: '50.00',
      LMI_PAYMENT_NO: '42',
      LMI_SIM_MODE: '0',
      LMI_RESULT_URL: input.callbackUrl,
      LMI_FAIL_URL: input.callbackUrl,
      LMI_SUCCESS_URL: input.returnUrl,
      KASSA_SIGN: formSeal(secretKey, purse, '42', '50.00', 'pay_abc'),
    });
    expect(Buffer.from(fields.LMI_PAYMENT_DESC_BASE64!, 'base64').toString('utf8')).toBe('Чай');
    expect(paymentFormFields(input, { purse, secretKey, testMode: false })).not.toHaveProperty('LMI_SIM_MODE');
    expect(() => paymentFormFields({ ...input, currency: 'USD' }, { purse, secretKey, testMode: true })).toThrow(
      expect.objectContaining({ kind: 'definite', code: 'currency_not_supported' }),
    );
    expect(() =>
      paymentFormFields({ ...input, reference: '2147483648' }, { purse, secretKey, testMode: true }),
    ).toThrow(expect.objectContaining({ kind: 'definite' }));
  });

  test('LMI_SYS_TRANS_DATE is Moscow time', () => {
    expect(transDateToIso('20261130 17:00:00')).toBe('2026-11-30T14:00:00.000Z');
    expect(transDateToIso('2026-11-30')).toBeNull();
  });
});

describe('the result URL', () => {
  test('a notification with the right hash and seal is a payment made; its event id is the WebMoney transaction', () => {
    const fields = sealed({ ...notification, LMI_HASH: notificationHash(notification, secretKey, 'sha256') });
    expect(verifyWebMoneyCallback(account, post(fields))).toEqual({
      kind: 'payment',
      callback: {
        eventId: `wm_${purse}_1900000001`,
        providerPaymentId: '42',
        paymentId: 'pay_abc',
        state: 'succeeded',
        amountMinor: '5000',
        currency: 'RUB',
        occurredAt: '2026-11-30T14:00:00.000Z',
      },
    });
  });

  test('a wrong, other-method or missing hash, a changed amount, a foreign purse, a seal that does not hold are refused', () => {
    const good = sealed({ ...notification, LMI_HASH: notificationHash(notification, secretKey, 'sha256') });
    const refused = (fields: Record<string, string>) =>
      expect(() => verifyWebMoneyCallback(account, post(fields))).toThrow(CallbackVerificationError);
    refused({ ...good, LMI_PAYMENT_AMOUNT: '500.00' });
    refused({ ...good, LMI_HASH: notificationHash(notification, 'another_secret', 'sha256') });
    refused({ ...good, LMI_HASH: notificationHash(notification, secretKey, 'md5') });
    refused({ ...good, LMI_HASH: '' });
    refused({ ...good, LMI_PAYEE_PURSE: 'P100000000002' });
    refused({ ...good, KASSA_PAYMENT_ID: 'pay_other' });
    // A lower-case hash of the right value is the same hash.
    expect(verifyWebMoneyCallback(account, post({ ...good, LMI_HASH: good.LMI_HASH!.toLowerCase() })).kind).toBe(
      'payment',
    );
  });

  test('a test payment at a live connector, or a live one at a test connector, is refused', () => {
    const live = { ...notification, LMI_MODE: '0' };
    const liveFields = sealed({ ...live, LMI_HASH: notificationHash(live, secretKey, 'sha256') });
    expect(() => verifyWebMoneyCallback(account, post(liveFields))).toThrow(CallbackVerificationError);
    const testFields = sealed({ ...notification, LMI_HASH: notificationHash(notification, secretKey, 'sha256') });
    expect(() => verifyWebMoneyCallback({ ...account, testMode: false }, post(testFields))).toThrow(
      CallbackVerificationError,
    );
    expect(verifyWebMoneyCallback({ ...account, testMode: false }, post(liveFields)).kind).toBe('payment');
  });

  test('MD5 connectors check MD5 hashes', () => {
    const md5 = { ...account, hashMethod: 'md5' as const };
    const fields = sealed({ ...notification, LMI_HASH: notificationHash(notification, secretKey, 'md5') });
    expect(verifyWebMoneyCallback(md5, post(fields)).kind).toBe('payment');
    const sha = sealed({ ...notification, LMI_HASH: notificationHash(notification, secretKey, 'sha256') });
    expect(() => verifyWebMoneyCallback(md5, post(sha))).toThrow(CallbackVerificationError);
  });

  test('a WebMoney payment without Kassa’s fields is verified and ignored', () => {
    const fields = { ...notification, LMI_HASH: notificationHash(notification, secretKey, 'sha256') };
    expect(verifyWebMoneyCallback(account, post(fields)).kind).toBe('ignored');
  });

  test('the pre-request: YES only when purse, mode, order and amount all hold, a reason otherwise', () => {
    const pre = sealed({
      LMI_PREREQUEST: '1',
      LMI_PAYEE_PURSE: purse,
      LMI_PAYMENT_AMOUNT: '50.00',
      LMI_PAYMENT_NO: '42',
      LMI_MODE: '1',
    });
    const reply = (fields: Record<string, string>) => {
      const translated = verifyWebMoneyCallback(account, post(fields));
      expect(translated.kind).toBe('check');
      return webmoneyReply('accepted', translated as { kind: 'check'; reply: string });
    };
    expect(reply(pre)).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'YES' });
    expect(reply({ ...pre, LMI_PAYMENT_AMOUNT: '5.00' }).body).toBe('NO: wrong amount');
    expect(reply({ ...pre, LMI_PAYMENT_NO: '43' }).body).toBe('NO: unknown order');
    expect(reply({ ...pre, KASSA_AMOUNT: '5.00', LMI_PAYMENT_AMOUNT: '5.00' }).body).toBe('NO: unknown order');
    expect(reply({ ...pre, LMI_MODE: '0' }).body).toBe('NO: wrong mode');
    expect(() => verifyWebMoneyCallback(account, post({ ...pre, LMI_PAYEE_PURSE: 'Z100000000001' }))).toThrow(
      CallbackVerificationError,
    );
  });

  test('the answers: a refused call is 403 with a reason, a notification 200 with an empty body', () => {
    expect(webmoneyReply('rejected', null)).toEqual({
      status: 403,
      contentType: 'text/plain; charset=utf-8',
      body: 'NO: not verified',
    });
    expect(webmoneyReply('duplicate', null)).toEqual({
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: '',
    });
  });
});

describe('X18', () => {
  const found =
    '<?xml version="1.0"?><merchant.response><operation wmtransid="1900000001" wminvoiceid="700000001">' +
    '<amount>50.00</amount><operdate>20261130 17:00:00</operdate><purpose>Tea</purpose>' +
    '<pursefrom>P123456789012</pursefrom><wmidfrom>310000000001</wmidfrom></operation>' +
    '<retval>0</retval><retdesc></retdesc></merchant.response>';
  const notFound =
    '<?xml version="1.0"?><merchant.response><retval>7</retval>' +
    '<retdesc>Payment with lmi_payment_no number not found for this merchant purse:7 step=50</retdesc></merchant.response>';

  test('a payment found is succeeded with its amount; none found is null; an error is definite', () => {
    expect(toPaymentStatus(parseX18Answer(found)!, '42', 'RUB')).toEqual({
      providerPaymentId: '42',
      state: 'succeeded',
      amountMinor: '5000',
      currency: 'RUB',
    });
    expect(toPaymentStatus(parseX18Answer(notFound)!, '42', 'RUB')).toBeNull();
    const failed = parseX18Answer(
      '<merchant.response><retval>-4</retval><retdesc>bad sign</retdesc></merchant.response>',
    )!;
    expect(() => toPaymentStatus(failed, '42', 'RUB')).toThrow(
      expect.objectContaining({ kind: 'definite', code: 'x18_-4' }),
    );
    expect(parseX18Answer('<html>busy</html>')).toBeNull();
  });
});

describe('the adapter', () => {
  test('credentials: a WMID, a purse of a currency Kassa takes, the secret key masked', () => {
    const parsed = webmoneyAdapter.credentials.safeParse({ wmid: '123456789012', purse, secret_key: secretKey });
    expect(parsed.success && parsed.data).toMatchObject({
      merchant_url: 'https://merchant.webmoney.ru',
      hash_method: 'sha256',
    });
    const bad = webmoneyAdapter.credentials.safeParse({ wmid: '1', purse: 'X100000000001', secret_key: secretKey });
    expect(bad.success ? [] : bad.error.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['purse', 'wmid']);
    expect(webmoneyAdapter.secretFields).toEqual(['secret_key', 'x14_client_cert', 'x14_client_key']);
    expect(webmoneyAdapter.referenceFormat).toBe('numeric');
  });
});

describe('X14', () => {
  test('reqn: tenths of milliseconds since 2020 in at most 15 digits, always greater than the one before', () => {
    const at = Date.parse('2026-11-30T14:00:00.000Z');
    const first = nextReqn(at, 0n);
    expect(first).toBe((BigInt(at) - 1_577_836_800_000n) * 10n);
    expect(first.toString().length).toBeLessThanOrEqual(15);
    expect(nextReqn(at, first)).toBe(first + 1n);
    expect(nextReqn(at - 60_000, first)).toBe(first + 1n);
    expect(nextReqn(at + 1, first)).toBe(first + 10n);
    expect(nextReqn(Date.parse('+005100-01-01T00:00:00Z'), 0n).toString().length).toBe(15);
    expect(() => nextReqn(Date.parse('+005200-01-01T00:00:00Z'), 0n)).toThrow(
      expect.objectContaining({ kind: 'definite', code: 'reqn_exhausted' }),
    );
  });

  test('the request names the transaction and the amount, and carries neither wmid nor sign (X.509 authorization)', () => {
    expect(x14Request(123n, '1900000001', '10.00')).toBe(
      '<w3s.request><reqn>123</reqn><trans><inwmtranid>1900000001</inwmtranid><amount>10.00</amount></trans></w3s.request>',
    );
  });

  test('the answer: retval, retdesc and the refund operation; anything else is not an answer', () => {
    expect(
      parseX14Answer(
        '<?xml version="1.0"?><w3s.response><reqn>123</reqn><retval>0</retval><retdesc></retdesc>' +
          '<operation id="1900000007" ts="1900000007"><inwmtranid>1900000001</inwmtranid><pursesrc>P100000000001</pursesrc>' +
          '<pursedest>P123456789012</pursedest><amount>10.00</amount><comiss>0.00</comiss></operation></w3s.response>',
      ),
    ).toEqual({ retval: '0', retdesc: '', operation: { id: '1900000007', amount: '10.00' } });
    expect(
      parseX14Answer('<w3s.response><reqn>1</reqn><retval>18</retval><retdesc>no</retdesc></w3s.response>'),
    ).toEqual({ retval: '18', retdesc: 'no', operation: null });
    expect(parseX14Answer('<merchant.response><retval>0</retval></merchant.response>')).toBeNull();
    expect(parseX14Answer('<html>busy</html>')).toBeNull();
  });

  const base = { wmid: '123456789012', purse, secret_key: secretKey };
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const key = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n';
  const context = { connectorId: 'con_1', mode: 'test' as const, publicUrl: 'http://kassa.test' };

  test('credentials: the certificate and key are PEM; with both the connector refunds, without either it cannot', () => {
    const parsed = webmoneyAdapter.credentials.parse({ ...base, x14_client_cert: cert, x14_client_key: key });
    expect(parsed.x14_url).toBe('https://w3s.wmtransfer.com');
    const refunding = webmoneyAdapter.connect(parsed, context);
    expect([...refunding.capabilities]).toContain('refund');
    expect(typeof refunding.refundPayment).toBe('function');

    const plain = webmoneyAdapter.connect(
      webmoneyAdapter.credentials.parse({ ...base, x14_client_cert: cert }),
      context,
    );
    expect([...plain.capabilities]).not.toContain('refund');
    expect(plain.refundPayment).toBeUndefined();

    const bad = webmoneyAdapter.credentials.safeParse({ ...base, x14_client_cert: key, x14_client_key: 'secret' });
    expect(bad.success ? [] : bad.error.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'x14_client_cert',
      'x14_client_key',
    ]);
  });

  test('X14 is only spoken over TLS', () => {
    const parsed = webmoneyAdapter.credentials.parse({
      ...base,
      x14_url: 'http://127.0.0.1:1',
      x14_client_cert: cert,
      x14_client_key: key,
    });
    expect(() => webmoneyAdapter.connect(parsed, context)).toThrow(expect.objectContaining({ code: 'x14_not_https' }));
  });
});
