// Which SNS topics the IPN endpoint accepts. A valid SNS signature only proves that *some* AWS
// account published the message (any account can sign with SNS on its own topic), so the
// TopicArn must be one the merchant configured: billing.yaml ipn.allowedTopicArns.

/** Decides whether a TopicArn is accepted. `open` means no topic is configured: every topic is. */
export interface TopicPolicy {
  readonly open: boolean;
  allows(topicArn: string): boolean;
}

/**
 * `allowed`: exact topic ARNs, or `arn:aws:sns:<region>:<account>:*` for every topic of one
 * account in one region (shapes validated in config/billing.ts). An empty list accepts any topic.
 */
export function createTopicPolicy(allowed: readonly string[]): TopicPolicy {
  const exact = new Set(allowed.filter((arn) => !arn.endsWith(':*')));
  const prefixes = allowed.filter((arn) => arn.endsWith(':*')).map((arn) => arn.slice(0, -1));
  return {
    open: allowed.length === 0,
    allows(topicArn) {
      if (allowed.length === 0 || exact.has(topicArn)) return true;
      // The prefix ends with the account's colon; the rest must be a topic name, not more ARN parts.
      return prefixes.some((prefix) => topicArn.startsWith(prefix) && /^[A-Za-z0-9_.-]{1,261}$/.test(topicArn.slice(prefix.length)));
    },
  };
}
