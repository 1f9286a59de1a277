import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Observability } from '../observability';
import type { ProviderRegistry } from '../providers/registry';
import type { Starter } from '../temporal/start';
import type { StartedMarks } from '../temporal/started-marks';
import type { LookupCache } from './lookup-cache';

/** What the API side needs, built once in the composition root. */
export interface ServiceDeps extends Starter {
  db: Pool;
  providers: ProviderRegistry;
  config: Config;
  /** Logger, metrics and tracer; absent in apps assembled by hand (tests), which then log nothing. */
  observability?: Observability;
  /** API keys and checkouts kept in memory for the merchant API; absent, every request reads the database. */
  lookups?: LookupCache;
  /** Payments' "workflow started" marks, written after the answer; absent, each create writes its own first. */
  startedMarks?: StartedMarks;
}
