/**
 * WebMoney's X14 (fee-free refund) over TLS with the WMID's X.509 client certificate (WM Keeper
 * WebPro authorization), each failure classified once.
 */
import { request as httpsRequest } from 'node:https';
import { ProviderError } from '../types';
import { nextReqn, parseX14Answer, type X14Answer, x14Request } from './mapper';

export interface X14ClientOptions {
  /** W3S, e.g. `https://w3s.wmtransfer.com`. */
  baseUrl: string;
  /** The WMID's client certificate and its private key (PEM). */
  cert: string;
  key: string;
  /** The CA W3S's server certificate is checked against (PEM); the system's when absent. */
  ca?: string;
  /** Per request. Default 20 000. */
  timeoutMs?: number;
  now?: () => number;
}

/** The refund's outcome: WebMoney's answer, or `lost` when the request left and no answer came. */
export type X14Result = { kind: 'answer'; answer: X14Answer } | { kind: 'lost'; reason: string };

export interface X14Client {
  /** X14: gives `amount` (`10.00`) of transaction `wmtranid` back to the purse it came from. */
  refund(wmtranid: string, amount: string): Promise<X14Result>;
}

/**
 * A TLS failure that says no to the certificates: W3S refused the client certificate (an alert),
 * or its own certificate does not verify. Nothing was processed, and asking again cannot help.
 */
const tlsRefusal = (code: string | undefined) =>
  code !== undefined && (/^ERR_SSL_.*ALERT/.test(code) || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code));

/** The process's last X14 `reqn`, shared by every connector: WMIDs may sign for several purses. */
let previousReqn = 0n;

export function createX14Client(opts: X14ClientOptions): X14Client {
  const url = new URL(`${opts.baseUrl.replace(/\/+$/, '')}/asp/XMLTransMoneybackCert.asp`);
  if (url.protocol !== 'https:') throw new ProviderError('definite', 'x14_not_https', 'X14 is only spoken over TLS');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const now = opts.now ?? Date.now;
  return {
    refund(wmtranid, amount) {
      const reqn = nextReqn(now(), previousReqn);
      previousReqn = reqn;
      const body = Buffer.from(x14Request(reqn, wmtranid, amount), 'utf8');
      return new Promise<X14Result>((resolve, reject) => {
        let sent = false;
        const req = httpsRequest(
          url,
          {
            method: 'POST',
            cert: opts.cert,
            key: opts.key,
            ...(opts.ca && { ca: opts.ca }),
            headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': body.length },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', (error) => resolve({ kind: 'lost', reason: `X14: ${error.message}` }));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status < 200 || status > 299) {
                // The page answered without an answer of X14: whether it refunded is unknown.
                resolve({ kind: 'lost', reason: `X14: HTTP ${status}` });
                return;
              }
              const answer = parseX14Answer(Buffer.concat(chunks).toString('utf8'));
              resolve(answer ? { kind: 'answer', answer } : { kind: 'lost', reason: 'X14: not a w3s.response' });
            });
          },
        );
        req.on('finish', () => {
          sent = true;
        });
        req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (tlsRefusal(error.code))
            reject(new ProviderError('definite', 'x14_tls_refused', `X14: TLS refused (${error.code})`));
          else if (sent) resolve({ kind: 'lost', reason: `X14: ${error.code ?? error.message}` });
          else reject(new ProviderError('transient', 'unreachable', `X14: ${error.code ?? error.message}, not sent`));
        });
        req.end(body);
      });
    },
  };
}
