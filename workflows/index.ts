// The only workflowsPath: everything the worker bundles is reachable from here.
export { subscriptionWorkflow } from './subscription.js';
export type { SubscriptionWorkflowResult } from './subscription.js';
export { ipnHandlerWorkflow } from './ipn-handler.js';
