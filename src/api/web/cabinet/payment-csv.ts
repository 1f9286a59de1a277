/**
 * CSV for spreadsheets (RFC 4180): every cell quoted when it needs to be, and a cell a spreadsheet
 * would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is
 * prefixed with `'` so that it stays text.
 */

const formulaStart = /^[=+\-@\t\r]/;

/** One cell, safe to open in a spreadsheet. */
export function csvCell(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (formulaStart.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One line of cells, ended by CRLF. */
export const csvRow = (cells: readonly (string | number | bigint | null | undefined)[]): string =>
  `${cells.map(csvCell).join(',')}\r\n`;
