// CSV rows → startSubscription inputs. Pure: the import command reads the file and starts them.
import { parse } from 'csv-parse/sync';
import { InvalidInputError } from '../errors.js';
import type { StartSubscriptionInput } from '../subscriptions/start.js';
import { amountMinorFrom, parseIntervalText } from './values.js';

export const IMPORT_COLUMNS = [
  'id', 'charge_permission_id', 'amount', 'amount_minor', 'currency', 'interval', 'anchor', 'zone',
  'trial', 'end_after_cycles', 'end_at', 'first_charge_id', 'soft_descriptor', 'reference',
] as const;
const REQUIRED = ['id', 'charge_permission_id', 'currency', 'interval', 'anchor'] as const;

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
  return name.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

export function parseImportCsv(text: string): ImportRow[] {
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, { columns: (header: string[]) => header.map(normaliseHeader), skip_empty_lines: true, trim: true, info: true, bom: true }) as typeof records;
  } catch (error) {
    throw InvalidInputError.of('file', `is not valid CSV: ${(error as Error).message.split('\n')[0]}`);
  }
  const first = records[0];
  if (first) {
    const columns = Object.keys(first.record);
    const unknown = columns.filter((c) => !(IMPORT_COLUMNS as readonly string[]).includes(c));
    const missing = REQUIRED.filter((c) => !columns.includes(c));
    if (!columns.includes('amount') && !columns.includes('amount_minor')) missing.push('amount' as never);
    if (unknown.length > 0 || missing.length > 0) {
      throw InvalidInputError.of(
        'file',
        `${missing.length > 0 ? `lacks column(s) ${missing.join(', ')}` : ''}${missing.length > 0 && unknown.length > 0 ? ' and ' : ''}${unknown.length > 0 ? `has unknown column(s) ${unknown.join(', ')}` : ''}; accepted columns: ${IMPORT_COLUMNS.join(', ')}`,
      );
    }
  }
  // info.lines is the line the record ends on; records here are single-line, so it is where it starts.
  return records.map(({ record, info }) => toImportRow(record, info.lines));
}

function toImportRow(record: Record<string, string>, line: number): ImportRow {
  const get = (key: string): string | undefined => {
    const v = record[key];
    return v === undefined || v === '' ? undefined : v;
  };
  try {
    for (const key of REQUIRED) if (get(key) === undefined) throw InvalidInputError.of(key, 'is empty');
    const currency = (get('currency') ?? '').toUpperCase();
    const amountMinor = amountMinorFrom({ amount: get('amount'), amountMinor: get('amount_minor'), currency });
    const endAfter = get('end_after_cycles');
    if (endAfter !== undefined && !/^\d+$/.test(endAfter)) throw InvalidInputError.of('end_after_cycles', `must be a whole number ≥ 1, got ${JSON.stringify(endAfter)}`);
    const endAt = get('end_at');
    const trial = get('trial');
    const firstChargeId = get('first_charge_id');
    const softDescriptor = get('soft_descriptor');
    const reference = get('reference');
    const input: StartSubscriptionInput = {
      id: get('id') ?? '',
      chargePermissionId: get('charge_permission_id') ?? '',
      plan: { amountMinor, currency, interval: parseIntervalText(get('interval') ?? '') },
      anchor: { localDateTime: get('anchor') ?? '', zone: get('zone') ?? 'UTC' },
      ...(trial === undefined ? {} : { trial: parseIntervalText(trial, 'trial') }),
      ...(endAfter === undefined ? {} : { end: { afterCycles: Number(endAfter) } }),
      ...(endAt === undefined ? {} : { end: { at: endAt } }),
      ...(firstChargeId === undefined ? {} : { firstChargeId }),
      ...(softDescriptor === undefined ? {} : { softDescriptor }),
      ...(reference === undefined ? {} : { merchantMetadata: { merchantReferenceId: reference } }),
    };
    return { line, input };
  } catch (error) {
    const id = get('id');
    return { line, ...(id === undefined ? {} : { id }), problem: error instanceof Error ? error.message : String(error) };
  }
}
