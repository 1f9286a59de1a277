import { listMerchantDirectory, type MerchantDirectoryEntry } from '../db/merchant-directory';
import { invalid } from '../domain/errors';
import { isId } from '../domain/ids';
import type { ServiceDeps } from './deps';

export type { MerchantDirectoryEntry } from '../db/merchant-directory';

/**
 * The operator's list of merchants, newest first: `search` matches part of a name or an e-mail, or
 * a whole merchant id; `startingAfter` is the last id of the previous page.
 */
export async function listMerchants(
  deps: Pick<ServiceDeps, 'db'>,
  query: { search?: string; limit: number; startingAfter?: string },
): Promise<{ merchants: MerchantDirectoryEntry[]; hasMore: boolean }> {
  if (query.search !== undefined && query.search.length > 200) throw invalid('q', 'q: at most 200 characters');
  if (query.startingAfter !== undefined && !isId('mer', query.startingAfter))
    throw invalid('after', 'after: a merchant id');
  return listMerchantDirectory(deps.db, { ...query, search: query.search?.trim() || undefined });
}
