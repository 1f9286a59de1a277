import { safeReturnPath } from '../../src/api/web/auth';
import { checkPassword, hashPassword, verifyPassword } from '../../src/services/web-users';

describe('where a form may send the browser back to', () => {
  it('keeps paths inside the area, with their query', () => {
    expect(safeReturnPath('/dashboard', 'merchant')).toBe('/dashboard');
    expect(safeReturnPath('/dashboard/payments?status=paid&page=2', 'merchant')).toBe(
      '/dashboard/payments?status=paid&page=2',
    );
    expect(safeReturnPath('/admin/console/merchants', 'operator')).toBe('/admin/console/merchants');
  });

  it.each([
    'https://evil.example/dashboard',
    '//evil.example/dashboard',
    '/\\evil.example/dashboard',
    '\\\\evil.example',
    'javascript:alert(1)',
    '/dashboardx',
    '/dashboard/../admin/console',
    '/admin/console',
    '/dashboard\n/x',
    ' /dashboard',
    '',
  ])('refuses %j for the cabinet', (value) => {
    expect(safeReturnPath(value, 'merchant')).toBeNull();
  });

  it('refuses what is not text, and the cabinet inside the console', () => {
    expect(safeReturnPath(['/dashboard'], 'merchant')).toBeNull();
    expect(safeReturnPath(undefined, 'merchant')).toBeNull();
    expect(safeReturnPath('/dashboard', 'operator')).toBeNull();
  });
});

describe('passwords', () => {
  it('are stored as scrypt with their own salt and parameters, and verified in constant time', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse batterY', first)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'plain')).toBe(false);
    // a hash made with other parameters is still verified with its own
    const [, , , , salt] = first.split('$');
    const { scryptSync } = await import('node:crypto');
    const older = `scrypt$1024$8$1$${salt}$${scryptSync('old one here', Buffer.from(salt!, 'base64url'), 32, { N: 1024 }).toString('base64url')}`;
    expect(await verifyPassword('old one here', older)).toBe(true);
  });

  it('must be at least 10 characters, at most 200, and not the e-mail address', () => {
    expect(() => checkPassword('123456789', 'a@b.example')).toThrow(
      expect.objectContaining({ code: 'password_too_short' }),
    );
    expect(() => checkPassword('x'.repeat(201), 'a@b.example')).toThrow(
      expect.objectContaining({ code: 'password_too_long' }),
    );
    expect(() => checkPassword('Owner@Shop.example', 'owner@shop.example')).toThrow(
      expect.objectContaining({ code: 'password_is_email' }),
    );
    expect(() => checkPassword('ёжик в тумане', 'a@b.example')).not.toThrow();
    // characters, not UTF-16 units: nine emoji are too short
    expect(() => checkPassword('😀'.repeat(9), 'a@b.example')).toThrow(
      expect.objectContaining({ code: 'password_too_short' }),
    );
  });
});
