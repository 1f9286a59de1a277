/**
 * Requests made from an OpenAPI 3.1 document with fast-check: values valid per a JSON Schema
 * (best effort: whether a request is valid is decided by ajv against the document, never by the
 * generator), the same values broken in one place, and a validator for the document's schemas.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';

export type Schema = Record<string, any>;
export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, Schema> };
}

const urls = [
  'https://shop.example',
  'https://shop.example/kassa/notify',
  'http://shop.example:8080/ok?x=1',
  'https://xn--80akhbyknj4f.example/a/b',
];
const emails = ['me@shop.example', 'a.b+c@mail.example', 'orders@xn--80akhbyknj4f.example'];

/** Characters counted as JSON Schema counts them: code points. */
export const codePoints = (text: string) => [...text].length;

function resolve(schema: Schema, document: OpenApiDocument): Schema {
  let current = schema;
  while (current && typeof current.$ref === 'string')
    current = document.components.schemas[current.$ref.split('/').pop()!]!;
  return current;
}

/** Unicode text of any kind: printable graphemes, any code point (NUL and controls included), ASCII. */
const anyText = (minLength: number, maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength, maxLength }),
    fc.string({ unit: 'binary', minLength, maxLength }),
    fc.string({ unit: 'grapheme-ascii', minLength, maxLength }),
  );

/** Real ids by prefix, put where a schema asks for a `prefix_` id (an id Kassa never issued is a `404`). */
export type KnownIds = Record<string, string[]>;

function stringArbitrary(schema: Schema, known: KnownIds): fc.Arbitrary<string> {
  const prefix = /^\^(\w+)_/.exec(schema.pattern ?? '')?.[1];
  if (prefix && known[prefix]?.length) {
    const { pattern, ...rest } = schema;
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...known[prefix]!) },
      { weight: 1, arbitrary: stringArbitrary({ ...rest, pattern }, {}) },
    );
  }
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 10_000;
  const fits = (value: string) => codePoints(value) >= min && codePoints(value) <= max;
  if (schema.format === 'uri') return fc.constantFrom(...urls).filter(fits);
  if (schema.format === 'email') return fc.constantFrom(...emails).filter(fits);
  if (schema.format === 'date-time')
    return fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString());
  if (schema.pattern !== undefined) {
    const pattern = new RegExp(schema.pattern, 'u');
    const anchored = schema.pattern.startsWith('^') && schema.pattern.endsWith('$');
    let fromPattern: fc.Arbitrary<string> | undefined;
    try {
      fromPattern = anchored ? fc.stringMatching(pattern) : undefined;
    } catch {
      // a pattern fast-check cannot generate from (Unicode property classes): any text, kept when it matches
    }
    const matching = fromPattern
      ? fromPattern
      : fc.oneof(
          anyText(min, Math.min(max, 40)),
          fc.constant('x'.repeat(Math.max(min, 1))),
          max <= 5000 ? fc.string({ unit: 'grapheme', minLength: max, maxLength: max }) : fc.constant('x'),
        );
    const keep = (value: string) => pattern.test(value) && fits(value);
    if (!fc.sample(matching, { numRuns: 300, seed: 1 }).some(keep)) {
      throw new Error(
        `no string of ${min}..${max} characters matching ${schema.pattern} turned up in 300 tries: can the document's pattern match anything?`,
      );
    }
    return matching.filter(keep);
  }
  const lengths = [fc.constant(min), fc.constant(Math.min(max, min + 1))];
  if (max <= 5000) lengths.push(fc.constant(max));
  return fc.oneof(
    { weight: 4, arbitrary: anyText(min, Math.min(max, 40)) },
    {
      weight: 1,
      arbitrary: fc.oneof(...lengths).chain((length) =>
        fc.string({
          unit: fc.oneof(fc.constant('a'), fc.constant('я'), fc.constant('😀'), fc.constant(' ')),
          minLength: length,
          maxLength: length,
        }),
      ),
    },
  );
}

