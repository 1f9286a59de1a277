import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Observability } from '../observability';
import type { ProviderRegistry } from '../providers/registry';

/** What the API side needs, built once in the composition root. */
export interface ServiceDeps {
  db: Pool;
  temporal: Client;
  /**
   * True when `temporal` runs on the NativeConnection of a worker in this process (worker.ts knows):
   * purchases then start eagerly, their first workflow task handed back with the start call.
   */
  eagerWorkflowStart?: boolean;
  providers: ProviderRegistry;
  config: Config;
  /** Logger, metrics and tracer; absent in apps assembled by hand (tests), which then log nothing. */
  observability?: Observability;
}
