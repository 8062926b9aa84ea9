/**
 * A spreadsheet opening the export would run a cell starting with one of these as a formula (CSV injection):
 * `= + - @` (also their full-width forms `＝＋－＠` and the small forms `﹦﹢﹣﹫`, which spreadsheets with East
 * Asian input normalise to them), after any leading whitespace (Excel and LibreOffice skip it), and a leading
 * tab or carriage return.
 */
const FORMULA_START = /^(\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B]|[\t\r])/u;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One RFC 4180 cell: quoted when it holds a comma, quote or line break (quotes doubled). Text that a
 * spreadsheet would take for a formula is prefixed with `'` (OWASP's CSV injection advice); numbers are ours.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) {
    return '';
  }
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) {
    text = `'${text}`;
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, CRLF-terminated as RFC 4180 has it. */
export function csvLine(cells: readonly (string | number | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
