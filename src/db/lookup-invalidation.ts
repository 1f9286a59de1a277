import { Client, type Pool } from 'pg';

/** The channel migration 016 notifies on when an API key, a checkout or a merchant changes or goes. */
export const lookupChannel = 'kassa_lookups';

/** What a listener tells the in-memory copies it serves. */
export interface LookupListener {
  /** A row changed or was removed: `api_key:<id>`, `checkout:<id>` or `merchant:<id>`. */
  changed(message: string): void;
  /** Listening (again): anything kept before may have missed a change. */
  connected(): void;
  /** Not listening any more: changes are not heard until {@link LookupListener.connected}. */
  disconnected(): void;
}

/**
 * Listens on {@link lookupChannel} over one connection of its own (outside the pool), with the
 * pool's connection settings, reconnecting after `retryMs` whenever the connection is lost. Every
 * `heartbeatMs` the connection must answer a `select 1` within `heartbeatMs` too, or it counts as
 * lost: a connection that went silent (a network cut that closes nothing) is not trusted for long.
 * Answers the function that stops it.
 */
export function listenForLookupChanges(
  pool: Pool,
  listener: LookupListener,
  { retryMs = 1000, heartbeatMs = 10_000 } = {},
): () => Promise<void> {
  let stopped = false;
  let client: Client | null = null;
  let retry: NodeJS.Timeout | undefined;
  const heartbeat = setInterval(() => {
    const connection = client;
    if (!connection) return;
    const silent = setTimeout(() => lost(connection), heartbeatMs);
    void connection.query('select 1').then(
      () => clearTimeout(silent),
      () => (clearTimeout(silent), lost(connection)),
    );
  }, heartbeatMs);
  heartbeat.unref();

  const lost = (connection: Client) => {
    if (client !== connection) return;
    client = null;
    listener.disconnected();
    connection.end().catch(() => undefined);
    if (!stopped) retry = setTimeout(connect, retryMs);
  };

  async function connect() {
    const connection = new Client({ ...pool.options, keepAlive: true });
    client = connection;
    connection.on('error', () => lost(connection));
    connection.on('end', () => lost(connection));
    connection.on('notification', (message) => {
      if (message.channel === lookupChannel && message.payload) listener.changed(message.payload);
    });
    try {
      await connection.connect();
      await connection.query(`listen ${lookupChannel}`);
      if (client === connection && !stopped) listener.connected();
    } catch (error) {
      if (client === connection && !stopped)
        console.error(`listening for API key and checkout changes, will retry: ${(error as Error).message}`);
      lost(connection);
    }
  }

  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    clearInterval(heartbeat);
    const connection = client;
    client = null;
    listener.disconnected();
    await connection?.end().catch(() => undefined);
  };
}
