import { hostVariable, portVariable, readEnv, runSimulator, secretVariable } from '../common/process';
import { listen } from '../common/server';
import { z } from 'zod';
import { createYooKassaApp } from './app';

/**
 * The YooKassa simulator as its own process. Environment (an empty value counts as unset):
 * `YOOKASSA_PORT` (4300), `YOOKASSA_HOST` (127.0.0.1), `YOOKASSA_SHOP_ID` (`100500`),
 * `YOOKASSA_SECRET_KEY` (`test_simulator_secret_key`), `YOOKASSA_NOTIFICATION_URL` (none: set it
 * later with `POST /sim/settings`), `YOOKASSA_PUBLIC_URL` (`http://<host>:<port>`); with
 * `KASSA_PARENT_PID`, it stops once that process is gone.
 */
const env = readEnv(
  {
    YOOKASSA_PORT: portVariable(4300),
    YOOKASSA_HOST: hostVariable,
    YOOKASSA_SHOP_ID: z.string().regex(/^\d{1,20}$/, 'digits, e.g. 100500'),
    YOOKASSA_SECRET_KEY: secretVariable(13).refine((key) => /^(test|live)_/.test(key), 'a key starting test_ or live_'),
    YOOKASSA_NOTIFICATION_URL: z.union([z.literal('none'), z.url({ protocol: /^https?$/, error: 'an http(s) URL' })]),
    YOOKASSA_PUBLIC_URL: z.union([z.literal('auto'), z.url({ protocol: /^https?$/, error: 'an http(s) URL' })]),
  },
  {
    YOOKASSA_PORT: '4300',
    YOOKASSA_HOST: '127.0.0.1',
    YOOKASSA_SHOP_ID: '100500',
    YOOKASSA_SECRET_KEY: 'test_simulator_secret_key',
    YOOKASSA_NOTIFICATION_URL: 'none',
    YOOKASSA_PUBLIC_URL: 'auto',
  },
);

void runSimulator({
  name: 'YooKassa simulator',
  prefix: 'YOOKASSA',
  port: env.YOOKASSA_PORT,
  host: env.YOOKASSA_HOST,
  start: () => {
    const app = createYooKassaApp({
      shopId: env.YOOKASSA_SHOP_ID,
      secretKey: env.YOOKASSA_SECRET_KEY,
      ...(env.YOOKASSA_NOTIFICATION_URL !== 'none' && { notificationUrl: env.YOOKASSA_NOTIFICATION_URL }),
      ...(env.YOOKASSA_PUBLIC_URL !== 'auto' && { publicUrl: env.YOOKASSA_PUBLIC_URL }),
      log: (line) => console.log(line),
    });
    return listen(app, { port: env.YOOKASSA_PORT, host: env.YOOKASSA_HOST, stop: () => app.stopCallbacks() });
  },
});
