import { type ApiHarness, checkoutBody, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
}, 60_000);
afterAll(() => harness.close());

describe('a checkout’s type', () => {
  it('is answered as created, changes on PATCH, and is a website when not given', async () => {
    const { testKey: key, testCheckout } = await harness.merchant();
    expect(testCheckout.type).toBe('website');

    const created = await harness.call(key, 'post', '/v1/checkouts', checkoutBody({ type: 'mobile_app' }));
    expect(created.status).toBe(201);
    expect(created.body.type).toBe('mobile_app');
    const read = await harness.call(key, 'get', `/v1/checkouts/${created.body.id}`);
    expect(read.body.type).toBe('mobile_app');

    const patched = await harness.call(key, 'patch', `/v1/checkouts/${created.body.id}`, { type: 'other' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ type: 'other', name: 'My shop' });
    const untouched = await harness.call(key, 'patch', `/v1/checkouts/${created.body.id}`, { name: 'Renamed' });
    expect(untouched.body).toMatchObject({ type: 'other', name: 'Renamed' });
  });

  it.each([
    ['post', 'kiosk'],
    ['patch', 'kiosk'],
    ['patch', null],
    ['post', 'WEBSITE'],
  ])('refuses on %s an unknown type %j, naming type', async (method, type) => {
    const { testKey: key, testCheckout } = await harness.merchant();
    const refused =
      method === 'post'
        ? await harness.call(key, 'post', '/v1/checkouts', checkoutBody({ type }))
        : await harness.call(key, 'patch', `/v1/checkouts/${testCheckout.id}`, { type });
    expect(refused.status).toBe(400);
    expect(refused.body.error.param).toBe('type');
  });

  it('is a website for a row stored without one, and the database refuses any other value', async () => {
    const { testCheckout } = await harness.merchant();
    const { rows } = await harness.db.query<{ column_default: string }>(
      "select column_default from information_schema.columns where table_name = 'checkouts' and column_name = 'type'",
    );
    expect(rows[0]?.column_default).toBe("'website'::text");
    await expect(
      harness.db.query("update checkouts set type = 'kiosk' where id = $1", [testCheckout.id]),
    ).rejects.toThrow(/checkouts_type_check/);
  });
});
