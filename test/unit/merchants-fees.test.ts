import fc from 'fast-check';
import {
  basisPointsToPercent,
  defaultFeeSchedule,
  type FeePayerSetting,
  type MethodSetting,
  percentToBasisPoints,
  quoteFee,
  quoteMethods,
} from '../../src/domain/fees';
import { SANDBOX_METHODS } from '../../src/providers/sandbox';

const merchant: FeePayerSetting = { type: 'merchant' };
const buyer: FeePayerSetting = { type: 'buyer' };
const split = (buyerPercent: number): FeePayerSetting => ({ type: 'split', buyerPercent });

test('3 % of 50.00 paid by the merchant: the buyer pays 50.00, the merchant is credited 48.50', () => {
  expect(quoteFee(5000n, 'RUB', defaultFeeSchedule, merchant)).toEqual({
    feeMinor: 150n,
    buyerFeeMinor: 0n,
    merchantFeeMinor: 150n,
    buyerTotalMinor: 5000n,
    merchantNetMinor: 4850n,
  });
});

test('paid by the buyer: the buyer pays amount + fee, the merchant is credited the amount', () => {
  expect(quoteFee(5000n, 'RUB', defaultFeeSchedule, buyer)).toMatchObject({
    feeMinor: 150n,
    buyerTotalMinor: 5150n,
    merchantNetMinor: 5000n,
  });
});

test('the percentage part rounds half-up on the minor unit: exactly half rounds up, below half rounds down', () => {
  // 2.5 % of 1.00 = 2.5 kopecks → 3; 2.5 % of 0.98 = 2.45 → 2; 3 % of 0.50 = 1.5 → 2
  expect(quoteFee(100n, 'RUB', { basisPoints: 250, fixedMinor: {} }, merchant).feeMinor).toBe(3n);
  expect(quoteFee(98n, 'RUB', { basisPoints: 250, fixedMinor: {} }, merchant).feeMinor).toBe(2n);
  expect(quoteFee(50n, 'RUB', defaultFeeSchedule, merchant).feeMinor).toBe(2n);
  expect(quoteFee(49n, 'RUB', defaultFeeSchedule, merchant).feeMinor).toBe(1n);
});

test('a fixed part is added in the payment currency only', () => {
  const schedule = { basisPoints: 250, fixedMinor: { RUB: 1000n } };
  expect(quoteFee(100_000n, 'RUB', schedule, merchant).feeMinor).toBe(3500n);
  expect(quoteFee(100_000n, 'USD', schedule, merchant).feeMinor).toBe(2500n);
});

test('a split: the buyer pays buyer_percent of the fee rounded half-up, the merchant the rest', () => {
  // fee 35.00; 40 % = 14.00 to the buyer
  expect(quoteFee(100_000n, 'RUB', { basisPoints: 250, fixedMinor: { RUB: 1000n } }, split(40))).toEqual({
    feeMinor: 3500n,
    buyerFeeMinor: 1400n,
    merchantFeeMinor: 2100n,
    buyerTotalMinor: 101_400n,
    merchantNetMinor: 97_900n,
  });
  // fee 3 kopecks, 50 % → 1.5 → 2 to the buyer, 1 to the merchant
  expect(quoteFee(100n, 'RUB', { basisPoints: 300, fixedMinor: {} }, split(50))).toMatchObject({
    buyerFeeMinor: 2n,
    merchantFeeMinor: 1n,
  });
});

test('for any amount, schedule and payer: buyer total − merchant net = fee, and both shares are whole and non-negative', () => {
  const payer = fc.oneof(fc.constant(merchant), fc.constant(buyer), fc.integer({ min: 0, max: 100 }).map(split));
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 10n ** 18n }),
      fc.integer({ min: 0, max: 10_000 }),
      fc.bigInt({ min: 0n, max: 10n ** 9n }),
      payer,
      (amount, bps, fixed, who) => {
        const quote = quoteFee(amount, 'RUB', { basisPoints: bps, fixedMinor: { RUB: fixed } }, who);
        expect(quote.buyerTotalMinor - quote.merchantNetMinor).toBe(quote.feeMinor);
        expect(quote.buyerFeeMinor + quote.merchantFeeMinor).toBe(quote.feeMinor);
        expect(quote.buyerFeeMinor >= 0n && quote.merchantFeeMinor >= 0n).toBe(true);
        expect(quote.buyerTotalMinor).toBe(amount + quote.buyerFeeMinor);
        // half-up: |fee − exact| ≤ 1/2 minor unit, and exactly half rounds up
        const twiceExact = amount * BigInt(bps) * 2n;
        const twiceRounded = (quote.feeMinor - fixed) * 20_000n;
        expect(twiceRounded - twiceExact <= 10_000n && twiceExact - twiceRounded < 10_000n).toBe(true);
      },
    ),
    { numRuns: 2000 },
  );
});

