// The house wording for a request-schema refusal: what was wrong and what is accepted, in the
// terms of the API's documentation, not zod's ("Too big: expected string to have <=64
// characters"). A message a schema wrote itself is kept as it is.

/** A schema issue as fastify-type-provider-zod hands it over: zod's code as `keyword`, the rest in `params`. */
export interface SchemaIssue {
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** zod's own default texts start like this; a schema's custom message does not. */
const ZOD_DEFAULT = /^(Too big|Too small|Invalid input|Invalid option|Invalid string|Invalid)\b/;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a JSON object',
  array: 'a JSON array',
  null: 'null',
};

/**
 * One line for one issue, e.g. "is too long: at most 64 characters", "must be a whole number",
 * "must be one of: now, at_period_end". Falls back to zod's text only for an issue kind not
 * listed here (never a stack trace or internal name).
 */
export function houseMessage(issue: SchemaIssue): string {
  const message = issue.message ?? 'is invalid';
  if (!ZOD_DEFAULT.test(message)) return message;
  const p = issue.params ?? {};
  const bound = (key: 'maximum' | 'minimum'): string => String(p[key]);
  switch (issue.keyword) {
    case 'too_big':
      if (p.origin === 'string') return `is too long: at most ${bound('maximum')} characters`;
      if (p.origin === 'array') return `has too many items: at most ${bound('maximum')}`;
      return `is too large: at most ${bound('maximum')}`;
    case 'too_small':
      if (p.origin === 'string') return Number(p.minimum) === 1 ? 'must not be empty' : `is too short: at least ${bound('minimum')} characters`;
      if (p.origin === 'array') return `has too few items: at least ${bound('minimum')}`;
      return `is too small: at least ${bound('minimum')}`;
    case 'invalid_type': {
      const expected = TYPE_NAMES[String(p.expected)] ?? String(p.expected);
      // A field left out reaches zod as undefined: say it is required, not that it has the wrong type.
      return /received undefined$/.test(message) ? `is required: ${expected}` : `must be ${expected}`;
    }
    case 'invalid_value': {
      const values = Array.isArray(p.values) ? p.values.map(String) : [];
      return values.length === 1 ? `must be ${values[0]}` : `must be one of: ${values.join(', ')}`;
    }
    case 'invalid_format':
      return p.format === 'regex'
        ? 'has characters or a shape this field does not accept; see the field in the OpenAPI document'
        : `must be a valid ${String(p.format)}`;
    case 'invalid_union':
      return 'matches none of the shapes this field accepts; see the field in the OpenAPI document';
    default:
      return message;
  }
}

/** A schema issue with where it is: fastify-type-provider-zod's instancePath ("/eventTypes/0"). */
export interface LocatedSchemaIssue extends SchemaIssue {
  instancePath: string;
}

/**
 * A union's refusal as the refusals of the one member the value had the shape of — every issue of
 * that member lies inside the value, e.g. the list of `eventTypes: [...] | "all"` —, so the field
 * and message name what was wrong in it (eventTypes.0: "has an empty item …") instead of "matches
 * none of the shapes". Any other issue, or a union no member (or several) fit, is kept as it is.
 */
export function unionMemberIssues(issue: LocatedSchemaIssue): LocatedSchemaIssue[] {
  if (issue.keyword !== 'invalid_union') return [issue];
  const members = (issue.params?.errors ?? []) as Array<Array<{ code: string; path: PropertyKey[]; message?: string }>>;
  const fitting = members.filter((member) => member.length > 0 && member.every((inner) => inner.path.length > 0));
  if (fitting.length !== 1) return [issue];
  return fitting[0]!.flatMap(({ code, path, message, ...params }) =>
    unionMemberIssues({
      keyword: code,
      params,
      instancePath: `${issue.instancePath.replace(/\/$/, '')}/${path.map(String).join('/')}`,
      ...(message === undefined ? {} : { message }),
    }),
  );
}