/** Values valid per `schema` (most of the time: ajv has the last word). */
export function validValue(
  schema: Schema | undefined,
  document: OpenApiDocument,
  known: KnownIds = {},
  depth = 0,
): fc.Arbitrary<unknown> {
  const resolved = schema === undefined ? {} : resolve(schema, document);
  if (resolved.enum) return fc.constantFrom(...resolved.enum);
  if ('const' in resolved) return fc.constant(resolved.const);
  const alternatives = resolved.anyOf ?? resolved.oneOf;
  if (alternatives)
    return fc.oneof(...alternatives.map((alternative: Schema) => validValue(alternative, document, known, depth + 1)));
  if (Array.isArray(resolved.type)) {
    return fc.oneof(...resolved.type.map((type: string) => validValue({ ...resolved, type }, document, known, depth)));
  }
  switch (resolved.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = resolved.minimum ?? -1_000_000_000;
      const max = resolved.maximum ?? 1_000_000_000;
      return fc.oneof(
        { weight: 12, arbitrary: fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max)) },
        { weight: 1, arbitrary: fc.constantFrom(min - 1, max + 1, min + 0.5) },
      );
    }
    case 'string': {
      // Now and then a value just past a limit (or within it only after trimming): ajv says which.
      const max: number | undefined = resolved.maxLength;
      const edges: string[] = [];
      if (max !== undefined && max <= 5000) edges.push('x'.repeat(max + 1), ` ${'x'.repeat(max)}`, '😀'.repeat(max));
      if ((resolved.minLength ?? 0) > 0) edges.push('', ' '.repeat(resolved.minLength));
      const valid = stringArbitrary(resolved, known);
      if (edges.length === 0 || resolved.enum) return valid;
      return fc.oneof(
        { weight: 12, arbitrary: valid },
        {
          weight: 1,
          arbitrary: fc.oneof(
            fc.constantFrom(...edges),
            valid.map((value) => ` ${value} `),
          ),
        },
      );
    }
    case 'array': {
      const minLength = resolved.minItems ?? 0;
      const maxLength = Math.min(resolved.maxItems ?? 4, depth > 2 ? minLength + 1 : 4);
      const items = validValue(resolved.items, document, known, depth + 1);
      const arrays = fc.array(items, { minLength, maxLength: Math.max(minLength, maxLength) });
      if (resolved.maxItems === undefined || resolved.maxItems > 60) return arrays;
      return fc.oneof(
        { weight: 12, arbitrary: arrays },
        {
          weight: 1,
          arbitrary: fc.array(items, { minLength: resolved.maxItems + 1, maxLength: resolved.maxItems + 1 }),
        },
      );
    }
    case 'object': {
      const properties: Record<string, Schema> = resolved.properties ?? {};
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([name, property]) => [
            name,
            validValue(property, document, known, depth + 1),
          ]),
        ),
        { requiredKeys: resolved.required ?? [] },
      );
      const extra = resolved.additionalProperties;
      if (!extra || extra === true || Object.keys(properties).length > 0) return record;
      const names = resolved.propertyNames
        ? validValue({ type: 'string', ...resolved.propertyNames }, document, known, depth + 1)
        : anyText(0, 12);
      const maxKeys = Math.min(resolved.maxProperties ?? 3, 3);
      return fc.dictionary(names as fc.Arbitrary<string>, validValue(extra, document, known, depth + 1), {
        maxKeys,
        noNullPrototype: true,
      });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Values no schema with a type would take in its place: wrong types, broken strings, huge ones. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e21,
    -1e21,
    [],
    {},
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '١٢٣',
    '٠.٥',
    'NaN',
    '1e3',
    '-1',
    '0x10',
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  anyText(0, 30),
  fc.constantFrom(600, 5_000, 70_000).map((length) => 'x'.repeat(length)),
  // Around the documented limits: one character over, over only before trimming, and astral characters (two UTF-16 units each).
  fc
    .tuple(
      fc.constantFrom(12, 40, 64, 100, 128, 200, 255, 320, 500, 1024, 2048, 4096),
      fc.constantFrom('over', 'padded', 'astral'),
    )
    .map(([limit, kind]) =>
      kind === 'over' ? 'x'.repeat(limit + 1) : kind === 'padded' ? ` ${'x'.repeat(limit)}` : '😀'.repeat(limit),
    ),
  fc.jsonValue({ maxDepth: 2 }),
);

