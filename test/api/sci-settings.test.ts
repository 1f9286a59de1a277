import { resealSecrets } from '../../src/db/secret-rotation';
import { sciKeysFor } from '../../src/db/checkouts';
import { decryptSecret, notificationsKey } from '../../src/notifications/secrets';
import { type ApiHarness, checkoutBody, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
}, 60_000);
afterAll(() => harness.close());

const keyPattern = /^[0-9A-Za-z]{16,64}$/;
const maskedPattern = /^\*{8}[0-9A-Za-z]{4}$/;

async function merchantKey() {
  const merchant = await harness.merchant();
  return { key: merchant.testKey, checkout: merchant.testCheckout };
}

describe('a checkout’s SCI settings', () => {
  it('takes its defaults when the block is given, answers the keys in full once, then masked', async () => {
    const { key } = await merchantKey();
    const created = await harness.call(key, 'post', '/v1/checkouts', checkoutBody({ sci: {} }));
    expect(created.status).toBe(201);
    const sci = created.body.sci;
    expect(sci).toMatchObject({
      enabled: true,
      sign_algorithm: 'md5',
      sign_required: true,
      url_override: false,
      unique_order: true,
      interaction_url: null,
      interaction_method: 'POST',
      lifetime: 2592000,
    });
    expect(sci.checkout_ref).toMatch(/^[0-9a-f]{24}$/);
    expect(sci.secret_key).toMatch(keyPattern);
    expect(sci.test_key).toMatch(keyPattern);
    expect(sci.secret_key).not.toBe(sci.test_key);
    expect(created.body.late_success).toBe('hold');

    const read = await harness.call(key, 'get', `/v1/checkouts/${created.body.id}`);
    expect(read.body.sci.checkout_ref).toBe(sci.checkout_ref);
    expect(read.body.sci.secret_key).toBe(`********${sci.secret_key.slice(-4)}`);
    expect(read.body.sci.test_key).toBe(`********${sci.test_key.slice(-4)}`);

    // keys at rest are sealed, never in clear
    const { rows } = await harness.db.query(
      'select sci_secret_key, sci_test_key, sci_checkout_ref from checkouts where id = $1',
      [created.body.id],
    );
    expect(rows[0].sci_secret_key).toMatch(/^v1\./);
    expect(JSON.stringify(rows[0])).not.toContain(sci.secret_key);
    expect(await sciKeysFor(harness.db, created.body.id)).toEqual({
      secretKey: sci.secret_key,
      testKey: sci.test_key,
    });
  });

  it('is null on a checkout without the block, and a first PATCH sets it up with its keys in full', async () => {
    const { key, checkout } = await merchantKey();
    expect(checkout.sci).toBeNull();
    const patched = await harness.call(key, 'patch', `/v1/checkouts/${checkout.id}`, {
      sci: { sign_algorithm: 'sha256', interaction_url: 'https://shop.example/ik', lifetime: 600 },
      late_success: 'refund',
    });
    expect(patched.status).toBe(200);
    expect(patched.body.late_success).toBe('refund');
    expect(patched.body.sci).toMatchObject({
      enabled: true,
      sign_algorithm: 'sha256',
      interaction_url: 'https://shop.example/ik',
      lifetime: 600,
    });
    expect(patched.body.sci.secret_key).toMatch(keyPattern);

    // a later PATCH changes only what it gives and keeps ref and keys, masked
    const again = await harness.call(key, 'patch', `/v1/checkouts/${checkout.id}`, {
      sci: { enabled: false, interaction_method: 'GET' },
    });
    expect(again.body.sci).toMatchObject({
      enabled: false,
      sign_algorithm: 'sha256',
      interaction_method: 'GET',
      lifetime: 600,
      checkout_ref: patched.body.sci.checkout_ref,
    });
    expect(again.body.sci.secret_key).toMatch(maskedPattern);
    expect(again.body.sci.secret_key.slice(-4)).toBe(patched.body.sci.secret_key.slice(-4));
  });

  it('rotates both keys, answering them once; the old ones no longer open', async () => {
    const { key } = await merchantKey();
    const created = await harness.call(key, 'post', '/v1/checkouts', checkoutBody({ sci: {} }));
    const rotated = await harness.call(key, 'post', `/v1/checkouts/${created.body.id}/sci/rotate_keys`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.sci.secret_key).toMatch(keyPattern);
    expect(rotated.body.sci.secret_key).not.toBe(created.body.sci.secret_key);
    expect(rotated.body.sci.test_key).not.toBe(created.body.sci.test_key);
    expect(rotated.body.sci.checkout_ref).toBe(created.body.sci.checkout_ref);
    expect(rotated.body).not.toHaveProperty('webhook_secret');
    expect((await sciKeysFor(harness.db, created.body.id))?.secretKey).toBe(rotated.body.sci.secret_key);
  });

  it('refuses rotation on a checkout without SCI, and another merchant’s checkout is not found', async () => {
    const { key, checkout } = await merchantKey();
    const refused = await harness.call(key, 'post', `/v1/checkouts/${checkout.id}/sci/rotate_keys`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('sci_not_configured');
    const other = await merchantKey();
    expect((await harness.call(other.key, 'post', `/v1/checkouts/${checkout.id}/sci/rotate_keys`)).status).toBe(404);
  });

  it.each([
    [{ sign_algorithm: 'sha1' }, 'sci.sign_algorithm'],
    [{ lifetime: 59 }, 'sci.lifetime'],
    [{ lifetime: 2592001 }, 'sci.lifetime'],
    [{ interaction_method: 'PUT' }, 'sci.interaction_method'],
    [{ interaction_url: 'ftp://shop.example/ik' }, 'sci.interaction_url'],
    [{ interaction_url: 'https://user:pw@shop.example/ik' }, 'sci.interaction_url'],
    [{ unique_order: 'yes' }, 'sci.unique_order'],
    [{ secret_key: 'mine' }, 'sci.secret_key'],
  ])('refuses %j naming %s', async (sci, param) => {
    const { key, checkout } = await merchantKey();
    const refused = await harness.call(key, 'patch', `/v1/checkouts/${checkout.id}`, { sci });
    expect(refused.status).toBe(400);
    expect(refused.body.error.param).toBe(param);
  });

  it('refuses a late_success other than refund or hold', async () => {
    const { key } = await merchantKey();
    const refused = await harness.call(key, 'post', '/v1/checkouts', checkoutBody({ late_success: 'keep' }));
    expect(refused.status).toBe(400);
    expect(refused.body.error.param).toBe('late_success');
  });

  it('seals the SCI keys again after a notifications key rotation', async () => {
    const { key } = await merchantKey();
    const created = await harness.call(key, 'post', '/v1/checkouts', checkoutBody({ sci: {} }));
    const oldKey = notificationsKey(harness.config);
    const newKey = Buffer.alloc(32, 7);
    const before = await harness.db.query('select sci_secret_key from checkouts where id = $1', [created.body.id]);
    const counted = await resealSecrets(harness.db, newKey, [oldKey]);
    expect(counted.checkouts).toBeGreaterThan(0);
    const after = await harness.db.query('select sci_secret_key, sci_test_key from checkouts where id = $1', [
      created.body.id,
    ]);
    expect(after.rows[0].sci_secret_key).not.toBe(before.rows[0].sci_secret_key);
    expect(decryptSecret(newKey, after.rows[0].sci_secret_key, `${created.body.id}/sci_secret_key`)).toBe(
      created.body.sci.secret_key,
    );
    expect(decryptSecret(newKey, after.rows[0].sci_test_key, `${created.body.id}/sci_test_key`)).toBe(
      created.body.sci.test_key,
    );
  });
});
