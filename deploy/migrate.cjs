// The compose job `migrate`: applies Kassa's migrations and seals webhook secrets still stored in
// plain text, then exits 0, so that no API or worker starts on an older schema. The API and the
// workers run the same steps at their start (a no-op by then, under the same advisory lock).
// Plain JavaScript over the compiled code in dist/ (KASSA_DIST overrides where that is).
const path = require('node:path');

const dist = process.env.KASSA_DIST || path.join(__dirname, '..', 'dist');
const { ConfigError, loadConfig } = require(path.join(dist, 'src/config'));
const { createPool } = require(path.join(dist, 'src/db/pool'));
const { migrate } = require(path.join(dist, 'src/db/migrate'));
const { sealPlaintextWebhookSecrets } = require(path.join(dist, 'src/db/checkouts'));
const { resealSecrets } = require(path.join(dist, 'src/db/secret-rotation'));
const { notificationsKey } = require(path.join(dist, 'src/notifications/secrets'));

async function main() {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL: required to run the migrations');
  const pool = createPool(config.databaseUrl, 1);
  try {
    const applied = await migrate(pool);
    const sealed = await sealPlaintextWebhookSecrets(pool, notificationsKey(config));
    const resealed = await resealSecrets(pool, notificationsKey(config), config.notifications.previousKeys);
    console.log(
      `migrations: ${applied.length > 0 ? `${applied.length} applied (${applied.join(', ')})` : 'up to date'}; ` +
        `${sealed} webhook secret(s) sealed` +
        (resealed.checkouts + resealed.channels > 0
          ? `; sealed again with the new key: ${resealed.checkouts} checkout(s), ${resealed.channels} channel(s)`
          : ''),
    );
  } finally {
    await pool.end();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : `migrate: ${error.message}`);
    process.exit(1);
  },
);
