// Scripted error answers for one operation (and optionally one object): the simulator answers
// the next `times` matching requests (all of them while `times` is null) with the given status
// and Amazon Pay error body, before throttling, signature checks or processing. Lets a test make
// e.g. Get Charge Permission answer 400 InvalidHeaderValue while everything else works.
import { THROTTLE_TABLES, type OperationName } from './throttle.js';

export interface InjectedError {
  operation: OperationName;
  /** Only requests for this object id (a ChargePermissionId, ChargeId, …; for createCharge, the body's chargePermissionId); absent: any. */
  id?: string;
  /** HTTP status of the answer, 400-599. */
  status: number;
  reasonCode: string;
  message: string;
  /** How many matching requests still get this answer; null: every one until cleared. */
  times: number | null;
}

const OPERATIONS = Object.keys(THROTTLE_TABLES.live) as OperationName[];

/** Validates a PUT /__sim/injected-errors body `{ errors: [...] }`; throws with what is accepted. */
export function validateInjectedErrors(input: unknown): InjectedError[] {
  const list = (input as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(list)) throw new Error('body needs { errors: [{ operation, status, reasonCode, message?, id?, times? }] }');
  return list.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const where = `errors[${i}]`;
    if (!OPERATIONS.includes(e.operation as OperationName)) throw new Error(`${where}.operation must be one of ${OPERATIONS.join(', ')}`);
    if (typeof e.status !== 'number' || !Number.isInteger(e.status) || e.status < 400 || e.status > 599)
      throw new Error(`${where}.status must be an HTTP error status 400-599`);
    if (typeof e.reasonCode !== 'string' || e.reasonCode === '') throw new Error(`${where}.reasonCode must be a non-empty string`);
    if (e.message !== undefined && typeof e.message !== 'string') throw new Error(`${where}.message must be a string`);
    if (e.id !== undefined && typeof e.id !== 'string') throw new Error(`${where}.id must be a string`);
    if (e.times !== undefined && e.times !== null && (typeof e.times !== 'number' || !Number.isInteger(e.times) || e.times < 1))
      throw new Error(`${where}.times must be a whole number ≥ 1, or null for every request`);
    return {
      operation: e.operation as OperationName,
      ...(e.id === undefined ? {} : { id: e.id as string }),
      status: e.status,
      reasonCode: e.reasonCode,
      message: (e.message as string | undefined) ?? e.reasonCode,
      times: (e.times as number | null | undefined) ?? null,
    };
  });
}

/** The injected answer for this request, if any, counting it against `times`. */
export function takeInjectedError(errors: InjectedError[], operation: OperationName, id: string | undefined): InjectedError | undefined {
  const index = errors.findIndex((e) => e.operation === operation && (e.id === undefined || e.id === id));
  const match = errors[index];
  if (!match) return undefined;
  if (match.times !== null) {
    match.times -= 1;
    if (match.times <= 0) errors.splice(index, 1);
  }
  return match;
}
