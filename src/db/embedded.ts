import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Connections the embedded server accepts; the pool must not ask for more. */
export const embeddedMaxConnections = 10;

/**
 * Embedded PostgreSQL (PGlite) persisted in `dataDir`, served over TCP on loopback so that
 * `pg` talks to it like to any PostgreSQL. It has one backend session: a transaction makes
 * every other connection wait, so never hold one while awaiting another connection.
 */
export async function startEmbeddedPostgres(dataDir: string, port = 0) {
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: embeddedMaxConnections });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres@${address}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
