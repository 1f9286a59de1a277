/** Moved to src/temporal/search-attributes.ts; kept until every caller imports it from there. */
export { ensureSearchAttributes } from '../temporal/search-attributes';
