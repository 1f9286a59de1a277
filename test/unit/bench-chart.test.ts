import { type ChartInput, distribution, escapeXml, renderChart } from '../../scripts/bench/chart';

/**
 * Well-formedness as an XML parser checks it, for the subset the chart writes: one prolog, elements
 * that nest and close, attributes quoted and not repeated, no raw `<` or stray `&` in text or values.
 * Returns the problems found (none for a well-formed document).
 */
function xmlProblems(document: string): string[] {
  const problems: string[] = [];
  const body = document.replace(/^<\?xml [^?]*\?>\n/, '');
  if (body === document) problems.push('no XML declaration');
  const stack: string[] = [];
  let roots = 0;
  const badText = (text: string) => /<|&(?!(amp|lt|gt|quot|apos);)/.test(text);
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  for (let match = token.exec(body); match; match = token.exec(body)) {
    const [, closing, name, attributes, selfClosing, text, stray] = match;
    if (stray) {
      problems.push(`unparsable markup at ${match.index}: ${body.slice(match.index, match.index + 40)}`);
      break;
    }
    if (text !== undefined) {
      if (badText(text)) problems.push(`raw markup character in text: ${text}`);
      if (stack.length === 0 && text.trim()) problems.push(`text outside the root: ${text}`);
      continue;
    }
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
      continue;
    }
    const seen = new Set<string>();
    for (const [, attribute, value] of attributes!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (seen.has(attribute!)) problems.push(`<${name}> repeats ${attribute}`);
      seen.add(attribute!);
      if (badText(value!)) problems.push(`<${name} ${attribute}> has a raw markup character: ${value}`);
    }
    if (stack.length === 0) roots += 1;
    if (!selfClosing) stack.push(name!);
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

const fixture: ChartInput = {
  title: 'Kassa benchmark (full, 2026-11-30T20:00:00.000Z)',
  subtitle: 'embedded <database> & "durable" defaults; load average 0.10 0.20 0.30',
  trend: [
    { afterPayments: 0, ratePerSecond: 13.2 },
    { afterPayments: 1_000, ratePerSecond: 13.6 },
    { afterPayments: 25_000, ratePerSecond: NaN },
    { afterPayments: 50_000, ratePerSecond: 12.9 },
  ],
  latencies: [
    { label: 'create at 50% of max rate', distribution: distribution([8, 9, 10, 12, 15, 40, 120]) },
    { label: 'callback → webhook, 1 in flight', distribution: distribution([30, 31, 35, 44, 52, 98]) },
    { label: 'floor signal → activity, <4> & more', distribution: distribution([0.4, 11, 12, 13, 19]) },
    { label: 'callback → webhook, 4 in flight', distribution: distribution([]) },
    { label: 'floor signal → activity, 4 in flight', distribution: undefined },
  ],
};

describe('the benchmark chart', () => {
  const svg = renderChart(fixture);

  test('is a well-formed SVG document', () => {
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toMatch(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  });

  test('the checker itself finds a repeated attribute, a raw ampersand and an unclosed element', () => {
    expect(xmlProblems('<?xml version="1.0"?>\n<svg a="1" a="2"><text>a & b</text><g></svg>')).toEqual([
      '<svg> repeats a',
      'raw markup character in text: a & b',
      '</svg> closes <g>',
      'unclosed: svg',
    ]);
  });

  test('draws the throughput line through every finite point, and a row for every latency series', () => {
    const line = /<polyline class="series" data-series="throughput" points="([^"]+)"/.exec(svg);
    expect(line?.[1]!.split(' ')).toHaveLength(3);
    expect(svg).toContain('data-series="create at 50% of max rate"');
    expect(svg).toContain('data-series="callback → webhook, 1 in flight"');
    expect(svg).toContain('data-series="floor signal → activity, &lt;4&gt; &amp; more"');
    expect(svg).toContain('p50 12 · p99 120 (n=7)');
    expect(svg.match(/>not measured</g)).toHaveLength(2);
  });

  test('escapes text, has no NaN or Infinity, and gives the same bytes for the same input', () => {
    expect(svg).toContain('embedded &lt;database&gt; &amp; &quot;durable&quot; defaults');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(renderChart(fixture)).toBe(svg);
  });

  test('an empty run still gives a chart that says what was not measured', () => {
    const empty = renderChart({ title: 'smoke', subtitle: '', trend: [], latencies: [] });
    expect(xmlProblems(empty)).toEqual([]);
    expect(empty).toContain('not measured in this run');
    expect(empty).not.toMatch(/NaN|Infinity/);
  });

  test('escapeXml escapes the five XML special characters', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
