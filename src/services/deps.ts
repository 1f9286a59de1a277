import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { ProviderRegistry } from '../providers/registry';

/** What the API side needs, built once in the composition root. */
export interface ServiceDeps {
  db: Pool;
  temporal: Client;
  providers: ProviderRegistry;
  config: Config;
}
