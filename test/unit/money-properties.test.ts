import fc from 'fast-check';
import { defaultFeeSchedule, type FeePayerSetting, quoteFee } from '../../src/domain/fees';
import {
  isBalanced,
  paymentCaptured,
  payoutReleased,
  payoutReserved,
  payoutSettled,
  refundReleased,
  refundReserved,
  refundSettled,
  refundSplit,
} from '../../src/domain/ledger';
import {
  allocate,
  currencyExponent,
  formatAmount,
  MoneyFormatError,
  parseAmount,
  supportedCurrencies,
} from '../../src/domain/money';

// Properties of money, commission and posting rules, each over 10,000 generated cases.
const runs = { numRuns: 10_000 };

const currency = fc.constantFrom(...supportedCurrencies);
/** Non-negative minor units up to the 18 integer digits the parser allows. */
const minor = fc.bigInt({ min: 0n, max: 10n ** 18n - 1n });
const positiveMinor = fc.bigInt({ min: 1n, max: 10n ** 15n });

/** A decimal string in canonical form: no leading zeros, exactly the currency's decimals. */
const canonicalAmount = currency.chain((code) =>
  fc
    .tuple(
      fc.bigInt({ min: 0n, max: 10n ** 17n }),
      fc.bigInt({ min: 0n, max: 10n ** BigInt(currencyExponent(code)) - 1n }),
    )
    .map(([whole, fraction]) => {
      const exponent = currencyExponent(code);
      return {
        code,
        text: exponent === 0 ? whole.toString() : `${whole}.${fraction.toString().padStart(exponent, '0')}`,
      };
    }),
);

test('format(parse(x)) is x for every canonical decimal string, in every currency (JPY 0, RUB 2, KWD 3 decimals)', () => {
  fc.assert(
    fc.property(canonicalAmount, ({ code, text }) => {
      return formatAmount(parseAmount(text, code), code) === text;
    }),
    runs,
  );
});

test('parse(format(m)) is m for every amount of minor units', () => {
  fc.assert(
    fc.property(minor, currency, (amount, code) => {
      return parseAmount(formatAmount(amount, code), code) === amount;
    }),
    runs,
  );
});

test('a string with more decimals than the currency allows never parses', () => {
  fc.assert(
    fc.property(canonicalAmount, fc.integer({ min: 1, max: 9 }), ({ code, text }, digit) => {
      const longer = currencyExponent(code) === 0 ? `${text}.${digit}` : `${text}${digit}`;
      try {
        parseAmount(longer, code);
        return false;
      } catch (error) {
        return error instanceof MoneyFormatError;
      }
    }),
    runs,
  );
});

test('allocations always add up to the whole, each part within one minor unit of its exact share', () => {
  const weights = fc
    .array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 1, maxLength: 12 })
    .filter((list) => list.some((w) => w > 0n));
  fc.assert(
    fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), weights, (total, list) => {
      const parts = allocate(total, list);
      const sum = list.reduce((a, b) => a + b, 0n);
      const magnitude = total < 0n ? -total : total;
      const withinShare = parts.every((part, index) => {
        const share = (magnitude * list[index]!) / sum;
        const size = part < 0n ? -part : part;
        return (size === share || size === share + 1n) && (list[index] !== 0n || part === 0n);
      });
      return parts.length === list.length && parts.reduce((a, b) => a + b, 0n) === total && withinShare;
    }),
    runs,
  );
});

const payer: fc.Arbitrary<FeePayerSetting> = fc.oneof(
  fc.constant({ type: 'merchant' as const }),
  fc.constant({ type: 'buyer' as const }),
  fc.integer({ min: 0, max: 100 }).map((buyerPercent) => ({ type: 'split' as const, buyerPercent })),
);
const schedule = fc.record({ basisPoints: fc.integer({ min: 0, max: 10_000 }), fixedMinor: fc.constant({}) });

