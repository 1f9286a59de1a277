import { connectorState } from '../../src/api/web/console/connectors';
import { temporalUiLink, waitingSummary, type WaitingInput } from '../../src/api/web/console/payment-waiting';
import { utcDay } from '../../src/api/web/console/reconciliation';
import { choice, doneNotices, field, FieldProblem } from '../../src/api/web/console/screen';
import { consoleSections } from '../../src/api/web/console/layout';
import { exceptionKinds } from '../../src/domain/exceptions';
import { paymentStatuses } from '../../src/domain/payment';
import { translator } from '../../src/i18n';

const inspection = (overrides: Partial<WaitingInput> = {}): WaitingInput => ({
  payment: { status: 'awaiting_payment', method: 'sandbox_card', expires_at: '2026-11-30T12:00:00.000Z' },
  provider_payment_id: 'sp_1',
  workflow: { status: 'RUNNING' },
  state: { status: 'awaiting_payment', method: 'sandbox_card', providerPaymentId: 'sp_1', attempt: 1 },
  pending_activities: [],
  ...overrides,
});

describe("the console's reading of what a payment waits for", () => {
  it('names the provider callback with its method, reference and deadline', () => {
    expect(waitingSummary(inspection())).toEqual({
      key: 'callback',
      params: { method: 'sandbox_card', reference: 'sp_1' },
      dates: { until: '2026-11-30T12:00:00.000Z' },
    });
  });

  it('puts a webhook under way before the provider, and names its next attempt', () => {
    const pending = [
      { activity_type: 'checkProviderPayment', attempt: 2, last_failure: null, next_attempt_at: null },
      {
        activity_type: 'notifyMerchant',
        attempt: 3,
        last_failure: 'HTTP 500',
        next_attempt_at: '2026-11-30T12:05:00.000Z',
      },
    ];
    expect(waitingSummary(inspection({ pending_activities: pending }))).toMatchObject({
      key: 'webhookRetry',
      params: { attempt: 3 },
      dates: { next: '2026-11-30T12:05:00.000Z' },
    });
    expect(waitingSummary(inspection({ pending_activities: pending.slice(0, 1) }))).toMatchObject({
      key: 'providerCheck',
      params: { attempt: 2 },
    });
  });

  it('says nothing is awaited of a closed or missing workflow, and the buyer is awaited before a method', () => {
    expect(waitingSummary(inspection({ workflow: null })).key).toBe('noWorkflow');
    expect(waitingSummary(inspection({ workflow: { status: 'COMPLETED' } }))).toMatchObject({
      key: 'closed',
      params: { workflow: 'completed', status: 'awaiting_payment' },
    });
    expect(
      waitingSummary(
        inspection({ state: { status: 'awaiting_method', method: null, providerPaymentId: null, attempt: 0 } }),
      ).key,
    ).toBe('buyer');
    expect(
      waitingSummary(inspection({ state: { status: 'paid', method: null, providerPaymentId: null, attempt: 1 } })).key,
    ).toBe('finishing');
  });

  it('has every summary in English and Russian with its parameters filled', () => {
    for (const locale of ['en', 'ru']) {
      const t = translator(locale);
      const text = t.t('console.payment.waiting.callback', { method: 'sandbox_card', reference: 'sp_1', until: 'x' });
      expect(text).toContain('sp_1');
      expect(text).not.toMatch(/[{}]/);
    }
  });
});

describe('the Temporal UI link', () => {
  it('is <ui>/namespaces/<namespace>/workflows/<workflow id>, encoded, without a doubled slash', () => {
    expect(temporalUiLink('http://localhost:8233/', 'default', 'purchase-pay_1')).toBe(
      'http://localhost:8233/namespaces/default/workflows/purchase-pay_1',
    );
    expect(temporalUiLink('https://t.example/ui', 'kassa prod', 'a/b')).toBe(
      'https://t.example/ui/namespaces/kassa%20prod/workflows/a%2Fb',
    );
  });

  it('is absent without a UI, or with one that is not an http(s) address', () => {
    expect(temporalUiLink(null, 'default', 'w')).toBeNull();
    expect(temporalUiLink('javascript:alert(1)', 'default', 'w')).toBeNull();
    expect(temporalUiLink('not a url', 'default', 'w')).toBeNull();
  });
});

describe('console forms', () => {
  it('reads one trimmed value, refusing lists, missing required fields, long and malformed values by name', () => {
    expect(field({ name: '  Shop ' }, 'name', { required: true })).toBe('Shop');
    expect(field({}, 'q')).toBeUndefined();
    expect(field({ q: '   ' }, 'q')).toBeUndefined();
    const problem = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error instanceof FieldProblem ? [error.field, error.reason] : error;
      }
      return null;
    };
    expect(problem(() => field({ name: ['a', 'b'] }, 'name'))).toEqual(['name', 'list']);
    expect(problem(() => field({}, 'name', { required: true }))).toEqual(['name', 'required']);
    expect(problem(() => field({ name: 'x'.repeat(201) }, 'name'))).toEqual(['name', 'tooLong']);
    expect(problem(() => field({ email: 'nope' }, 'email', { pattern: /@/ }))).toEqual(['email', 'invalid']);
    expect(problem(() => choice({ mode: 'prod' }, 'mode', ['test', 'live']))).toEqual(['mode', 'invalid']);
    expect(choice({}, 'mode', ['test', 'live'])).toBe('test');
    expect(problem(() => utcDay({ from: '2026-02-30' }, 'from'))).toEqual(['from', 'invalid']);
    expect(problem(() => utcDay({ from: '30.11.2026' }, 'from'))).toEqual(['from', 'invalid']);
    expect(utcDay({ from: '2026-11-30' }, 'from')?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });
});

describe("the console's texts", () => {
  it('a connector is active, paused by someone, or tripped by its breaker', () => {
    expect(connectorState({ status: 'active', paused_reason: null })).toBe('active');
    expect(connectorState({ status: 'paused', paused_reason: 'operator' })).toBe('paused');
    expect(connectorState({ status: 'paused', paused_reason: 'circuit_breaker' })).toBe('tripped');
  });

  it('has a message in both languages for every status, kind, section and notice a screen names', () => {
    const keys = [
      ...paymentStatuses.map((status) => `console.paymentStatus.${status}`),
      ...exceptionKinds.flatMap((kind) => [`console.review.kind.${kind}`, `console.review.accept.${kind}`]),
      ...consoleSections.map((section) => `console.nav.${section.key}`),
      ...doneNotices.map((done) => `console.done.${done}`),
      ...['active', 'paused', 'tripped'].map((state) => `console.connectors.state.${state}`),
      ...[
        'noWorkflow',
        'closed',
        'webhook',
        'webhookRetry',
        'providerCreate',
        'providerCheck',
        'buyer',
        'callback',
        'finishing',
      ].map((key) => `console.payment.waiting.${key}`),
      ...['invalid', 'not_found', 'conflict', 'unprocessable', 'unavailable', 'unauthenticated'].map(
        (kind) => `console.errors.${kind}`,
      ),
    ];
    const ru = translator('ru');
    const en = translator('en');
    for (const key of keys) {
      expect([key, ru.has(key)]).toEqual([key, true]);
      expect([key, ru.t(key)]).not.toEqual([key, en.t(key)]);
    }
  });
});
