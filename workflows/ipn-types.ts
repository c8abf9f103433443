// Shapes shared by the IPN handler workflow, its activities and the dispatcher.

export interface IpnHandlerInput {
  /** ipn_inbox.id as a string (bigint does not cross JSON). */
  inboxId: string;
  messageId: string;
  objectType: string;
  objectId: string;
  chargePermissionId: string | null;
  /** The Amazon reads queue: the reaction spends that queue's rate budget. */
  amazonReadsTaskQueue: string;
}

export interface IpnHandlerResult {
  status: 'processed' | 'ignored' | 'failed';
  summary: string;
}

/** One handler per SNS MessageId: a redelivery finds the workflow already there. */
export function ipnHandlerWorkflowId(messageId: string): string {
  return `ipn-${messageId}`;
}
