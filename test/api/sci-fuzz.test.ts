import fc from 'fast-check';
import request from 'supertest';
import { type SciFields, sciSign } from '../../src/domain/sci-signature';
import { type ApiHarness, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
let shop: { ref: string; secretKey: string; checkoutId: string };
beforeAll(async () => {
  harness = await startApiHarness();
  const merchant = await harness.merchant();
  const patched = await harness.call(merchant.testKey, 'patch', `/v1/checkouts/${merchant.testCheckout.id}`, {
    sci: { url_override: true },
  });
  shop = {
    ref: patched.body.sci.checkout_ref,
    secretKey: patched.body.sci.secret_key,
    checkoutId: merchant.testCheckout.id,
  };
}, 60_000);
afterAll(() => harness.close());

const runs = Math.min(Number(process.env.FUZZ_RUNS ?? 300), 300);

const fieldNames = [
  'ik_co_id',
  'ik_pm_no',
  'ik_am',
  'ik_cur',
  'ik_desc',
  'ik_exp',
  'ik_ltm',
  'ik_loc',
  'ik_cli',
  'ik_act',
  'ik_int',
  'ik_pw_via',
  'ik_pw_on',
  'ik_pw_off',
  'ik_suc_u',
  'ik_suc_m',
  'ik_ia_u',
  'ik_x_note',
  'ik_payway_fields[a][b]',
  'ik_x_list[]',
];
const oddText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('50', '50.5', '0', '-1', '1e3', '50,00', 'RUB', 'JPY', 'json', 'payways', 'payway', 'ru'),
  fc.constantFrom('test_interkassa_test_xts', 'sandbox_card', 'https://shop.example/ok', 'https://127.0.0.1/x'),
  fc.constantFrom('2026-12-31 23:59:59', '1999999999', 'a\u0000b', '4111 1111 1111 1111', '[', ']', '%'),
);
const name = fc.oneof(fc.constantFrom(...fieldNames), fc.string({ maxLength: 12 }));

/** A signed valid form with random fields changed, added or set to odd values, then signed again (or not). */
const forms = fc.record({
  changes: fc.array(fc.tuple(name, oddText), { maxLength: 6 }),
  resign: fc.boolean(),
  encoding: fc.constantFrom('urlencoded', 'multipart', 'query'),
});

test('any SCI form is answered without a 5xx: a payment, a page, or a refusal naming a field', async () => {
  await fc.assert(
    fc.asyncProperty(forms, async ({ changes, resign, encoding }) => {
      const pairs: [string, string][] = [
        ['ik_co_id', shop.ref],
        ['ik_pm_no', `F-${Math.random().toString(36).slice(2)}`],
        ['ik_am', '10.00'],
        ['ik_cur', 'RUB'],
        ['ik_desc', 'Fuzz'],
        ['ik_int', 'json'],
        ...changes,
      ];
      if (resign) {
        const flat = Object.fromEntries(pairs.filter(([key]) => !key.includes('['))) as SciFields;
        pairs.push(['ik_sign', sciSign(flat, shop.secretKey, 'md5')]);
      }
      let answer: request.Response;
      if (encoding === 'query') answer = await request(harness.app).get(`/sci?${new URLSearchParams(pairs)}`);
      else if (encoding === 'urlencoded') {
        answer = await request(harness.app).post('/sci/').type('form').send(new URLSearchParams(pairs).toString());
      } else {
        let test = request(harness.app).post('/sci');
        for (const [key, value] of pairs) test = test.field(key === '' ? '_' : key, value);
        answer = await test;
      }
      expect([200, 303, 400, 413]).toContain(answer.status);
      if (answer.status === 400 && answer.type === 'application/json') {
        expect(answer.body.resultCode).not.toBe('0');
        expect(answer.body.resultMsg).toContain(answer.body.resultData.field);
      }
    }),
    { numRuns: runs },
  );
}, 120_000);
