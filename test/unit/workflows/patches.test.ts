// The patch registry (workflows/patches.ts) is the only source of patched() ids: every call in
// workflows/ passes one of its constants, every entry is used where it says, and the histories
// it names as recorded before/after a patch hold (or lack) that patch's marker.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as registry from '../../../workflows/patches.js';
import { HISTORIES_WITH_TODAYS_PATCHES, PATCHES, PATCHES_DECIDED_AT_RUN_START, PATCHES_DECIDED_AT_RUN_START_2 } from '../../../workflows/patches.js';
import { HISTORIES_DIR, patchIdsIn } from '../../replay/history-facts.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PATCH_CALLS = new Set(['patched', 'deprecatePatch']);
/** The one file that calls Temporal's patched()/deprecatePatch() (workflows/patch-decisions.ts); the rest read rt.patched(ID). */
const DECISIONS_FILE = 'workflows/patch-decisions.ts';

/** `patched` for `patched(…)` and `rt.patched(…)`/`this.rt.patched(…)`; null for any other callee shape. */
function calleeName(expression: ts.Expression): string | null {
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isPropertyAccessExpression(expression)) return expression.name.text;
  return null;
}

interface PatchCall {
  file: string;
  /** The registry id the call passes, or null when it passes anything else (a problem). */
  id: string | null;
  problem: string | null;
}

/**
 * Every patched()/deprecatePatch() call in one source file and the id it passes: only an
 * identifier imported from './patches.js' that names a registry id is accepted.
 */
