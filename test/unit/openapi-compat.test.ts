import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocument } from '../../src/api/openapi';

/**
 * The published OpenAPI document may only grow: every path, operation, parameter, response and
 * schema property it ever promised must still be there, unchanged. `test/fixtures/openapi-published.json`
 * is the document as last published; refresh it only by adding to it.
 */
const published = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/openapi-published.json'), 'utf8'));

/** Where `now` drops or changes what `before` says; additions (new keys, new array items) are allowed. */
function removals(before: unknown, now: unknown, at: string): string[] {
  if (Array.isArray(before)) {
    if (!Array.isArray(now)) return [`${at}: was an array`];
    const keep = now.map((item) => JSON.stringify(item));
    return before.flatMap((item, index) => {
      if (typeof item !== 'object' || item === null) {
        return keep.includes(JSON.stringify(item)) ? [] : [`${at}[${index}]: ${JSON.stringify(item)} is gone`];
      }
      const match = now.find((candidate) => removals(item, candidate, '').length === 0);
      return match ? [] : [`${at}[${index}]: ${JSON.stringify(item).slice(0, 200)} is gone or changed`];
    });
  }
  if (typeof before === 'object' && before !== null) {
    if (typeof now !== 'object' || now === null || Array.isArray(now)) return [`${at}: was an object`];
    return Object.entries(before).flatMap(([key, value]) =>
      key in now ? removals(value, (now as Record<string, unknown>)[key], `${at}/${key}`) : [`${at}/${key} is gone`],
    );
  }
  return Object.is(before, now) ? [] : [`${at}: ${JSON.stringify(before)} became ${JSON.stringify(now)}`];
}

test('the OpenAPI document keeps everything it published, changed only by additions', () => {
  expect(removals(published, openApiDocument('https://kassa.example'), '')).toEqual([]);
});

test('the check sees a removed operation, a changed type and a dropped enum value', () => {
  const now = JSON.parse(JSON.stringify(published));
  const somePath = Object.keys(now.paths)[0]!;
  const method = Object.keys(now.paths[somePath])[0]!;
  delete now.paths[somePath][method];
  now.info.title = 'Other';
  expect(removals(published, now, '')).toEqual(
    expect.arrayContaining([
      `/paths/${somePath}/${method} is gone`,
      `/info/title: "${published.info.title}" became "Other"`,
    ]),
  );
  const withEnum = Object.entries(
    published.components.schemas as Record<string, { properties?: Record<string, { enum?: string[] }> }>,
  )
    .flatMap(([name, schema]) =>
      Object.entries(schema.properties ?? {}).map(([property, value]) => ({ name, property, value })),
    )
    .find(({ value }) => Array.isArray(value.enum) && value.enum.length > 1)!;
  const shrunk = JSON.parse(JSON.stringify(published));
  shrunk.components.schemas[withEnum.name].properties[withEnum.property].enum.pop();
  expect(removals(published, shrunk, '')).not.toEqual([]);
});
