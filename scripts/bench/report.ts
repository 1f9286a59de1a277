/** The benchmark's figures as a markdown table and as JSON. */

export interface Figure {
  figure: string;
  value: string;
  target: string;
  /** `null`: informational, no target. */
  pass: boolean | null;
}

export function figure(name: string, value: string, target = '—', pass: boolean | null = null): Figure {
  return { figure: name, value, target, pass };
}

export function markdownTable(figures: Figure[]): string {
  const rows = figures.map(
    (f) => `| ${f.figure} | ${f.value} | ${f.target} | ${f.pass === null ? '' : f.pass ? 'pass' : '**miss**'} |`,
  );
  return ['| figure | value | target | |', '|---|---|---|---|', ...rows].join('\n');
}

/** `12.3`, `n/a` for what was not measured. */
export function fmt(value: number | undefined, digits = 1, unit = ''): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return `${value.toFixed(digits)}${unit}`;
}
