import { ConfigError, loadConfig } from '../../src/config';

describe('configuration', () => {
  test('defaults give the contract ports and the bundled services', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
    expect(config.sandbox.url).toBe('http://127.0.0.1:4100');
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(config.databaseUrl).toBeUndefined();
  });

  test.each([
    ['PORT', 'abc', /^PORT: .*"abc"/],
    ['PORT', '70000', /^PORT: /],
    ['DATABASE_URL', 'mysql://x', /^DATABASE_URL: a postgres:\/\/ URL/],
    ['TEMPORAL_ADDRESS', 'localhost', /^TEMPORAL_ADDRESS: host:port/],
    ['PUBLIC_URL', 'ftp://example.com', /^PUBLIC_URL: /],
    ['ADMIN_TOKEN', 'short', /^ADMIN_TOKEN: at least 16 characters/],
    ['KASSA_ROLE', 'everything', /^KASSA_ROLE: /],
    ['STATUS_POLL_SECONDS', '1,a', /^STATUS_POLL_SECONDS: comma-separated whole seconds/],
  ])('a bad %s (%s) stops startup with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  test('PUBLIC_URL loses its trailing slash so links never carry a double slash', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://pay.example.com/' }).publicUrl).toBe('https://pay.example.com');
  });
});