test('percent strings and basis points convert both ways', () => {
  expect(percentToBasisPoints('3')).toBe(300);
  expect(percentToBasisPoints('2.5')).toBe(250);
  expect(percentToBasisPoints('0.01')).toBe(1);
  expect(percentToBasisPoints('100')).toBe(10_000);
  expect(percentToBasisPoints('100.01')).toBeNull();
  expect(percentToBasisPoints('1.234')).toBeNull();
  expect(percentToBasisPoints('-1')).toBeNull();
  expect(basisPointsToPercent(250)).toBe('2.50');
  expect(basisPointsToPercent(5)).toBe('0.05');
});

describe('what a buyer sees', () => {
  const liveCard = { code: 'live_card', title: 'Card', testMode: false };
  const offered = [...SANDBOX_METHODS, liveCard];
  const pricing = {
    fee: defaultFeeSchedule,
    methodFees: { sandbox_wallet: { basisPoints: 100, fixedMinor: {} } },
    payer: buyer,
  };
  const quote = (settings: MethodSetting[] | null, amountMinor: bigint, currency = 'RUB', testMode = true) =>
    quoteMethods({ offered, testMode, settings, pricing, amountMinor, currency }).map((method) => [
      method.code,
      method.buyerTotalMinor,
    ]);

  test('test mode offers only the sandbox methods, live mode only live ones, each priced by its own fee', () => {
    expect(quote(null, 10_000n)).toEqual([
      ['sandbox_card', 10_300n],
      ['sandbox_wallet', 10_100n],
    ]);
    expect(quote(null, 10_000n, 'RUB', false)).toEqual([['live_card', 10_300n]]);
    const liveInTest = [{ code: 'live_card', currencies: null, minAmountMinor: {}, maxAmountMinor: {} }];
    expect(quote(liveInTest, 10_000n)).toEqual([]);
  });

  test('minimum, maximum and currencies hide a method; the checkout order is kept', () => {
    const settings: MethodSetting[] = [
      {
        code: 'sandbox_wallet',
        currencies: ['RUB'],
        minAmountMinor: { RUB: 1000n },
        maxAmountMinor: { RUB: 100_000n },
      },
      { code: 'sandbox_card', currencies: null, minAmountMinor: {}, maxAmountMinor: { USD: 500n } },
    ];
    expect(quote(settings, 999n).map(([code]) => code)).toEqual(['sandbox_card']);
    expect(quote(settings, 1000n).map(([code]) => code)).toEqual(['sandbox_wallet', 'sandbox_card']);
    expect(quote(settings, 100_000n).map(([code]) => code)).toEqual(['sandbox_wallet', 'sandbox_card']);
    expect(quote(settings, 100_001n).map(([code]) => code)).toEqual(['sandbox_card']);
    expect(quote(settings, 500n, 'USD').map(([code]) => code)).toEqual(['sandbox_card']);
    expect(quote(settings, 501n, 'USD').map(([code]) => code)).toEqual([]);
  });

  test('a method whose fee would leave the merchant less than nothing is not shown', () => {
    const costly = { fee: { basisPoints: 0, fixedMinor: { RUB: 500n } }, methodFees: {}, payer: merchant };
    const shown = (amountMinor: bigint) =>
      quoteMethods({ offered, testMode: true, settings: null, pricing: costly, amountMinor, currency: 'RUB' }).length;
    expect(shown(499n)).toBe(0);
    expect(shown(500n)).toBe(2);
  });
});
