/**
 * Where Kassa's Temporal cluster is and how to reach it: address, namespace, TLS (server CA, server
 * name, client certificate and key for mTLS) and API key, read through Temporal's environment
 * configuration (`TEMPORAL_*` variables and an optional TOML profile file), checked once at startup.
 * `src/temporal/connection.ts` opens the connections from these settings.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { ConfigError } from './config-error';

/** TLS towards the cluster; absent means plaintext. */
export interface TemporalTls {
  /** The CA that signed the server's certificate (PEM); the system roots when absent. */
  serverRootCACertificate?: Buffer;
  /** The name the server's certificate must carry when it differs from the address's host. */
  serverNameOverride?: string;
  /** mTLS: the client certificate (PEM) and its private key (PEM). */
  clientCertPair?: { crt: Buffer; key: Buffer };
}

/** Where and how Kassa connects to Temporal. Holds key material: never log it whole (`describeTemporal` in `src/temporal/connection.ts`). */
export interface TemporalSettings {
  /** `host:port`, e.g. `127.0.0.1:7233` or `<namespace>.<account>.tmprl.cloud:7233`. */
  address: string;
  namespace: string;
  tls?: TemporalTls;
  /** Sent as `authorization: Bearer <apiKey>` on every call (Temporal Cloud API keys). */
  apiKey?: string;
  /** Extra gRPC headers from `TEMPORAL_GRPC_META_*` or the profile's `grpc_meta`. */
  metadata?: Record<string, string>;
}

const defaults = { address: '127.0.0.1:7233', namespace: 'default' };

const hostPort = /^[^\s:]+:\d+$/;

/** The variable (or profile key) each TLS file or value comes from, for error messages. */
const tlsSources = {
  clientCert: ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA', 'client_cert'],
  clientKey: ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA', 'client_key'],
  serverCACert: ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'server_ca_cert'],
} as const;

/**
 * Reads the Temporal settings from `env` (empty variables already removed). Precedence: a
 * `TEMPORAL_*` variable, then the profile (`TEMPORAL_PROFILE`, default `default`) of the TOML file
 * named by `TEMPORAL_CONFIG_FILE`, then Kassa's defaults (`127.0.0.1:7233`, namespace `default`).
 * Without `TEMPORAL_CONFIG_FILE` or `TEMPORAL_PROFILE` no file is read. A missing or unreadable
 * file, a certificate without its key, or PEM that does not parse throws a {@link ConfigError}
 * naming the variable.
 */
export function loadTemporalSettings(env: Record<string, string>): TemporalSettings {
  const configFile = env.TEMPORAL_CONFIG_FILE;
  if (configFile !== undefined && !fs.existsSync(configFile))
    throw new ConfigError(`TEMPORAL_CONFIG_FILE: no such file (got ${JSON.stringify(configFile)})`);
  const readsFile = configFile !== undefined || env.TEMPORAL_PROFILE !== undefined;
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      overrideEnvVars: env,
      disableFile: !readsFile,
      configSource: configFile === undefined ? undefined : { path: configFile },
    });
  } catch (error) {
    const message = (error as Error).message;
    const name = /Profile '/.test(message) ? 'TEMPORAL_PROFILE' : 'TEMPORAL_CONFIG_FILE';
    // The first line only: a TOML parser quotes the lines around a syntax error, which may hold a key.
    throw new ConfigError(`${name}: ${message.split('\n')[0]}`);
  }
  const fromFile = (key: string) => `${key} of profile "${env.TEMPORAL_PROFILE ?? 'default'}" in TEMPORAL_CONFIG_FILE`;

  const address = profile.address ?? defaults.address;
  if (!hostPort.test(address))
    throw new ConfigError(
      `${env.TEMPORAL_ADDRESS !== undefined ? 'TEMPORAL_ADDRESS' : fromFile('address')}: host:port (got ${JSON.stringify(address)})`,
    );
  const settings: TemporalSettings = { address, namespace: profile.namespace ?? defaults.namespace };
  if (profile.apiKey !== undefined) settings.apiKey = profile.apiKey;
  if (profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0) settings.metadata = profile.grpcMeta;

  const tls = profile.tls;
  if (env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true' || env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === '1')
    throw new ConfigError(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported; set TEMPORAL_TLS_SERVER_NAME to the name in the server certificate',
    );
  const wantsTls = tls ? tls.disabled !== true : settings.apiKey !== undefined;
  if (!wantsTls) return settings;

  const sourceName = (field: keyof typeof tlsSources) => {
    const [pathVariable, dataVariable, key] = tlsSources[field];
    if (env[pathVariable] !== undefined) return pathVariable;
    if (env[dataVariable] !== undefined) return dataVariable;
    const source = tls?.[field];
    return fromFile(source && 'path' in source ? `tls.${key}_path` : `tls.${key}_data`);
  };
  const read = (field: keyof typeof tlsSources): Buffer | undefined => {
    const source: ConfigDataSource | undefined = tls?.[field];
    if (source === undefined) return undefined;
    if ('data' in source) return Buffer.from(source.data);
    try {
      return fs.readFileSync(source.path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new ConfigError(`${sourceName(field)}: ${reason} (got ${JSON.stringify(source.path)})`);
    }
  };
  const serverCA = read('serverCACert');
  const crt = read('clientCert');
  const key = read('clientKey');
  if (crt && !key)
    throw new ConfigError(
      `${tlsSources.clientKey[0]}: required with ${sourceName('clientCert')} (mTLS needs the client certificate's private key)`,
    );
  if (key && !crt)
    throw new ConfigError(`${tlsSources.clientCert[0]}: required with ${sourceName('clientKey')} (mTLS needs both)`);

  const resolved: TemporalTls = {};
  if (serverCA) {
    certificate(serverCA, sourceName('serverCACert'));
    resolved.serverRootCACertificate = serverCA;
  }
  if (tls?.serverName) resolved.serverNameOverride = tls.serverName;
  if (crt && key) {
    const certificateOf = certificate(crt, sourceName('clientCert'));
    let privateKey: crypto.KeyObject;
    try {
      privateKey = crypto.createPrivateKey(key);
    } catch {
      throw new ConfigError(`${sourceName('clientKey')}: not a PEM private key`);
    }
    if (!certificateOf.checkPrivateKey(privateKey))
      throw new ConfigError(
        `${sourceName('clientKey')}: does not belong to the certificate of ${sourceName('clientCert')}`,
      );
    resolved.clientCertPair = { crt, key };
  }
  settings.tls = resolved;
  return settings;
}

function certificate(pem: Buffer, name: string): crypto.X509Certificate {
  try {
    return new crypto.X509Certificate(pem);
  } catch {
    throw new ConfigError(`${name}: not a PEM certificate`);
  }
}
