import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { hostVariable, portVariable, readEnv, runSimulator, secretVariable } from '../common/process';
import { startWebMoneyServer } from './server';

/**
 * The WebMoney Merchant simulator as its own process. Environment (an empty value counts as unset):
 * `WEBMONEY_PORT` (4300), `WEBMONEY_HOST` (127.0.0.1), `WEBMONEY_WMID` (`123456789012`),
 * `WEBMONEY_SECRET_KEY` (`webmoney_dev_secret`: every purse's Secret Key), `WEBMONEY_HASH_METHOD`
 * (`sha256` or `md5`), `WEBMONEY_LIVE_PURSES` (comma-separated purses in work mode; all others are
 * in test mode); X14 over mutual TLS when `WEBMONEY_X14_TLS_DIR` names a directory holding
 * `server.crt`, `server.key` and `ca.crt` (the CA of the client certificates it takes), on
 * `WEBMONEY_X14_PORT` (4301); with `KASSA_PARENT_PID`, it stops once that process is gone.
 */
const env = readEnv(
  {
    WEBMONEY_PORT: portVariable(4300),
    WEBMONEY_HOST: hostVariable,
    WEBMONEY_WMID: z.string().regex(/^\d{12}$/, 'a 12-digit WMID'),
    WEBMONEY_SECRET_KEY: secretVariable(8),
    WEBMONEY_HASH_METHOD: z.enum(['sha256', 'md5']),
    WEBMONEY_X14_PORT: portVariable(4301),
    WEBMONEY_X14_TLS_DIR: z.string().max(4096),
    WEBMONEY_LIVE_PURSES: z
      .string()
      .regex(/^(-|[A-Z]\d{12}(,[A-Z]\d{12})*)$/, 'comma-separated purses (a letter and 12 digits), or -'),
  },
  {
    WEBMONEY_PORT: '4300',
    WEBMONEY_HOST: '127.0.0.1',
    WEBMONEY_WMID: '123456789012',
    WEBMONEY_SECRET_KEY: 'webmoney_dev_secret',
    WEBMONEY_HASH_METHOD: 'sha256',
    WEBMONEY_LIVE_PURSES: '-',
    WEBMONEY_X14_PORT: '4301',
    WEBMONEY_X14_TLS_DIR: '-',
  },
);

void runSimulator({
  name: 'WebMoney simulator',
  prefix: 'WEBMONEY',
  port: env.WEBMONEY_PORT,
  host: env.WEBMONEY_HOST,
  start: () =>
    startWebMoneyServer({
      port: env.WEBMONEY_PORT,
      host: env.WEBMONEY_HOST,
      wmid: env.WEBMONEY_WMID,
      secretKey: env.WEBMONEY_SECRET_KEY,
      hashMethod: env.WEBMONEY_HASH_METHOD,
      livePurses: env.WEBMONEY_LIVE_PURSES === '-' ? [] : env.WEBMONEY_LIVE_PURSES.split(','),
      ...(env.WEBMONEY_X14_TLS_DIR !== '-' && {
        x14: {
          port: env.WEBMONEY_X14_PORT,
          cert: readFileSync(`${env.WEBMONEY_X14_TLS_DIR}/server.crt`, 'utf8'),
          key: readFileSync(`${env.WEBMONEY_X14_TLS_DIR}/server.key`, 'utf8'),
          ca: readFileSync(`${env.WEBMONEY_X14_TLS_DIR}/ca.crt`, 'utf8'),
        },
      }),
      log: (line) => console.log(line),
    }),
});
