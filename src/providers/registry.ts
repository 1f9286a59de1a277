/**
 * The connector registry: which configured connectors serve which methods, read synchronously
 * from an in-memory copy of the `connectors` table. The copy is loaded before the API and the
 * worker serve, refreshed after every change this process makes and every few seconds (changes
 * made by other processes). The adapters Kassa knows are listed once, in {@link connectorAdapters}.
 */
import type { Config } from '../config';
import { CONFIG_SANDBOX_CONNECTOR_ID, type Connector, type StoredConnector } from '../domain/connector';
import type { ProviderMethod } from '../domain/methods';
import { interkassaAdapter } from './interkassa';
import { createSandboxConnector, sandboxAdapter } from './sandbox';
import { stripeAdapter } from './stripe';
import { webmoneyAdapter } from './webmoney';
import { yookassaAdapter } from './yookassa';
import type {
  ConnectorAdapter,
  ConnectorCapability,
  PaymentConnector,
  PaymentProvider,
  ProviderCallback,
} from './types';

/** Every provider Kassa can connect to, by name: the one line a new adapter adds. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const connectorAdapters: Readonly<Record<string, ConnectorAdapter<any>>> = {
  sandbox: sandboxAdapter,
  stripe: stripeAdapter,
  yookassa: yookassaAdapter,
  webmoney: webmoneyAdapter,
  interkassa: interkassaAdapter,
};

/** A connector with its client, made from its credentials by its adapter. */
export interface ConnectorHandle {
  connector: Connector;
  client: PaymentConnector;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  adapter: ConnectorAdapter<any>;
}

export interface ProviderRegistry {
  /** Methods of the mode's ACTIVE connectors, deduplicated, in priority order. */
  methods(testMode: boolean): ProviderMethod[];
  /** The mode's ACTIVE connectors serving `method`, lowest priority number first. */
  connectorsFor(method: string, testMode: boolean): ConnectorHandle[];
  /** Any connector by id, paused ones included. */
  connector(id: string): ConnectorHandle | undefined;
  /** The provider's connectors, any status, by priority: for `/callbacks/:provider` without an id. */
  byProvider(provider: string): ConnectorHandle[];
  /** The first ACTIVE connector of the mode that can pay out. */
  payoutConnector(testMode: boolean, currency: string): ConnectorHandle | undefined;
  /** Every connector, any status or mode, by priority. */
  all(): ConnectorHandle[];
  /** Reads the connectors table again. */
  refresh(): Promise<void>;
  /**
   * The provider's first connector through the first contract.
   * @deprecated use {@link ProviderRegistry.byProvider} or {@link ProviderRegistry.connector}.
   */
  byName(name: string): PaymentProvider | undefined;
  /**
   * The first connector serving a method (active ones first) through the first contract.
   * @deprecated use {@link ProviderRegistry.connectorsFor}.
   */
  forMethod(code: string): PaymentProvider | undefined;
}

const byPriority = (a: ConnectorHandle, b: ConnectorHandle) =>
  a.connector.priority - b.connector.priority ||
  a.connector.createdAt.getTime() - b.connector.createdAt.getTime() ||
  a.connector.id.localeCompare(b.connector.id);

const modeOf = (testMode: boolean) => (testMode ? 'test' : 'live');

/** The read side of a registry over `current()`, a list that may be replaced at any time. */
function readsOver(current: () => ConnectorHandle[], refresh: () => Promise<void>): ProviderRegistry {
  const active = (testMode: boolean) =>
    current().filter((handle) => handle.connector.status === 'active' && handle.connector.mode === modeOf(testMode));
  const legacy = (handle: ConnectorHandle | undefined) => handle && legacyView(handle);
  return {
    methods(testMode) {
      const seen = new Map<string, ProviderMethod>();
      for (const { connector, adapter } of active(testMode))
        for (const code of connector.methods)
          if (!seen.has(code))
            seen.set(code, {
              code,
              title: adapter.methods.find((method) => method.code === code)?.title ?? code,
              testMode,
            });
      return [...seen.values()];
    },
    connectorsFor: (method, testMode) => active(testMode).filter((handle) => handle.connector.methods.includes(method)),
    connector: (id) => current().find((handle) => handle.connector.id === id),
    byProvider: (provider) => current().filter((handle) => handle.connector.provider === provider),
    payoutConnector: (testMode) =>
      active(testMode).find((handle) => handle.client.capabilities.has('payout') && handle.client.createPayout),
    all: () => current(),
    refresh,
    byName(name) {
      const handles = current().filter((handle) => handle.connector.provider === name);
      return legacy(handles.find((handle) => handle.connector.status === 'active') ?? handles[0]);
    },
    forMethod(code) {
      const handles = current().filter((handle) => handle.connector.methods.includes(code));
      return legacy(handles.find((handle) => handle.connector.status === 'active') ?? handles[0]);
    },
  };
}