test('fee plus merchant net equals the buyer total, and the capture posting sums to zero', () => {
  fc.assert(
    fc.property(
      positiveMinor,
      currency,
      fc.oneof(fc.constant(defaultFeeSchedule), schedule),
      payer,
      (amount, code, fees, who) => {
        const quote = quoteFee(amount, code, fees, who);
        if (quote.feeMinor + quote.merchantNetMinor !== quote.buyerTotalMinor) return false;
        if (quote.merchantNetMinor < 0n) return true; // a fee above the amount: such a method is never shown
        const posting = paymentCaptured({
          paymentId: 'pay_x',
          merchantId: 'mer_x',
          testMode: true,
          currency: code,
          provider: 'sandbox',
          buyerTotalMinor: quote.buyerTotalMinor,
          merchantNetMinor: quote.merchantNetMinor,
        })!;
        const byKind = (kind: string) =>
          posting.entries
            .filter((entry) => entry.account.kind === kind)
            .reduce((sum, entry) => sum + entry.amountMinor, 0n);
        return (
          isBalanced(posting) &&
          byKind('available') === quote.merchantNetMinor &&
          byKind('fee_revenue') === quote.feeMinor &&
          byKind('provider_clearing') === -quote.buyerTotalMinor
        );
      },
    ),
    runs,
  );
});

/** A payment (total, fee ≤ total) and a way to cut its total into refunds, some of which fail. */
const refundedPayment = fc
  .tuple(positiveMinor, fc.integer({ min: 0, max: 10_000 }))
  .map(([total, basisPoints]) => ({ total, fee: (total * BigInt(basisPoints)) / 10_000n }))
  .chain((payment) =>
    fc.record({
      payment: fc.constant(payment),
      cuts: fc.array(fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.boolean()), { minLength: 1, maxLength: 8 }),
    }),
  );

test('refunds in any parts, some failing: the commission returned plus the merchant debit is each refund, and a complete refund gives back exactly the fee and the net', () => {
  fc.assert(
    fc.property(refundedPayment, ({ payment, cuts }) => {
      let refunded = 0n;
      let feeReturned = 0n;
      let debited = 0n;
      const net = payment.total - payment.fee;
      for (const [[size, fails], index] of cuts.map((cut, i) => [cut, i] as const)) {
        const left = payment.total - refunded;
        if (left === 0n) break;
        const amount = index === cuts.length - 1 ? left : 1n + (size % left);
        const split = refundSplit({
          buyerTotalMinor: payment.total,
          feeMinor: payment.fee,
          refundedMinor: refunded,
          feeReturnedMinor: feeReturned,
          amountMinor: amount,
        });
        if (
          split.feeReturnedMinor + split.merchantDebitMinor !== amount ||
          split.feeReturnedMinor < 0n ||
          split.merchantDebitMinor < 0n
        )
          return false;
        const money = {
          refundId: 're_x',
          paymentId: 'pay_x',
          merchantId: 'mer_x',
          testMode: true,
          currency: 'RUB',
          provider: 'sandbox',
          amountMinor: amount,
          ...split,
        };
        if (
          ![refundReserved(money), refundSettled(money), refundReleased(money)].every(
            (posting) => posting === null || isBalanced(posting),
          )
        )
          return false;
        if (fails && index !== cuts.length - 1) continue; // a failed refund gives nothing back and counts for nothing
        refunded += amount;
        feeReturned += split.feeReturnedMinor;
        debited += split.merchantDebitMinor;
        if (feeReturned > payment.fee || debited > net) return false;
      }
      return refunded === payment.total && feeReturned === payment.fee && debited === net;
    }),
    runs,
  );
});

test('a payout moves exactly its amount through clearing, the bank fee apart, and every payout posting sums to zero', () => {
  fc.assert(
    fc.property(positiveMinor, fc.bigInt({ min: 0n, max: 10_000n }), currency, (amount, feeBasis, code) => {
      const fee = (amount * feeBasis) / 10_000n;
      const money = {
        payoutId: 'po_x',
        merchantId: 'mer_x',
        testMode: false,
        currency: code,
        provider: 'sandbox',
        amountMinor: amount,
      };
      const settled = payoutSettled({ ...money, feeMinor: fee, destination: 'card •••• 4242' })!;
      const clearing = settled.entries.filter((entry) => entry.account.kind === 'provider_clearing');
      return (
        [payoutReserved(money)!, settled, payoutReleased(money)!].every(isBalanced) &&
        clearing.reduce((sum, entry) => sum + entry.amountMinor, 0n) === amount &&
        (clearing.find((entry) => entry.memo === 'bank fee')?.amountMinor ?? 0n) === fee
      );
    }),
    runs,
  );
});
