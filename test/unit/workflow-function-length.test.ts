import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

// Workflow code stays readable step by step: no function under src/workflows is longer than 80
// lines (counted from its first line to its last, comments included).
const maxLines = 80;
const workflowsDir = path.resolve(__dirname, '../../src/workflows');

interface FunctionLength {
  name: string;
  line: number;
  lines: number;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  if (ts.isVariableDeclaration(node.parent) || ts.isPropertyDeclaration(node.parent)) {
    return node.parent.name.getText(source);
  }
  if (ts.isPropertyAssignment(node.parent)) return node.parent.name.getText(source);
  return '(anonymous)';
}

/** Every function, method, arrow function and constructor in `text`, with how many lines it spans. */
export function functionLengths(fileName: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ name: nameOf(node, source), line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function workflowFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return workflowFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

test('the measure finds functions of every kind and counts their lines, nested ones apart', () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const text = [
    `export async function long() {\n${body(85)}\n}`,
    `const arrow = () => {\n${body(3)}\n};`,
    `class Purchase {\n  method() {\n${body(2)}\n  }\n  field = () => {\n${body(1)}\n  };\n}`,
    `function outer() {\n  const inner = () => 1;\n  return inner;\n}`,
  ].join('\n');
  const lengths = Object.fromEntries(functionLengths('sample.ts', text).map((entry) => [entry.name, entry.lines]));
  expect(lengths).toEqual({ long: 87, arrow: 5, method: 4, field: 3, outer: 4, inner: 1 });
});

test(`no function under src/workflows is longer than ${maxLines} lines`, () => {
  const files = workflowFiles(workflowsDir);
  expect(files.map((file) => path.relative(workflowsDir, file))).toEqual(
    expect.arrayContaining(['purchase.ts', 'refund.ts', 'payout.ts', 'notifications.ts']),
  );
  const tooLong = files.flatMap((file) =>
    functionLengths(file, fs.readFileSync(file, 'utf8'))
      .filter((entry) => entry.lines > maxLines)
      .map((entry) => `${path.relative(workflowsDir, file)}:${entry.line} ${entry.name} (${entry.lines} lines)`),
  );
  expect(tooLong).toEqual([]);
});
