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

/** One run's history, as `shapeOf(…, withTypes)` reads it. */
interface ShapeOfRun {
  events: number;
  transitions: number;
  types?: Record<string, number>;
}

/**
 * A paid payment's history beside the floor run's, event type by event type, rows that differ
 * marked: the floor (scripts/bench/floor-workflow.ts) must follow the purchase's shape.
 * Empty when the shape was not measured.
 */
export function shapeTable(shape: { purchase: ShapeOfRun; floor: ShapeOfRun } | undefined): string[] {
  if (!shape) return [];
  const { purchase, floor } = shape;
  const types = [...new Set([...Object.keys(purchase.types ?? {}), ...Object.keys(floor.types ?? {})])].sort();
  const row = (name: string, a: number, b: number) => `| ${name} | ${a} | ${b} | ${a === b ? '' : '**differs**'} |`;
  return [
    'Shape of one paid payment beside one floor run (history events by type):',
    '',
    '| event type | purchase | floor | |',
    '|---|---|---|---|',
    ...types.map((type) => row(type, purchase.types?.[type] ?? 0, floor.types?.[type] ?? 0)),
    row('**events**', purchase.events, floor.events),
    row('**state transitions**', purchase.transitions, floor.transitions),
    '',
  ];
}
