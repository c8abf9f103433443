// The OpenAPI document as client generators need it, made from what @fastify/swagger and
// fastify-type-provider-zod produce, in one place (app.ts transformObject):
// - a body a route takes optionally (`RefundBody.nullish()`: no body, or an object) is documented
//   as an optional object: `null` itself is refused (400), so `anyOf [{…}, {type: null}]` and
//   `required: true` would both be wrong;
// - the zod provider emits every registered schema twice (`Refund` for responses, `RefundInput`
//   for requests): a pair that is the same schema is kept once under the plain name, schemas no
//   operation reaches are dropped, and a request schema left alone loses its suffix, so generators
//   make one type per resource, named as the resource.
type Json = Record<string, unknown>;
type Document = { paths?: Record<string, Record<string, Json>>; components?: { schemas?: Record<string, Json> } };

const REF_PREFIX = '#/components/schemas/';
const INPUT_SUFFIX = 'Input';

/** Every `$ref` in `value` rewritten by `rename` (a component name to another), in place. */
function renameRefs(value: unknown, rename: (name: string) => string): void {
  if (Array.isArray(value)) return value.forEach((v) => renameRefs(v, rename));
  if (value === null || typeof value !== 'object') return;
  const object = value as Json;
  if (typeof object.$ref === 'string' && object.$ref.startsWith(REF_PREFIX)) object.$ref = REF_PREFIX + rename(object.$ref.slice(REF_PREFIX.length));
  for (const v of Object.values(object)) renameRefs(v, rename);
}

function refsIn(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) return value.forEach((v) => refsIn(v, into));
  if (value === null || typeof value !== 'object') return;
  const object = value as Json;
  if (typeof object.$ref === 'string' && object.$ref.startsWith(REF_PREFIX)) into.add(object.$ref.slice(REF_PREFIX.length));
  for (const v of Object.values(object)) refsIn(v, into);
}

/** An optional body: `anyOf [schema, {type: null}]` becomes `schema`, and the body is not required. */
function optionalBodies(document: Document): void {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const body = operation.requestBody as { required?: boolean; content?: Record<string, { schema?: Json }> } | undefined;
      for (const media of Object.values(body?.content ?? {})) {
        const anyOf = media.schema?.anyOf as Json[] | undefined;
        if (!anyOf || anyOf.length !== 2 || !anyOf.some((s) => s.type === 'null')) continue;
        media.schema = anyOf.find((s) => s.type !== 'null');
        body!.required = false;
      }
    }
  }
}

/** `XInput` the same as `X` (refs compared by plain name) is dropped for `X`; then what no path reaches goes. */
function oneSchemaPerName(document: Document): void {
  const schemas = document.components?.schemas;
  if (!schemas) return;
  const plain = (name: string): string =>
    name.endsWith(INPUT_SUFFIX) && schemas[name.slice(0, -INPUT_SUFFIX.length)] ? name.slice(0, -INPUT_SUFFIX.length) : name;
  const normalized = (schema: Json): string => {
    const copy = structuredClone(schema);
    renameRefs(copy, plain);
    return JSON.stringify(copy);
  };
  const same = new Set(Object.keys(schemas).filter((name) => plain(name) !== name && normalized(schemas[name]!) === normalized(schemas[plain(name)]!)));
  const rename = (name: string): string => (same.has(name) ? plain(name) : name);
  for (const name of same) delete schemas[name];
  renameRefs(document.paths, rename);
  renameRefs(schemas, rename);
  // What the operations reach, transitively.
  const reached = new Set<string>();
  refsIn(document.paths, reached);
  for (let size = -1; size !== reached.size;) {
    size = reached.size;
    for (const name of [...reached]) refsIn(schemas[name], reached);
  }
  for (const name of Object.keys(schemas)) if (!reached.has(name)) delete schemas[name];
  // A request schema that differs from its response twin (a default makes a field optional) and
  // whose twin no operation uses takes the plain name: CancelRequestInput is CancelRequest.
  const alone = new Set(Object.keys(schemas).filter((name) => name.endsWith(INPUT_SUFFIX) && !schemas[name.slice(0, -INPUT_SUFFIX.length)]));
  const unsuffixed = (name: string): string => (alone.has(name) ? name.slice(0, -INPUT_SUFFIX.length) : name);
  for (const name of alone) {
    schemas[unsuffixed(name)] = schemas[name]!;
    delete schemas[name];
  }
  renameRefs(document.paths, unsuffixed);
  renameRefs(schemas, unsuffixed);
}

/** The served document tidied for client generators (see the top of this file); changes `document` in place and returns it. */
export function tidyOpenApiDocument<T>(document: T): T {
  optionalBodies(document as Document);
  oneSchemaPerName(document as Document);
  return document;
}