/** A registry over fixed connectors (tests, tools). */
export function createConnectorRegistry(handles: ConnectorHandle[]): ProviderRegistry {
  const sorted = [...handles].sort(byPriority);
  return readsOver(
    () => sorted,
    async () => undefined,
  );
}

export interface LoadedRegistryOptions {
  /** Every connector row with its credentials opened. */
  load(): Promise<StoredConnector[]>;
  publicUrl: string;
  /** Every this many ms the table is read again; 0: only on {@link ProviderRegistry.refresh}. Default 2000. */
  refreshMs?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  adapters?: Readonly<Record<string, ConnectorAdapter<any>>>;
  /** A connector that cannot be made (unknown provider, credentials its adapter refuses) or a failed reload. */
  onError?(error: Error, connectorId?: string): void;
}

/** A registry that can stop its refresh timer. */
export interface LoadedRegistry extends ProviderRegistry {
  close(): void;
}

/**
 * A registry over the connectors table, read once before it resolves, then again every
 * `refreshMs` and on {@link ProviderRegistry.refresh}. A connector's client is made again only when its row changed.
 */
export async function loadProviderRegistry(options: LoadedRegistryOptions): Promise<LoadedRegistry> {
  const adapters = options.adapters ?? connectorAdapters;
  let handles: ConnectorHandle[] = [];
  const made = new Map<string, { version: number; client: PaymentConnector }>();
  const build = (stored: StoredConnector): ConnectorHandle | null => {
    const adapter = adapters[stored.provider];
    if (!adapter) {
      options.onError?.(new Error(`connector ${stored.id}: no adapter for provider ${stored.provider}`), stored.id);
      return null;
    }
    const { credentials, credentialsHint: _hint, ...connector } = stored;
    const version = stored.updatedAt.getTime();
    let client = made.get(stored.id)?.version === version ? made.get(stored.id)!.client : undefined;
    if (!client) {
      const parsed = adapter.credentials.safeParse(credentials);
      if (!parsed.success) {
        options.onError?.(
          new Error(`connector ${stored.id}: its stored credentials do not fit its adapter`),
          stored.id,
        );
        return null;
      }
      client = adapter.connect(parsed.data, {
        connectorId: stored.id,
        mode: stored.mode,
        publicUrl: options.publicUrl,
      });
      made.set(stored.id, { version, client });
    }
    return { connector, client, adapter };
  };
  let loading: Promise<void> | null = null;
  const refresh = () =>
    (loading ??= (async () => {
      try {
        const rows = await options.load();
        handles = rows.flatMap((row) => build(row) ?? []).sort(byPriority);
      } finally {
        loading = null;
      }
    })());
  await refresh();
  const refreshMs = options.refreshMs ?? 2000;
  const timer =
    refreshMs > 0
      ? setInterval(() => {
          refresh().catch((error: Error) => options.onError?.(error));
        }, refreshMs)
      : null;
  timer?.unref();
  return {
    ...readsOver(() => handles, refresh),
    close: () => {
      if (timer) clearInterval(timer);
    },
  };
}

/** The test-mode sandbox connector `SANDBOX_*` describes, as startup creates it when none exists. */
export function configSandboxConnector(config: Pick<Config, 'sandbox'>, now = new Date(0)): StoredConnector {
  return {
    id: CONFIG_SANDBOX_CONNECTOR_ID,
    provider: 'sandbox',
    mode: 'test',
    methods: sandboxAdapter.methods.map((method) => method.code),
    priority: 100,
    status: 'active',
    pausedReason: null,
    pausedAt: null,
    createdAt: now,
    updatedAt: now,
    credentials: {
      base_url: config.sandbox.url,
      api_key: config.sandbox.apiKey,
      webhook_secret: config.sandbox.webhookSecret,
    },
    credentialsHint: {},
  };
}

/**
 * A registry holding only the sandbox connector `SANDBOX_*` describes, without a database: what
 * tests and tools use to call services directly.
 */
export function providersFromConfig(config: Pick<Config, 'sandbox'>): ProviderRegistry {
  const stored = configSandboxConnector(config);
  const { credentials: _c, credentialsHint: _h, ...connector } = stored;
  return createConnectorRegistry([
    {
      connector,
      client: createSandboxConnector({
        baseUrl: config.sandbox.url,
        apiKey: config.sandbox.apiKey,
        webhookSecret: config.sandbox.webhookSecret,
      }),
      adapter: sandboxAdapter,
    },
  ]);
}

// The first contract, kept while callers move to connectors.

const viewBase = Symbol('connector behind a first-contract provider');
const views = new WeakMap<ConnectorHandle, PaymentProvider>();

