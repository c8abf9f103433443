// One short workflow per stored IPN: react (fetch the current state from Amazon Pay, signal or
// cancel subscriptions), then settle the inbox row. Its id derives from the SNS MessageId, so
// a redelivered or re-dispatched IPN is handled once.
import { ApplicationFailure, isCancellation } from '@temporalio/workflow';
import type { IpnHandlerInput, IpnHandlerResult } from './ipn-types.js';
import { databaseRetryPolicy, proxyQueue } from './queues.js';
import { NON_RETRYABLE_FAILURE_TYPES } from '../billing/vocabulary.js';

export async function ipnHandlerWorkflow(input: IpnHandlerInput): Promise<IpnHandlerResult> {
  const { reactToIpn } = proxyQueue(
    'amazonReads',
    { amazonReads: input.amazonReadsTaskQueue },
    {
      startToCloseTimeout: '1 minute',
      // Throttles and outages are retried for an hour; reconciliation covers anything longer.
      scheduleToCloseTimeout: '1 hour',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
    },
  );
  const { settleIpnInbox } = proxyQueue(
    'workflows',
    {},
    {
      startToCloseTimeout: '30 seconds',
      retry: databaseRetryPolicy(),
    },
  );
  let result: IpnHandlerResult;
  try {
    result = await reactToIpn(input);
  } catch (error) {
    if (isCancellation(error)) throw error;
    const cause = error instanceof ApplicationFailure || !(error instanceof Error) ? error : (error.cause ?? error);
    result = { status: 'failed', summary: cause instanceof Error ? cause.message : String(cause) };
  }
  await settleIpnInbox({ inboxId: input.inboxId, status: result.status, note: result.summary });
  return result;
}
