export const TEMPLATE_DATABASE = 'billing_template';

/** temporal.yaml `worker` settings of the tests' own workers: small, for many test files on 2 cores. */
export const TEST_WORKER_TUNING = {
  maxCachedWorkflows: 50,
  maxConcurrentWorkflowTaskExecutions: 10,
  maxConcurrentActivityTaskExecutions: 20,
  shutdownGraceTimeMs: 2_000,
  stickyQueueScheduleToStartTimeoutMs: 10_000,
} as const;
