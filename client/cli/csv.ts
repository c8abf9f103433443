// CSV for exports: RFC 4180 from csv-stringify, plus the OWASP CSV-injection guard, because the
// files are opened in spreadsheets and some cells hold text someone typed (ids, status reasons).
import { stringify } from 'csv-stringify/sync';

/**
 * A plain number ("-2.50", "1400", "+3", "-1e5", "-1.5E-3"): one sign, digits with at most one
 * decimal point, and at most one exponent. A spreadsheet reads it as a constant, never a formula,
 * so it is left a number (OWASP: guard what would be evaluated, keep data intact). Anything more —
 * an operator after the first number ("-1+2", "-1e5+1"), a function, a space — is not plain.
 */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/**
 * What makes a spreadsheet evaluate a cell (OWASP "CSV Injection"): a first character of = + - @,
 * tab or carriage return, also behind leading whitespace or quotes (some programs skip those),
 * and the full-width forms of = + - @ that some programs fold to ASCII.
 */
const FORMULA_START = /^[\s"']*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r]/;
/**
 * The same behind a separator inside the cell (`;`, `,`, `|`, tab, line break): a spreadsheet that
 * splits on another separator than ours (`;` in German or French Excel) makes that part a cell of
 * its own. Only spaces and quotes are skipped here, so the pattern stays linear on long runs.
 */
const FORMULA_AFTER_SEPARATOR = /[;,|\t\r\n][ "']*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * The cell as a spreadsheet should show it: text that would start a formula, at its start or
 * behind a separator inside it, gets a leading single quote and is always quoted (OWASP's remedy;
 * the quotes keep it one cell whatever the reader splits on); plain numbers and other text are unchanged.
 */
export function guardSpreadsheetCell(text: string): { value: string; quoted: boolean } {
  if (PLAIN_NUMBER.test(text) || !(FORMULA_START.test(text) || FORMULA_AFTER_SEPARATOR.test(text))) return { value: text, quoted: false };
  return { value: `'${text}`, quoted: true };
}

/** One CSV record, "\n"-terminated; null and undefined are empty cells, numbers stay as written. */
export function csvLine(cells: ReadonlyArray<string | number | null | undefined>): string {
  return stringify([cells.map((cell) => cell ?? null)], {
    cast: { string: (text) => guardSpreadsheetCell(text) },
  });
}
