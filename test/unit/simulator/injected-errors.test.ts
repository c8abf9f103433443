import { describe, expect, it } from 'vitest';
import { takeInjectedError, validateInjectedErrors } from '../../../simulator/injected-errors.js';

describe('simulator injected errors', () => {
  it('answers matching requests `times` times, or until cleared', () => {
    const errors = validateInjectedErrors({
      errors: [
        { operation: 'getChargePermission', id: 'A', status: 400, reasonCode: 'InvalidHeaderValue', times: 2 },
        { operation: 'getCharge', status: 503, reasonCode: 'ServiceUnavailable' },
      ],
    });
    expect(takeInjectedError(errors, 'getChargePermission', 'B')).toBeUndefined();
    expect(takeInjectedError(errors, 'getChargePermission', 'A')).toMatchObject({ status: 400, message: 'InvalidHeaderValue' });
    expect(takeInjectedError(errors, 'getChargePermission', 'A')).toBeDefined();
    expect(takeInjectedError(errors, 'getChargePermission', 'A')).toBeUndefined();
    for (let i = 0; i < 5; i += 1) expect(takeInjectedError(errors, 'getCharge', `any-${i}`)).toMatchObject({ status: 503, times: null });
  });

  it('refuses bad settings with what is accepted', () => {
    expect(() => validateInjectedErrors({})).toThrow(/body needs \{ errors/);
    expect(() => validateInjectedErrors({ errors: [{ operation: 'nope', status: 400, reasonCode: 'X' }] })).toThrow(
      /errors\[0\]\.operation must be one of createCharge/,
    );
    expect(() => validateInjectedErrors({ errors: [{ operation: 'getCharge', status: 200, reasonCode: 'X' }] })).toThrow(
      /status must be an HTTP error status 400-599/,
    );
    expect(() => validateInjectedErrors({ errors: [{ operation: 'getCharge', status: 500, reasonCode: 'X', times: 0 }] })).toThrow(
      /times must be a whole number/,
    );
  });
});
