import busboy from 'busboy';
import { type Request, type Response, Router } from 'express';
import { phpFields, SciFieldsError } from '../../domain/sci-fields';
import type { SciFields } from '../../domain/sci-signature';
import type { ServiceDeps } from '../../services/deps';
import { SciRefusal, sciLocale, sciWantsJson, takeSciForm } from '../../services/sci';
import { findUnsafeInput } from '../input-safety';
import { paywayJson, sciLanguage, sciPaywaysPage, sciProcessJson, sciRefusalJson, sciRefusalPage } from '../sci-pages';

/** How much of a form is read: a shop's form is a few kilobytes. */
export const sciLimits = { bodyBytes: 64 * 1024, fields: 200, fieldBytes: 16 * 1024, fieldNameBytes: 256 } as const;

/** A form Kassa will not read: too large (413) or not a form (400). */
class UnreadableForm extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly field: string,
    message: string,
    /** The fields read before it stopped: they may still say which interface to answer in. */
    readonly readSoFar: [string, string][] = [],
  ) {
    super(message);
  }
}

const tooLarge = (what: string) =>
  new UnreadableForm(
    413,
    'body',
    `the form is too large: ${what} (at most ${sciLimits.bodyBytes} bytes, ${sciLimits.fields} fields)`,
  );

function readRaw(req: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > sciLimits.bodyBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(`${size}+ bytes`));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function urlencodedPairs(text: string): [string, string][] {
  const pairs = [...new URLSearchParams(text)];
  if (pairs.length > sciLimits.fields) {
    const error = tooLarge(`${pairs.length} fields`);
    throw new UnreadableForm(error.status, error.field, error.message, pairs);
  }
  for (const [name, value] of pairs) {
    if (Buffer.byteLength(name) > sciLimits.fieldNameBytes || Buffer.byteLength(value) > sciLimits.fieldBytes) {
      throw tooLarge(`the field ${name.slice(0, 40)}`);
    }
  }
  return pairs;
}

/** A multipart form (what PHP's cURL sends for an array body), fields only, UTF-8. */
function multipartPairs(req: Request): Promise<[string, string][]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defCharset: 'utf8',
        defParamCharset: 'utf8',
        limits: {
          fields: sciLimits.fields,
          fieldSize: sciLimits.fieldBytes,
          fieldNameSize: sciLimits.fieldNameBytes,
          files: 0,
          parts: sciLimits.fields,
        },
      });
    } catch {
      reject(new UnreadableForm(400, 'body', 'the multipart form has no boundary'));
      return;
    }
    const pairs: [string, string][] = [];
    let size = 0;
    let failed = false;
    const fail = (error: UnreadableForm) => {
      if (failed) return;
      failed = true;
      req.unpipe(parser);
      req.resume();
      reject(new UnreadableForm(error.status, error.field, error.message, pairs));
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > sciLimits.bodyBytes) fail(tooLarge(`${size}+ bytes`));
    });
    parser.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) fail(tooLarge(`the field ${name.slice(0, 40)}`));
      else pairs.push([name, value]);
    });
    parser.on('file', (name, stream) => {
      stream.resume();
      fail(new UnreadableForm(400, name, `${name} is a file; the form takes text fields only`));
    });
    parser.on('fieldsLimit', () => fail(tooLarge('too many fields')));
    parser.on('partsLimit', () => fail(tooLarge('too many parts')));
    parser.on('filesLimit', () => fail(new UnreadableForm(400, 'body', 'the form takes text fields only')));
    parser.on('error', () => fail(new UnreadableForm(400, 'body', 'the multipart form is malformed')));
    parser.on('close', () => {
      if (!failed) resolve(pairs);
    });
    req.pipe(parser);
  });
}

/** The form's fields: the query of a GET, the body of a POST (form-encoded or multipart). */
async function formOf(req: Request): Promise<SciFields> {
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  let pairs: [string, string][];
  if (req.method !== 'POST') pairs = urlencodedPairs(query);
  else if (req.is('multipart/form-data')) pairs = await multipartPairs(req);
  else if (req.is('application/x-www-form-urlencoded')) pairs = urlencodedPairs((await readRaw(req)).toString('utf8'));
  else if (!req.headers['content-type'] && !Number(req.headers['content-length'] ?? 0)) pairs = urlencodedPairs(query);
  else
    throw new UnreadableForm(400, 'body', 'the form must be application/x-www-form-urlencoded or multipart/form-data');
  const fields = phpFields(pairs);
  const unsafe = findUnsafeInput(fields, [], { cards: false });
  if (unsafe) throw new UnreadableForm(400, unsafe.param ?? 'body', unsafe.message);
  return fields;
}

/** `ik_int` and `ik_loc` of a form that could not be read whole, to answer in its interface and language. */
function interfaceFields(pairs: [string, string][]): SciFields {
  const fields = Object.create(null) as SciFields;
  for (const [name, value] of pairs) if (name === 'ik_int' || name === 'ik_loc') fields[name] = value;
  return fields;
}

/** Answers a refusal in the interface the form asked for: JSON or a page in the buyer's language. */
function answerRefusal(res: Response, req: Request, fields: SciFields, refusal: SciRefusal, status: number) {
  if (sciWantsJson(fields)) return res.status(status).json(sciRefusalJson(refusal));
  res
    .status(status)
    .type('html')
    .send(sciRefusalPage(refusal, sciLanguage(sciLocale(fields), req.headers['accept-language'])));
}

/**
 * Interkassa's SCI at `{PUBLIC_URL}/sci` and `/sci/` (docs/interkassa.md): a shop's form, GET or
 * POST, form-encoded or multipart, UTF-8. No authentication: the form's `ik_sign` is its proof.
 */
export function sciRoutes(deps: ServiceDeps): Router {
  const router = Router();
  const take = async (req: Request, res: Response) => {
    let fields: SciFields = Object.create(null) as SciFields;
    try {
      fields = await formOf(req);
      const outcome = await takeSciForm(deps, fields);
      const json = sciWantsJson(fields);
      if (outcome.action === 'process') {
        if (json) return res.json(sciProcessJson(outcome.payment, outcome.next));
        return res.redirect(303, outcome.next);
      }
      const single = outcome.action === 'payway';
      if (json) {
        const payways = outcome.quotes.map((quote) => paywayJson(quote, outcome.currency));
        return res.json({
          resultCode: '0',
          resultMsg: 'Success',
          resultData: single ? { payway: payways[0] } : { payways },
        });
      }
      res
        .type('html')
        .send(
          sciPaywaysPage(
            outcome.quotes,
            outcome.currency,
            sciLanguage(sciLocale(fields), req.headers['accept-language'], outcome.checkout.locale),
            single,
          ),
        );
    } catch (error) {
      if (error instanceof SciRefusal) return answerRefusal(res, req, fields, error, 400);
      if (error instanceof UnreadableForm) {
        const refusal = new SciRefusal('body_invalid', error.field, error.message);
        return answerRefusal(res, req, interfaceFields(error.readSoFar), refusal, error.status);
      }
      if (error instanceof SciFieldsError) {
        return answerRefusal(res, req, fields, new SciRefusal('body_invalid', error.field, error.message), 400);
      }
      throw error;
    }
  };
  // a HEAD (a link checker, a preview) makes no payment
  router.head('/', (_req, res) => {
    res.status(200).type('html').end();
  });
  router.get('/', take);
  router.post('/', take);
  return router;
}