function patchCallsIn(file: string, text: string, ids: ReadonlyMap<string, string>): PatchCall[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const fromRegistry = new Set<string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== './patches.js') continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) fromRegistry.add(element.name.text);
  }
  const calls: PatchCall[] = [];
  const visit = (node: ts.Node): void => {
    const callee = ts.isCallExpression(node) ? calleeName(node.expression) : null;
    if (ts.isCallExpression(node) && callee !== null && PATCH_CALLS.has(callee)) {
      const [arg] = node.arguments;
      const where = `${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
      // The decisions module reads every registry id in a loop (and, for runs from before it, the id it is asked).
      if (file === DECISIONS_FILE && (!arg || !ts.isIdentifier(arg) || !fromRegistry.has(arg.text))) return;
      if (!arg || !ts.isIdentifier(arg))
        calls.push({
          file,
          id: null,
          problem: `${where}: ${callee}() takes a constant from workflows/patches.ts, not ${arg ? arg.getText() : 'nothing'}`,
        });
      else if (!fromRegistry.has(arg.text)) calls.push({ file, id: null, problem: `${where}: ${arg.text} is not imported from ./patches.js` });
      else if (!ids.has(arg.text)) calls.push({ file, id: null, problem: `${where}: ${arg.text} is not in PATCHES (workflows/patches.ts)` });
      else calls.push({ file, id: ids.get(arg.text)!, problem: null });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return calls;
}

/** Exported constant name → id, for the ids PATCHES lists. */
const exportedIds = new Map<string, string>();
for (const [name, value] of Object.entries(registry as Record<string, unknown>)) if (typeof value === 'string') exportedIds.set(name, value);
const registeredConstants = new Map([...exportedIds].filter(([, id]) => PATCHES.some((p) => p.id === id)));
const workflowFiles = readdirSync(`${ROOT}workflows`)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `workflows/${f}`);
const calls = workflowFiles.flatMap((file) => patchCallsIn(file, readFileSync(`${ROOT}${file}`, 'utf8'), registeredConstants));

describe('the patch registry (workflows/patches.ts)', () => {
  it('every patched()/deprecatePatch() call in workflows/ passes a registry constant', () => {
    expect(calls.length).toBeGreaterThanOrEqual(PATCHES.filter((p) => !p.runStart).length);
    expect(calls.filter((c) => c.problem).map((c) => c.problem)).toEqual([]);
  });

  it("only workflows/patch-decisions.ts imports Temporal's patched()/deprecatePatch(): every other read goes through the run's decisions", () => {
    const importers = workflowFiles.filter((file) =>
      /import\s*\{[^}]*\b(patched|deprecatePatch)\b[^}]*\}\s*from\s*'@temporalio\/workflow'/.test(readFileSync(`${ROOT}${file}`, 'utf8')),
    );
    expect(importers).toEqual([DECISIONS_FILE]);
  });

  it('refuses a string literal, a constant from elsewhere and an id missing from the registry (the check can fail)', () => {
    const text = [
      "import { patched } from '@temporalio/workflow';",
      "import { PLAN_CHANGE_EXCLUSIVE, NOT_REGISTERED } from './patches.js';",
      "import { ELSEWHERE } from './other.js';",
      "patched('plan-change-exclusive'); patched(ELSEWHERE); patched(NOT_REGISTERED); patched(PLAN_CHANGE_EXCLUSIVE);",
      "rt.patched('plan-change-exclusive'); this.rt.patched(PLAN_CHANGE_EXCLUSIVE);",
    ].join('\n');
    const found = patchCallsIn('workflows/probe.ts', text, registeredConstants);
    expect(found.map((c) => c.problem)).toEqual([
      "workflows/probe.ts:4: patched() takes a constant from workflows/patches.ts, not 'plan-change-exclusive'",
      'workflows/probe.ts:4: ELSEWHERE is not imported from ./patches.js',
      'workflows/probe.ts:4: NOT_REGISTERED is not in PATCHES (workflows/patches.ts)',
      null,
      "workflows/probe.ts:5: patched() takes a constant from workflows/patches.ts, not 'plan-change-exclusive'",
      null,
    ]);
  });

  it('every exported id is in PATCHES once, and every entry is used, in exactly the files it names', () => {
    const exported = [...exportedIds.values()];
    expect(new Set(PATCHES.map((p) => p.id)).size).toBe(PATCHES.length);
    expect(exported.sort()).toEqual(PATCHES.map((p) => p.id).sort());
    for (const patch of PATCHES) {
      // A run-start marker is read by its `runStart` flag, in the decisions module's loop, not by its constant.
      const readIn = [...calls.filter((c) => c.id === patch.id).map((c) => c.file), ...(patch.runStart ? [DECISIONS_FILE] : [])];
      const files = [...new Set(readIn)].sort();
      expect(files, `${patch.id}: files that call patched() with it`).toEqual([...patch.usedIn].sort());
      expect(patch.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(patch.added.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('keeps the patches before each run-start marker frozen (its marker stands for exactly these) and deprecates none it stands for', () => {
    // Runs that recorded a run-start marker take each patch above it without a marker of its own:
    // one added, removed or moved there would change what those runs replay (docs/versioning.md).
    // A new run-start marker is added here with the ids above it, once, and never changed.
    const beforeFirst = [
      'payment-method-fix-needs-evidence',
      'status-writes-as-local-activities',
      'charge-records-next-status',
      'failed-calls-wait-for-retry',
      'plan-change-exclusive',
      'pause-holds-dunning',
      'payment-method-fix-from-amazon',
      'monthly-cap-bounded',
      'pause-holds-every-wait',
      'unpause-retries-failed-call',
      'monthly-cap-counts-cycles',
      'bounded-continue-as-new',
      'status-writes-follow-last-written',
      'plan-change-written-explicitly',
      'skip-cycles-due-in-any-pause',
      'failed-call-shown-over-own-status',
      'repair-restores-wait',
      'charge-not-sent-after-stop',
      'cycle-due-before-pause-billed',
      'repair-restores-paused-wait',
    ];
    const frozen: [string, string[]][] = [
      [PATCHES_DECIDED_AT_RUN_START, beforeFirst],
      [
        PATCHES_DECIDED_AT_RUN_START_2,
        [
          ...beforeFirst,
          PATCHES_DECIDED_AT_RUN_START,
          'fix-evidence-survives-older-check',
          'timer-summaries',
          'fix-baseline-from-before-attempt',
          'checkout-charge-as-amazon-has-it',
          'charge-attempt-heartbeat',
          'no-charge-after-permission-expiry',
          'check-yields-to-newer-evidence',
          'permission-expiry-asked-of-amazon',
          'stop-carries-final-status',
        ],
      ],
    ];
    expect(PATCHES.filter((p) => p.runStart).map((p) => p.id)).toEqual(frozen.map(([id]) => id));
    for (const [marker, above] of frozen)
      expect(
        PATCHES.slice(
          0,
          PATCHES.findIndex((p) => p.id === marker),
        ).map((p) => p.id),
        marker,
      ).toEqual(above);
    // deprecatePatch is called for entries after the first run-start marker, for runs that hold no
    // newer one; on that marker or above it, or on a run-start marker, `deprecated` would do nothing.
    const first = PATCHES.findIndex((p) => p.runStart);
    expect(PATCHES.filter((p, index) => p.step === 'deprecated' && (index <= first || p.runStart)).map((p) => p.id)).toEqual([]);
  });

  it('names histories that exist: those recorded after a patch hold its marker, those before do not', () => {
    for (const patch of PATCHES) {
      expect(patch.histories.after.length, `${patch.id}: a history recorded with it`).toBeGreaterThan(0);
      for (const file of [...patch.histories.before, ...patch.histories.after]) expect(existsSync(`${HISTORIES_DIR}${file}`), file).toBe(true);
      for (const file of patch.histories.after) expect(patchIdsIn(file).has(patch.id), `${file} holds ${patch.id}`).toBe(true);
      for (const file of patch.histories.before) expect(patchIdsIn(file).has(patch.id), `${file} lacks ${patch.id}`).toBe(false);
    }
  });

  it("lists, per major path, a history recorded on today's code (its patches decided at the start, one marker for the older ones)", () => {
    const files = Object.values(HISTORIES_WITH_TODAYS_PATCHES).flat();
    expect(files.length).toBeGreaterThanOrEqual(12);
    const at = PATCHES.findLastIndex((p) => p.runStart);
    const newest = PATCHES[at]!.id;
    const older = PATCHES.slice(0, at).map((p) => p.id);
    const later = PATCHES.slice(at + 1).map((p) => p.id);
    for (const file of files) {
      expect(existsSync(`${HISTORIES_DIR}${file}`), file).toBe(true);
      // The newest run-start marker, none of the patches before it (older run-start markers
      // included), and of the later ones those registered before the file was recorded (a registry
      // prefix: they are decided in order).
      const ids = patchIdsIn(file);
      expect(ids.has(newest), file).toBe(true);
      expect(
        older.filter((id) => ids.has(id)),
        file,
      ).toEqual([]);
      const held = later.filter((id) => ids.has(id));
      expect(held, file).toEqual(later.slice(0, held.length));
    }
  });
});
