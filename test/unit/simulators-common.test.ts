import Stripe from 'stripe';
import { selectSimulators, type SimulatorEntry } from '../../scripts/simulators';
import { FaultBook, capturedAmount, faultSchema, faultSequence } from '../../simulators/common/faults';
import { decisionForms, formatAmount, markup } from '../../simulators/common/pages';
import { parseForm } from '../../simulators/stripe/form';
import { stripeEvent, stripeSignature, underFault } from '../../simulators/stripe/webhooks';
import { z } from 'zod';

describe('the simulators’ fault book', () => {
  test('faults for a reference win over those for every payment; the first of several references that has its own counts', () => {
    const book = new FaultBook();
    book.set(undefined, { drop: true });
    book.set('pay_1', { duplicate: 2 });
    book.set('cs_2', { wrong_amount: true });
    expect(book.for('pay_1')).toEqual({ duplicate: 2 });
    expect(book.for('pay_9')).toEqual({ drop: true });
    expect(book.for('cs_2', 'pay_1')).toEqual({ wrong_amount: true });
    expect(book.for('cs_3', 'pay_1')).toEqual({ duplicate: 2 });
    book.clear();
    expect(book.for('pay_1')).toEqual({});
  });

  test('the fault body takes the simulator’s own reference and refuses unknown knobs', () => {
    const schema = faultSchema(z.string().regex(/^pay_/));
    expect(schema.parse({ reference: 'pay_1', delay_ms: 10 })).toEqual({ reference: 'pay_1', delay_ms: 10 });
    expect(schema.safeParse({ reference: 'x' }).success).toBe(false);
    expect(schema.safeParse({ slow: true }).success).toBe(false);
    expect(schema.safeParse({ duplicate: 11 }).success).toBe(false);
  });

  test('wrong_amount captures 100 minor units more, without floats', () => {
    expect(capturedAmount('999999999999999999', { wrong_amount: true })).toBe('1000000000000000099');
    expect(capturedAmount('5000', {})).toBe('5000');
  });

  test('a fault sequence is the final event, its duplicates, then the stale one under reorder', () => {
    expect(faultSequence('final', { duplicate: 2, reorder: true }, () => 'stale')).toEqual([
      'final',
      'final',
      'final',
      'stale',
    ]);
    expect(faultSequence('final', { reorder: true })).toEqual(['final']);
  });
});

describe('the simulators’ pages', () => {
  test('markup escapes what is typed, and the decision forms post to <page>/approve and /decline', () => {
    const html = markup`<p>${'<script>"x"'}</p>${decisionForms('/c/pay/cs_1')}`.text;
    expect(html).toContain('&#60;script&#62;&#34;x&#34;');
    expect(html).toContain('action="/c/pay/cs_1/approve"');
    expect(html).toContain('action="/c/pay/cs_1/decline"');
  });

  test('amounts follow each currency’s minor digits', () => {
    expect(formatAmount('1500', 'USD')).toBe('15.00 USD');
    expect(formatAmount('1500', 'JPY')).toBe('1500 JPY');
    expect(formatAmount('1500', 'KWD')).toBe('1.500 KWD');
    expect(formatAmount('5', 'RUB')).toBe('0.05 RUB');
  });
});

describe('the Stripe simulator’s pieces', () => {
  test('Stripe’s bracketed form encoding is read into objects and lists, and never into prototypes', () => {
    const form = parseForm(
      'line_items[0][price_data][unit_amount]=1500&line_items[0][quantity]=1&metadata[a]=b&expand[]=payment_intent&expand[]=x&__proto__[polluted]=1&constructor[prototype][p]=1',
    );
    expect(form).toEqual({
      line_items: [{ price_data: { unit_amount: '1500' }, quantity: '1' }],
      metadata: { a: 'b' },
      expand: ['payment_intent', 'x'],
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object as unknown as Record<string, unknown>).p).toBeUndefined();
  });

  test('a webhook signed by the simulator verifies with Stripe’s own SDK, and with no other secret', () => {
    const body = JSON.stringify(stripeEvent('checkout.session.completed', { id: 'cs_test_1' }));
    const header = stripeSignature('whsec_abc', body, Math.floor(Date.now() / 1000));
    expect(Stripe.webhooks.constructEvent(body, header, 'whsec_abc')).toMatchObject({
      type: 'checkout.session.completed',
    });
    expect(() => Stripe.webhooks.constructEvent(body, header, 'whsec_other')).toThrow();
  });

  test('under reorder the earlier events come after the final one; duplicates repeat the final one with its id', () => {
    const created = stripeEvent('payment_intent.created', {});
    const completed = stripeEvent('checkout.session.completed', {});
    expect(underFault([created, completed], {}).map((event) => event.type)).toEqual([
      'payment_intent.created',
      'checkout.session.completed',
    ]);
    const sent = underFault([created, completed], { reorder: true, duplicate: 1 });
    expect(sent.map((event) => event.id)).toEqual([completed.id, completed.id, created.id]);
  });
});

describe('KASSA_SIMULATORS', () => {
  const known = [{ name: 'stripe' }, { name: 'webmoney' }] as SimulatorEntry[];

  test('all is every entry, names pick entries, nothing is none', () => {
    expect(selectSimulators('all', known)).toEqual(known);
    expect(selectSimulators(' WebMoney ', known)).toEqual([known[1]]);
    expect(selectSimulators(undefined, known)).toEqual([]);
    expect(selectSimulators('', known)).toEqual([]);
  });

  test('an unknown name is refused, naming the known ones', () => {
    expect(() => selectSimulators('stripe,paypal', known)).toThrow(
      'KASSA_SIMULATORS names paypal: expected all or some of stripe, webmoney',
    );
  });
});
