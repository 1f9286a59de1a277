/** The list envelope every list answer shares: one page of `data`, and whether more follow. */
export interface ListResource<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

export function listResource<T>(data: T[], hasMore = false): ListResource<T> {
  return { object: 'list', data, has_more: hasMore };
}
