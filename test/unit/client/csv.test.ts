import { describe, expect, it } from 'vitest';
import { csvLine } from '../../../client/cli/csv.js';

describe('CSV export cells', () => {
  it.each([
    ['=SUM(A1)', `"'=SUM(A1)"`],
    ["-2+3+cmd|' /C calc'!A0", `"'-2+3+cmd|' /C calc'!A0"`],
    ['-1+HYPERLINK("http://evil.example","x")', `"'-1+HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1+1', `"'+1+1"`],
    ['@SUM(1)', `"'@SUM(1)"`],
    ['\t=1', `"'\t=1"`],
    ['\rx', `"'\rx"`],
    [' =1+1', `"' =1+1"`],
    ['"=1+1', `"'""=1+1"`],
    ["'+1", `"''+1"`],
    ['\uFF1D1+1', `"'\uFF1D1+1"`],
    // A formula behind a separator inside the cell: a reader that splits on ";" or tab (German or
    // French Excel) would make it a cell of its own.
    ['a,=1+1', `"'a,=1+1"`],
    ['ok;=1+1;@SUM(1)', `"'ok;=1+1;@SUM(1)"`],
    ['a\t=1+1', `"'a\t=1+1"`],
    ['a; "=1+1', `"'a; ""=1+1"`],
    ['x|+cmd', `"'x|+cmd"`],
    // Numbers followed by more are formulas, also in exponent form.
    ['-1+2', `"'-1+2"`],
    ['-1e5+1', `"'-1e5+1"`],
    ['-1e5-cmd', `"'-1e5-cmd"`],
    ['+1E2*3', `"'+1E2*3"`],
    ['-1e', `"'-1e"`],
    ['-e5', `"'-e5"`],
    ['-1e5 ', `"'-1e5 "`],
    ['-1.2.3', `"'-1.2.3"`],
  ])('guards %j, a cell a spreadsheet would evaluate (OWASP CSV injection)', (cell, written) => {
    expect(csvLine([cell])).toBe(`${written}\n`);
  });

  it.each([
    ['-2.50'],
    ['-5'],
    ['+3'],
    ['1400'],
    ['0.5'],
    ['-1e5'],
    ['-1E5'],
    ['-1.5e-3'],
    ['+2.5E+10'],
    ['-.5e2'],
    ['1e5'],
    ['2026-01-31T09:00:00.000Z'],
    ['buyer asked for a break'],
    ['x=1'],
    ['5-10 days'],
    ['a; b'],
  ])('keeps %j as written', (cell) => {
    expect(csvLine([cell])).toBe(`${cell}\n`);
  });

  it('keeps numbers, negative ones included, as numbers; null is an empty cell', () => {
    expect(csvLine([-7, 0, 12, null, undefined])).toBe('-7,0,12,,\n');
  });

  it('quotes what RFC 4180 needs quoted', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\nlines'])).toBe('a,"b,c","say ""hi""","two\nlines"\n');
  });
});