type Path = (string | number)[];

/** Every place in `value` where something can be replaced, dropped or added. */
function places(value: unknown, at: Path = []): Path[] {
  const found: Path[] = [at];
  if (Array.isArray(value)) value.forEach((item, index) => found.push(...places(item, [...at, index])));
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) found.push(...places(item, [...at, key]));
  return found;
}

function edit(value: unknown, path: Path, change: (parent: any, key: string | number) => void): unknown {
  const copy = structuredClone(value);
  let parent: any = copy;
  for (const key of path.slice(0, -1)) parent = parent[key];
  change(parent, path[path.length - 1]!);
  return copy;
}

export type Mutation = 'none' | 'replace' | 'drop' | 'add';

/** `valid` as it is, or broken in one place: a value replaced, a field dropped, a field added. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<{ value: unknown; mutation: Mutation }> {
  return fc
    .tuple(
      valid,
      fc.constantFrom<Mutation>('none', 'none', 'none', 'replace', 'replace', 'drop', 'add'),
      fc.nat(),
      nastyValue,
      fc.oneof(fc.stringMatching(/^[a-z_]{1,12}$/), anyText(0, 8)),
    )
    .map(([value, mutation, index, nasty, field]) => {
      const spots = places(value);
      const path = spots[index % spots.length]!;
      if (mutation === 'replace')
        return {
          value: path.length === 0 ? nasty : edit(value, path, (parent, key) => (parent[key] = nasty)),
          mutation,
        };
      if (mutation === 'drop' && path.length > 0) {
        return {
          value: edit(value, path, (parent, key) =>
            Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key],
          ),
          mutation,
        };
      }
      if (mutation === 'add') {
        const objects = spots.filter((spot) => {
          const target = spot.reduce<any>((current, key) => current[key], value);
          return target && typeof target === 'object' && !Array.isArray(target);
        });
        if (objects.length > 0) {
          const target = objects[index % objects.length]!;
          return { value: edit(value, [...target, field], (parent, key) => (parent[key] = nasty)), mutation };
        }
      }
      return { value, mutation: 'none' as Mutation };
    });
}

/** A query (name → value) broken in one place: a value replaced by any text, a parameter dropped, repeated or added. */
export function mutatedQuery(
  valid: fc.Arbitrary<Record<string, string>>,
): fc.Arbitrary<Record<string, string | string[]>> {
  const text = fc.oneof(
    anyText(0, 30),
    fc.constantFrom('', '-1', '0', '1.5', '1e1', '0x10', ' 5', '101', 'abc', 'x'.repeat(1500)),
  );
  return fc
    .tuple(
      valid,
      fc.constantFrom('none', 'none', 'none', 'replace', 'drop', 'repeat', 'add'),
      fc.nat(),
      text,
      fc.oneof(fc.stringMatching(/^[a-z_]{1,12}$/), anyText(1, 8)),
    )
    .map(([query, mutation, index, value, name]) => {
      const names = Object.keys(query);
      const target = names[index % Math.max(names.length, 1)];
      const copy: Record<string, string | string[]> = { ...query };
      if (mutation === 'add' || target === undefined) copy[name] = value;
      else if (mutation === 'replace') copy[target] = value;
      else if (mutation === 'drop') delete copy[target];
      else if (mutation === 'repeat') copy[target] = [query[target]!, value];
      return copy;
    });
}

/** A validator for the document's schemas (JSON Schema 2020-12, as OpenAPI 3.1 has them). */
export function schemaValidator(document: OpenApiDocument, options: { coerceTypes?: boolean } = {}) {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: false,
    coerceTypes: options.coerceTypes ?? false,
    validateFormats: true,
  });
  addFormats(ajv);
  const cache = new Map<Schema, ValidateFunction>();
  return (schema: Schema, value: unknown): string | null => {
    let validate = cache.get(schema);
    if (!validate) {
      validate = ajv.compile({ ...schema, components: document.components });
      cache.set(schema, validate);
    }
    if (validate(value)) return null;
    const error = validate.errors![0]!;
    return `${error.instancePath || '(root)'} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`;
  };
}
