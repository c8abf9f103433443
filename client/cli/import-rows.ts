// CSV rows → startSubscription inputs. Pure: the import command reads the file and starts them.
import { parse } from 'csv-parse/sync';
import { InvalidInputError } from '../errors.js';
import type { StartSubscriptionInput } from '../subscriptions/start.js';
import { describeError } from './errors.js';
import { COLUMN_NAMES, startInputFrom } from './start-input.js';

/** How describeError names a row's fields: by the columns of `billing import` (cli/field-names.ts). */
const IMPORT_NAMES = { name: 'import', options: {} };

export const IMPORT_COLUMNS = [
  'id',
  'charge_permission_id',
  'amount',
  'amount_minor',
  'currency',
  'interval',
  'anchor',
  'zone',
  'trial',
  'end_after_cycles',
  'end_at',
  'first_charge_id',
  'soft_descriptor',
  'reference',
] as const;
/** Columns every row must fill (and amount or amount_minor). */
export const REQUIRED_COLUMNS = ['id', 'charge_permission_id', 'currency', 'interval', 'anchor'] as const;

export interface ImportRow {
  /** Line of the file the row starts on (the header is line 1). */
  line: number;
  /** The row's id column, when it has one (shown next to a rejection). */
  id?: string;
  input?: StartSubscriptionInput;
  /** Why the row cannot be started; set instead of `input`. */
  problem?: string;
}

/** Header names are matched case-insensitively, with - or space read as _. */
function normaliseHeader(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** One line of the file as CSV fields, or why it is not one (csv-parse's reason without its line count). */
function parseLine(line: string): { fields: string[] } | { problem: string } {
  try {
    const [fields] = parse(line, { trim: true, relax_column_count: true }) as string[][];
    return { fields: fields ?? [] };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]?.replace(/ at line \d+/, '') ?? 'unreadable';
    return { problem: `is not valid CSV (a value cannot span lines): ${reason}` };
  }
}

/**
 * The file's rows, each with its line number. Every record is one line (no column takes a line
 * break), so each line is parsed on its own: a broken quote or a wrong number of fields rejects
 * that row only, and the rows after it are still read. Missing or unknown header columns reject
 * the whole file (nothing could be read right).
 */
export function parseImportCsv(text: string): ImportRow[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((l, index) => ({ line: index + 1, text: l.endsWith('\r') ? l.slice(0, -1) : l }));
  const content = lines.filter((l) => l.text.trim() !== '');
  const headerLine = content[0];
  if (headerLine === undefined) return [];
  const header = parseLine(headerLine.text);
  if ('problem' in header) throw InvalidInputError.of('file', `header (line ${headerLine.line}) ${header.problem}`);
  const columns = header.fields.map(normaliseHeader);
  checkColumns(columns);
  return content.slice(1).map(({ line, text: lineText }) => {
    const parsed = parseLine(lineText);
    if ('problem' in parsed) return { line, problem: `row ${parsed.problem}` };
    const record = Object.fromEntries(columns.map((c, i) => [c, parsed.fields[i] ?? '']));
    const id = record.id === undefined || record.id === '' ? {} : { id: record.id };
    if (parsed.fields.length !== columns.length) {
      return { line, ...id, problem: `row has ${parsed.fields.length} fields, the header has ${columns.length} (${columns.join(', ')})` };
    }
    return toImportRow(record, line);
  });
}

function checkColumns(columns: string[]): void {
  const unknown = columns.filter((c) => !(IMPORT_COLUMNS as readonly string[]).includes(c));
  const missing: string[] = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (!columns.includes('amount') && !columns.includes('amount_minor')) missing.push('amount');
  if (unknown.length > 0 || missing.length > 0) {
    throw InvalidInputError.of(
      'file',
      `${missing.length > 0 ? `lacks column(s) ${missing.join(', ')}` : ''}${missing.length > 0 && unknown.length > 0 ? ' and ' : ''}${unknown.length > 0 ? `has unknown column(s) ${unknown.join(', ')}` : ''}; accepted columns: ${IMPORT_COLUMNS.join(', ')}`,
    );
  }
}

function toImportRow(record: Record<string, string>, line: number): ImportRow {
  try {
    return { line, input: startInputFrom(record, COLUMN_NAMES) };
  } catch (error) {
    const id = record.id === undefined || record.id === '' ? {} : { id: record.id };
    return { line, ...id, problem: describeError(error, IMPORT_NAMES) };
  }
}
