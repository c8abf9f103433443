// One short workflow per stored IPN: react (fetch the current state from Amazon Pay, signal or
// cancel subscriptions), then settle the inbox row. Its id derives from the SNS MessageId, so
// a redelivered or re-dispatched IPN is handled once.
import { ApplicationFailure, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { IpnHandlerInput, IpnHandlerResult } from './ipn-types.js';

type Activities = ReturnType<typeof createActivities>;

export async function ipnHandlerWorkflow(input: IpnHandlerInput): Promise<IpnHandlerResult> {
  const { reactToIpn } = proxyActivities<Activities>({
    taskQueue: input.amazonReadsTaskQueue,
    startToCloseTimeout: '1 minute',
    // Throttles and outages are retried for an hour; reconciliation covers anything longer.
    scheduleToCloseTimeout: '1 hour',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['AmazonPayInvalidRequest'] },
  });
  const { settleIpnInbox } = proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
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
