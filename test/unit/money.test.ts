import { formatAmount, MoneyFormatError, parseAmount } from '../../src/domain/money';
import { splitFee } from '../../src/domain/payment';

describe('money as minor units', () => {
  test.each([
    ['50.00', 'RUB', 5000n],
    ['50', 'RUB', 5000n],
    ['0.5', 'RUB', 50n],
    ['500', 'JPY', 500n],
    ['1.250', 'KWD', 1250n],
  ])('%s %s is %s minor units', (text, currency, minor) => {
    expect(parseAmount(text, currency)).toBe(minor);
  });

  test.each([
    ['1.001', 'RUB'],
    ['5.5', 'JPY'],
    ['-1.00', 'RUB'],
    ['1e3', 'RUB'],
    ['01.00', 'RUB'],
    [' 1.00', 'RUB'],
    ['1,00', 'RUB'],
  ])('%s %s is refused', (text, currency) => {
    expect(() => parseAmount(text, currency)).toThrow(MoneyFormatError);
  });

  test('formatting writes every decimal the currency has', () => {
    expect(formatAmount(5000n, 'RUB')).toBe('50.00');
    expect(formatAmount(5n, 'RUB')).toBe('0.05');
    expect(formatAmount(500n, 'JPY')).toBe('500');
    expect(formatAmount(1250n, 'KWD')).toBe('1.250');
  });

  test('the 3% commission rounds half up and fee plus net is the total', () => {
    expect(splitFee(5000n, 'merchant')).toEqual({ feeMinor: 150n, buyerTotalMinor: 5000n, merchantNetMinor: 4850n });
    expect(splitFee(5000n, 'buyer')).toEqual({ feeMinor: 150n, buyerTotalMinor: 5150n, merchantNetMinor: 5000n });
    expect(splitFee(50n, 'merchant').feeMinor).toBe(2n); // 1.5 → 2
    expect(splitFee(49n, 'merchant').feeMinor).toBe(1n); // 1.47 → 1
  });
});
