import type { Request } from 'express';
import { channelInput } from '../../src/api/web/cabinet/channels';
import { destinationText, looksLikeCardNumber } from '../../src/api/web/cabinet/money';
import { csvCell, csvRow } from '../../src/api/web/cabinet/payment-csv';
import { paymentTimeline } from '../../src/api/web/cabinet/payment-detail';
import { filterQuery, parsePaymentFilters } from '../../src/api/web/cabinet/payment-filters';
import { FieldError, refusal } from '../../src/api/web/cabinet/payment-kit';
import { DomainError, notFound } from '../../src/domain/errors';
import type { StoredPayment } from '../../src/domain/payment';
import { translator } from '../../src/i18n';

const request = (query: Record<string, unknown>) => ({ query }) as unknown as Request;

describe('the payments CSV', () => {
  it('keeps a formula-like cell text and quotes what needs quoting', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+7 999')).toBe("'+7 999");
    expect(csvCell('-5')).toBe("'-5");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tTab')).toBe("'\tTab");
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe('');
    expect(csvRow(['50.00', 'RUB', 12n])).toBe('50.00,RUB,12\r\n');
  });
});

describe('the payment list filters', () => {
  it('reads status, a day range with both ends included, order id, currency and an amount range', () => {
    const { search, values } = parsePaymentFilters(
      request({
        status: 'paid',
        created_from: '2026-11-01',
        created_to: '2026-11-30',
        order_id: 'A-1',
        currency: 'RUB',
        amount_min: '10',
        amount_max: '99.99',
        starting_after: 'pay_abc',
      }),
    );
    expect(search).toEqual({
      status: 'paid',
      createdFrom: new Date('2026-11-01T00:00:00Z'),
      createdBefore: new Date('2026-12-01T00:00:00Z'),
      orderId: 'A-1',
      currency: 'RUB',
      amountMin: '10',
      amountMax: '99.99',
      startingAfter: 'pay_abc',
    });
    expect(filterQuery(values, { starting_after: 'pay_x' })).toBe(
      '?status=paid&created_from=2026-11-01&created_to=2026-11-30&order_id=A-1&currency=RUB&amount_min=10&amount_max=99.99&starting_after=pay_x',
    );
    expect(parsePaymentFilters(request({}))).toMatchObject({ search: {}, pageSize: 25 });
    expect(parsePaymentFilters(request({ limit: '100' })).pageSize).toBe(100);
  });

  it.each([
    [{ status: 'stolen' }, 'status'],
    [{ created_from: '2026-02-30' }, 'created_from'],
    [{ created_to: 'yesterday' }, 'created_to'],
    [{ created_from: '2026-11-02', created_to: '2026-11-01' }, 'created_to'],
    [{ currency: 'XXX' }, 'currency'],
    [{ amount_min: '1e5' }, 'amount_min'],
    [{ amount_max: '-1' }, 'amount_max'],
    [{ amount_min: '10.5', amount_max: '10.05' }, 'amount_max'],
    [{ status: ['paid', 'failed'] }, 'status'],
    [{ starting_after: "pay_x' or 1=1" }, 'starting_after'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
  ])('refuses %j naming %s', (query, field) => {
    expect(() => parsePaymentFilters(request(query))).toThrow(
      expect.objectContaining({ name: 'FieldError', field }) as unknown as Error,
    );
  });
});

describe('refusals in the person language', () => {
  it('names the field and says why, in Russian too', () => {
    const ru = translator('ru');
    expect(refusal(ru, new FieldError('amount_min', 'decimal'))).toEqual({
      status: 400,
      field: 'amount_min',
      message: 'Сумма от: введите сумму, например 50.00.',
    });
    expect(refusal(ru, new DomainError('invalid', 'amount_too_large', 'The buyer paid…', 'amount'))?.message).toBe(
      'Сумма: это больше, чем ещё можно вернуть.',
    );
    expect(refusal(translator('en'), notFound('payment', 'id'))?.status).toBe(404);
    expect(refusal(translator('en'), new Error('boom'))).toBeNull();
  });
});

describe('payouts', () => {
  it('never takes a card number and shows a card only by its last four digits', () => {
    expect(looksLikeCardNumber('4111 1111 1111 1111')).toBe(true);
    expect(looksLikeCardNumber('4111-1111-1111-1111')).toBe(true);
    expect(looksLikeCardNumber('tok_4111111111111111')).toBe(false);
    expect(destinationText(translator('en'), { type: 'card', token: 'tok_1', last4: '4242' })).toBe('Card •••• 4242');
    expect(destinationText(translator('ru'), { type: 'wallet', walletId: 'w_1' })).toBe('Кошелёк w_1');
  });
});

describe('channel forms', () => {
  it('are checked by the API schema and named in the service terms', () => {
    expect(
      channelInput('telegram', { chat_id: '-1001', bot_token: '123456:' + 'A'.repeat(30), enabled: true }),
    ).toEqual({
      kind: 'telegram',
      body: { chatId: '-1001', botToken: '123456:' + 'A'.repeat(30), enabled: true },
    });
    expect(() => channelInput('email', { to: ['not an address'], enabled: true })).toThrow(
      expect.objectContaining({ field: 'to' }) as unknown as Error,
    );
    expect(() =>
      channelInput('sms', { to: '+79991234567', url: 'https://sms.example/{to}/{text}', method: 'PUT' }),
    ).toThrow(expect.objectContaining({ field: 'method' }) as unknown as Error);
  });
});

describe('a payment timeline', () => {
  it('lists every step in time order', () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, seconds));
    const payment = { createdAt: at(0), paidAt: at(20) } as StoredPayment;
    const steps = paymentTimeline(
      translator('en'),
      payment,
      [{ attempt: 1, createdAt: at(10), method: 'sandbox_card', provider: 'sandbox', status: 'succeeded' }] as never,
      [{ id: 'evt_1', type: 'payment.paid', createdAt: at(21), attempts: [] }] as never,
      [
        {
          event_id: 'evt_1',
          event_type: 'payment.paid',
          channel: 'webhook',
          attempted_at: at(22).toISOString(),
          delivered: true,
        },
      ] as never,
      [
        {
          amountMinor: 1000n,
          currency: 'RUB',
          createdAt: at(30),
          completedAt: at(31),
          status: 'succeeded',
        },
      ] as never,
    );
    expect(steps.map((step) => step.text.replace(/\s/g, ' '))).toEqual([
      'Payment created',
      'Method chosen: sandbox_card',
      'Attempt 1 at sandbox: Succeeded',
      'Paid',
      'Event: Payment paid',
      'Payment paid delivered by Webhook',
      'Refund of RUB 10.00 requested',
      'Refund of RUB 10.00 completed',
    ]);
  });
});
