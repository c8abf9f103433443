// Type-checks snippets as if they were files of the project, without writing them: the rules
// that the types carry (activity groups per task queue, the failure vocabulary) are shown by what
// `npm run typecheck` refuses. All snippets share one program (a program takes seconds to build).
import { resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../../..');
const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(resolve(ROOT, 'tsconfig.json'), ts.sys.readFile).config as object, ts.sys, ROOT);

/**
 * TypeScript's error messages for each snippet, keyed like `files`: path (relative to the
 * repository root, where the snippet's imports resolve from) → source text.
 */
export function typeErrors(files: Record<string, string>): Record<string, string[]> {
  const virtual = new Map(Object.entries(files).map(([path, code]) => [resolve(ROOT, path), code]));
  const host = ts.createCompilerHost(parsed.options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(resolve(name)) ?? readFile(name);
  host.fileExists = (name) => virtual.has(resolve(name)) || ts.sys.fileExists(name);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    const code = virtual.get(resolve(name));
    return code === undefined ? getSourceFile(name, languageVersion, ...rest) : ts.createSourceFile(name, code, languageVersion, true);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options: parsed.options, host });
  const out: Record<string, string[]> = {};
  for (const [path, absolute] of Object.keys(files).map((p) => [p, resolve(ROOT, p)] as const)) {
    const source = program.getSourceFile(absolute);
    const diagnostics = source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
    out[path] = diagnostics.map((d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return out;
}
