import type { Config } from '../config';
import { createSandboxProvider } from './sandbox';
import type { ProviderMethod } from '../domain/methods';
import type { PaymentProvider } from './types';

/** The one place providers are listed. */
export interface ProviderRegistry {
  byName(name: string): PaymentProvider | undefined;
  forMethod(code: string): PaymentProvider | undefined;
  /** Methods a payment may offer: sandbox ones in test mode, real ones in live mode. */
  methods(testMode: boolean): ProviderMethod[];
}

export function createProviderRegistry(providers: PaymentProvider[]): ProviderRegistry {
  const byMethod = new Map(
    providers.flatMap((provider) => provider.methods.map((method) => [method.code, provider] as const)),
  );
  return {
    byName: (name) => providers.find((provider) => provider.name === name),
    forMethod: (code) => byMethod.get(code),
    methods: (testMode) =>
      providers.flatMap((provider) => provider.methods.filter((method) => method.testMode === testMode)),
  };
}

export function providersFromConfig(config: Config): ProviderRegistry {
  return createProviderRegistry([
    createSandboxProvider({
      baseUrl: config.sandbox.url,
      apiKey: config.sandbox.apiKey,
      webhookSecret: config.sandbox.webhookSecret,
    }),
  ]);
}