/** A connector through the first contract: its verifier is asynchronous now, so the view has none. */
function legacyView(handle: ConnectorHandle): PaymentProvider {
  const known = views.get(handle);
  if (known) return known;
  const { client, connector, adapter } = handle;
  const testMode = connector.mode === 'test';
  const view: PaymentProvider & { [viewBase]: ConnectorHandle } = {
    [viewBase]: handle,
    name: connector.provider,
    methods: connector.methods.map((code) => ({
      code,
      title: adapter.methods.find((method) => method.code === code)?.title ?? code,
      testMode,
    })),
    async createPayment(input) {
      const created = await client.createPayment({ ...input, reference: input.idempotencyKey });
      return { providerPaymentId: created.providerPaymentId ?? '', redirectUrl: created.redirect.url };
    },
    getPaymentStatus: (idempotencyKey) =>
      client.getPaymentStatus({ idempotencyKey, reference: idempotencyKey, providerPaymentId: null }),
    verifyCallback() {
      throw new Error(`connector ${connector.id}: callbacks are verified through its connector`);
    },
    ...(client.refundPayment && { refundPayment: (input) => client.refundPayment!(input) }),
    ...(client.resolvePayoutDestination && {
      resolvePayoutDestination: (destination) => client.resolvePayoutDestination!(destination),
    }),
    ...(client.createPayout && { createPayout: (input) => client.createPayout!(input) }),
    ...(client.report && { report: (period) => client.report!(period) }),
  };
  views.set(handle, view);
  return view;
}

const legacyCapabilities: ReadonlySet<ConnectorCapability> = new Set(['create', 'status', 'webhooks']);

/** A first-contract provider as a connector, over `base` where the provider left the base's own behaviour. */
function connectorFromLegacy(provider: PaymentProvider, base?: ConnectorHandle): PaymentConnector {
  const view = base && legacyView(base);
  const changed = (key: keyof PaymentProvider) => !view || provider[key] !== view[key];
  const own: Partial<PaymentConnector> = {
    ...(changed('createPayment') && {
      async createPayment(input) {
        const created = await provider.createPayment(input);
        return {
          providerPaymentId: created.providerPaymentId,
          redirect: { method: 'GET' as const, url: created.redirectUrl },
        };
      },
    }),
    ...(changed('getPaymentStatus') && { getPaymentStatus: (ref) => provider.getPaymentStatus(ref.idempotencyKey) }),
    ...(changed('verifyCallback') && {
      async verifyCallback(request) {
        const callback: ProviderCallback = provider.verifyCallback(request.rawBody, request.headers, request.now);
        return { kind: 'payment' as const, callback };
      },
    }),
    ...(changed('refundPayment') && { refundPayment: provider.refundPayment }),
    ...(changed('resolvePayoutDestination') && { resolvePayoutDestination: provider.resolvePayoutDestination }),
    ...(changed('createPayout') && { createPayout: provider.createPayout }),
    ...(changed('report') && { report: provider.report }),
  };
  if (base) return Object.assign(Object.create(base.client) as PaymentConnector, own);
  const capabilities = new Set(legacyCapabilities);
  if (provider.refundPayment) capabilities.add('refund');
  if (provider.createPayout) capabilities.add('payout');
  return { provider: provider.name, capabilities, ...(own as Omit<PaymentConnector, 'provider' | 'capabilities'>) };
}

/**
 * A registry over first-contract providers. A provider taken from a registry (and changed) keeps
 * its connector's id, mode and priority; any other becomes one connector per mode of its methods.
 * @deprecated build connectors with {@link createConnectorRegistry}.
 */
export function createProviderRegistry(providers: PaymentProvider[]): ProviderRegistry {
  const handles = providers.flatMap((provider): ConnectorHandle[] => {
    const base = (provider as { [viewBase]?: ConnectorHandle })[viewBase];
    if (base) return [{ ...base, client: connectorFromLegacy(provider, base) }];
    const client = connectorFromLegacy(provider);
    return [true, false].flatMap((testMode) => {
      const methods = provider.methods.filter((method) => method.testMode === testMode);
      if (methods.length === 0) return [];
      const mode = modeOf(testMode);
      return [
        {
          connector: {
            id: `conn_${provider.name.replace(/[^0-9A-Za-z]/g, '')}${mode}`,
            provider: provider.name,
            mode,
            methods: methods.map((method) => method.code),
            priority: 100,
            status: 'active' as const,
            pausedReason: null,
            pausedAt: null,
            createdAt: new Date(0),
            updatedAt: new Date(0),
          },
          client,
          adapter: {
            provider: provider.name,
            methods,
            credentials: sandboxAdapter.credentials,
            secretFields: [],
            referenceFormat: 'kassa' as const,
            connect: () => client,
          },
        },
      ];
    });
  });
  return createConnectorRegistry(handles);
}
