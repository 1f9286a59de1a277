import type { Pool, PoolClient } from 'pg';

/** The pool with every statement's text counted, on its own connections and on the ones it lends. */
export function countingPool(pool: Pool): { db: Pool; statements: string[] } {
  const statements: string[] = [];
  const textOf = (args: unknown[]) =>
    typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text);
  const countQueries = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(inner, property) {
        const value = Reflect.get(inner, property, inner) as unknown;
        if (property === 'query')
          return (...args: unknown[]) => {
            statements.push(textOf(args));
            return (value as (...a: unknown[]) => unknown).apply(inner, args);
          };
        if (property === 'connect')
          return async () => countQueries((await (value as () => Promise<PoolClient>).apply(inner)) as PoolClient);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(inner) : value;
      },
    });
  return { db: countQueries(pool), statements };
}
