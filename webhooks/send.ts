// One HTTP attempt of a webhook: POST, no redirects followed (a 3xx is a failure, as Standard
// Webhooks senders treat it), a timeout covering connect, headers and the body read, and at most
// the first 1,024 characters of the response body kept.
import type { SignedRequest } from './signing.js';

/** Characters of a response body recorded per attempt (webhook_attempts.response_body). */
export const RESPONSE_BODY_LIMIT = 1024;
const USER_AGENT = 'amazon-pay-billing-webhooks/1';

export interface AttemptResult {
  /** null: no HTTP answer (see error). */
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  /** Why there is no answer (timeout, connection refused, …): never a secret or a header. */
  error: string | null;
}

export async function postWebhook(url: string, request: SignedRequest, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const elapsed = (): number => Math.round(performance.now() - started);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...request.headers, 'user-agent': USER_AGENT },
      body: request.body,
      redirect: 'manual',
      signal,
    });
    const latencyMs = elapsed();
    const responseBody = await readStart(response, signal).catch(() => null);
    return { statusCode: response.status, latencyMs, responseBody, error: null };
  } catch (error) {
    return { statusCode: null, latencyMs: elapsed(), responseBody: null, error: describeFetchError(error, signal, timeoutMs) };
  }
}

/** The start of the body; the rest is not read (the connection is dropped instead of drained). */
async function readStart(response: Response, signal: AbortSignal): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < RESPONSE_BODY_LIMIT && !signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, RESPONSE_BODY_LIMIT);
}

function describeFetchError(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `timeout: no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
  return (code ? `${code}: ${message}` : message).split('\n')[0]!.slice(0, 300);
}
