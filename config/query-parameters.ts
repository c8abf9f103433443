// SQL parameters never reach a log line. drizzle reports a failed statement as an error whose
// message (and so its stack) is "Failed query: <statement>\nparams: <every value, comma-joined>" and
// whose `params` field holds the values: a webhook endpoint's signing secret, buyer data, amounts.
// Logged as it is ("api request failed", a housekeeping job's error), that text carried them all.
// The statement stays: it says what failed. (Temporal's failures: activities/database-failure.ts.)

const PARAMS_TEXT = /(Failed query: [\s\S]*?\nparams: )[\s\S]*?(?=\n {4}at |$)/g;

/** `text` with the values after a drizzle "Failed query: …\nparams: " replaced by "[omitted]". */
export function withoutQueryParameters(text: string): string {
  return text.includes('Failed query: ') ? text.replace(PARAMS_TEXT, '$1[omitted]') : text;
}

/** An error's own field holding a failed statement's values (drizzle's DrizzleQueryError.params). */
export const QUERY_PARAMETERS_FIELD = 'params';
