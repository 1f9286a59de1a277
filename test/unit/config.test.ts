import { defaultBreakerSettings } from '../../src/domain/attempt';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { describeTemporal, temporalConnectionOptions } from '../../src/temporal/connection';

describe('configuration', () => {
  test('defaults give the contract ports and the bundled services', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.httpKeepAliveSeconds).toBe(65);
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
    ['CONNECTOR_BREAKER_FAILURES', '0', /^CONNECTOR_BREAKER_FAILURES: /],
    ['TRUST_PROXY', 'nginx', /^TRUST_PROXY: a number of hops/],
    ['TRUST_PROXY', '10.0.0.0/8/1', /^TRUST_PROXY: /],
    ['CONNECTOR_BREAKER_PROBE_SECONDS', 'soon', /^CONNECTOR_BREAKER_PROBE_SECONDS: /],
    ['WORKFLOW_STACK_TRACE_LIMIT', '2', /^WORKFLOW_STACK_TRACE_LIMIT: .*"2"/],
    ['WORKFLOW_STACK_TRACE_LIMIT', 'all', /^WORKFLOW_STACK_TRACE_LIMIT: /],
    ['WORKFLOW_CACHE_SIZE', '0', /^WORKFLOW_CACHE_SIZE: .*"0"/],
    ['HTTP_KEEP_ALIVE_SECONDS', '0', /^HTTP_KEEP_ALIVE_SECONDS: .*"0"/],
    ['HTTP_KEEP_ALIVE_SECONDS', '1.5', /^HTTP_KEEP_ALIVE_SECONDS: /],
  ])('a bad %s (%s) stops startup with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  test('TRUST_PROXY is a number of hops or a list of proxies; unset trusts none', () => {
    expect(loadConfig({}).trustProxy).toBeNull();
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '::1',
    ]);
  });

  test("the circuit breaker's defaults are the activities' own", () => {
    expect(loadConfig({}).connectorBreaker).toEqual(defaultBreakerSettings);
  });

  test('PUBLIC_URL loses its trailing slash so links never carry a double slash', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://pay.example.com/' }).publicUrl).toBe('https://pay.example.com');
  });
});

describe('the Temporal connection', () => {
  const cert = path.join(__dirname, '../../package.json');
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-config-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE keep their meaning, in plaintext unless TLS or an API key is asked for', () => {
    const { temporal } = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'payments' });
    expect(temporal).toEqual({ address: 'temporal.internal:7233', namespace: 'payments' });
    expect(temporalConnectionOptions(temporal)).toEqual({ address: 'temporal.internal:7233' });
  });

  test('an API key turns TLS on with the system CAs and goes out as the bearer token, and is never described', () => {
    const { temporal } = loadConfig({
      TEMPORAL_ADDRESS: 'payments.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'payments.a1b2c',
      TEMPORAL_API_KEY: 'secret-api-key-value',
    });
    expect(temporalConnectionOptions(temporal)).toEqual({
      address: 'payments.a1b2c.tmprl.cloud:7233',
      tls: {},
      apiKey: 'secret-api-key-value',
    });
    expect(describeTemporal(temporal)).toBe('payments.a1b2c.tmprl.cloud:7233 namespace payments.a1b2c, TLS, API key');
    expect(describeTemporal(temporal)).not.toContain('secret');
  });

  test('a profile file gives address, namespace and API key; a variable overrides the file', () => {
    const file = path.join(dir, 'temporal.toml');
    fs.writeFileSync(
      file,
      [
        '[profile.default]',
        'address = "file.example:7233"',
        'namespace = "from-file"',
        '[profile.prod]',
        'address = "prod.example:7233"',
        'namespace = "prod"',
        'api_key = "prod-key-123"',
      ].join('\n'),
    );
    expect(loadConfig({ TEMPORAL_CONFIG_FILE: file }).temporal).toEqual({
      address: 'file.example:7233',
      namespace: 'from-file',
    });
    const prod = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_ADDRESS: 'other:7233' });
    expect(prod.temporal).toMatchObject({ address: 'other:7233', namespace: 'prod', apiKey: 'prod-key-123', tls: {} });
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' })).toThrow(
      /^TEMPORAL_PROFILE: Profile 'staging' not found/,
    );
  });

  test('a profile file that does not parse is named, and the lines around the mistake (a key among them) are not repeated', () => {
    const file = path.join(dir, 'broken.toml');
    fs.writeFileSync(file, ['[profile.default]', 'api_key = "leaky-key-7f3a9"', 'address = = "x:7233"'].join('\n'));
    let message = '';
    try {
      loadConfig({ TEMPORAL_CONFIG_FILE: file });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^TEMPORAL_CONFIG_FILE: /);
    expect(message).not.toContain('leaky-key-7f3a9');
  });

  test.each([
    [{ TEMPORAL_CONFIG_FILE: '/nowhere/temporal.toml' }, /^TEMPORAL_CONFIG_FILE: no such file/],
    [{ TEMPORAL_TLS: 'yes' }, /^TEMPORAL_TLS: true or false/],
    [{ TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nowhere/ca.pem' }, /^TEMPORAL_TLS_SERVER_CA_CERT_PATH: no such file/],
    [{ TEMPORAL_TLS_CLIENT_CERT_PATH: '/nowhere/client.pem' }, /^TEMPORAL_TLS_CLIENT_CERT_PATH: no such file/],
    [
      { TEMPORAL_TLS_CLIENT_CERT_PATH: cert },
      /^TEMPORAL_TLS_CLIENT_KEY_PATH: required with TEMPORAL_TLS_CLIENT_CERT_PATH/,
    ],
    [
      { TEMPORAL_TLS_CLIENT_KEY_PATH: cert },
      /^TEMPORAL_TLS_CLIENT_CERT_PATH: required with TEMPORAL_TLS_CLIENT_KEY_PATH/,
    ],
    [{ TEMPORAL_TLS_SERVER_CA_CERT_PATH: cert }, /^TEMPORAL_TLS_SERVER_CA_CERT_PATH: not a PEM certificate/],
    [{ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }, /^TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported/],
  ])('a bad Temporal TLS setting (%j) stops startup with a message naming it', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('a configuration error never repeats the API key or key material', () => {
    const secret = '-----BEGIN PRIVATE KEY-----secret';
    expect(() =>
      loadConfig({ TEMPORAL_ADDRESS: 'bad', TEMPORAL_API_KEY: 'secret', TEMPORAL_TLS_CLIENT_KEY_DATA: secret }),
    ).toThrow(/^TEMPORAL_ADDRESS: host:port \(got "bad"\)$/);
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_KEY_DATA: secret })).toThrow(
      /^TEMPORAL_TLS_CLIENT_CERT_PATH: required with TEMPORAL_TLS_CLIENT_KEY_DATA/,
    );
  });
});
