// No log line carries a Temporal task token, whichever road it takes to the logger: the SDK's
// activity log attributes, the worker's own lines, sdk-core's forwarded lines, an activity Info
// object or an error (config/task-tokens.ts, installed in createLogger).
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createLogger, toTemporalLogger } from '../../../config/logger.js';

const TOKEN = 'CiQ4ZGM1NTk2OS1hYmNkLTQ1NjctODkwMS1hYmNkZWYxMjM0NTYSCGNoYXJnZS0xGgEx';

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('trace', 'billing', stream);
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('task tokens in log lines', () => {
  it('are dropped from the SDK activity attributes of "Activity failed", keeping the rest', () => {
    const { logger, lines } = capture();
    const error = ApplicationFailure.create({ type: 'AmazonPayTransient', message: '503 ServiceUnavailable' });
    toTemporalLogger(logger).warn('Activity failed', {
      isLocal: false,
      attempt: 2,
      namespace: 'default',
      taskToken: TOKEN,
      activityId: '1',
      activityType: 'chargeCycle',
      workflowId: 'subscription-s1',
      error,
    });
    const [line] = lines();
    expect(line).not.toContain(TOKEN);
    expect(JSON.parse(line!)).toMatchObject({
      level: 40,
      msg: 'Activity failed',
      activityType: 'chargeCycle',
      workflowId: 'subscription-s1',
      error: { type: 'AmazonPayTransient', message: '503 ServiceUnavailable' },
    });
  });

  it('are dropped from sdk-core forwarded fields and Debug-formatted text, and from the message', () => {
    const { logger, lines } = capture();
    toTemporalLogger(logger).warn(`Activity not found on completion TaskToken(${TOKEN})`, {
      sdkComponent: 'core',
      task_token: TOKEN,
      details: `Status { code: NotFound, task: TaskToken(${TOKEN}) }`,
    });
    const [line] = lines();
    expect(line).not.toContain(TOKEN);
    expect(line).toContain('TaskToken(omitted)');
  });

  it('are dropped from an activity Info object and from errors (own fields, message, cause), without touching the error', () => {
    const { logger, lines } = capture();
    const cause = new Error(`completing TaskToken(${TOKEN}) failed`);
    const error = Object.assign(new Error('heartbeat failed', { cause }), { taskToken: TOKEN, nested: { base64TaskToken: TOKEN } });
    logger.info({ info: { taskToken: new Uint8Array([1, 2, 3]), base64TaskToken: TOKEN, activityId: '7' } }, 'activity info');
    logger.error({ err: error }, 'worker error');
    logger.error(error);
    for (const line of lines()) expect(line).not.toMatch(new RegExp(`${TOKEN}|"(base64)?taskToken"|"task_token"`, 'i'));
    expect(JSON.parse(lines()[0]!).info).toEqual({ activityId: '7' });
    // pino's err serializer appends the cause's message to the error's.
    expect(JSON.parse(lines()[1]!).err).toMatchObject({ type: 'Error', message: 'heartbeat failed: completing TaskToken(omitted) failed' });
    expect(error.taskToken).toBe(TOKEN);
  });

  it('are dropped from fields bound by child loggers, at any depth of children, and from the message text', () => {
    const { logger, lines } = capture();
    const child = logger.child({ taskToken: TOKEN, activityId: '7', info: { base64TaskToken: TOKEN }, details: `TaskToken(${TOKEN})` });
    child.warn('bound once');
    child.child({ task_token: TOKEN, cycle: 3 }).info(`grandchild, message TaskToken(${TOKEN})`);
    child.info('format %s', `TaskToken(${TOKEN})`);
    expect(lines()).toHaveLength(3);
    for (const line of lines()) expect(line).not.toContain(TOKEN);
    expect(JSON.parse(lines()[1]!)).toMatchObject({ activityId: '7', cycle: 3, details: 'TaskToken(omitted)', msg: 'grandchild, message TaskToken(omitted)' });
  });

  it('secrets are redacted at any depth, in a line and in bound fields: private keys, API keys, Authorization headers, passwords', () => {
    const { logger, lines } = capture();
    const secrets = {
      privateKey: 'PEM-1',
      privateKeyPem: 'PEM-2',
      apiKey: 'KEY-1',
      secret: 'bk_KEY-2',
      authorization: 'Bearer KEY-3',
      password: 'PW-1',
      clientSecret: 'CS-1',
    };
    logger
      .child({ req: { headers: { authorization: 'Bearer KEY-4' } }, credentials: { privateKeyPem: 'PEM-3' } })
      .info({ deep: { deeper: { deepest: secrets } }, ...secrets }, 'x');
    const [line] = lines();
    for (const value of ['PEM-1', 'PEM-2', 'PEM-3', 'KEY-1', 'KEY-2', 'KEY-3', 'KEY-4', 'PW-1', 'CS-1']) expect(line).not.toContain(value);
    expect(JSON.parse(line!)).toMatchObject({
      privateKeyPem: '[redacted]',
      req: { headers: { authorization: '[redacted]' } },
      deep: { deeper: { deepest: { apiKey: '[redacted]' } } },
    });
  });

  it('secrets stay redacted alongside', () => {
    const { logger, lines } = capture();
    logger.info({ privateKey: 'PEM', taskToken: TOKEN }, 'x');
    expect(JSON.parse(lines()[0]!)).toMatchObject({ privateKey: '[redacted]' });
    expect(lines()[0]).not.toContain(TOKEN);
  });
});
