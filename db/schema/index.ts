export * from './subscriptions.js';
export * from './charges.js';
export * from './ipn-inbox.js';
export * from './subscription-events.js';
export * from './refunds.js';
export * from './housekeeping.js';
export * from './api.js';
export * from './events.js';
