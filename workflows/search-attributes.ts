import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Registered on the dev server from temporal.yaml (devServer.searchAttributes); a production
// namespace needs the same: `temporal operator search-attribute create --name … --type …`.
export const SubscriptionIdKey = defineSearchAttributeKey('SubscriptionId', SearchAttributeType.KEYWORD);
export const ChargePermissionIdKey = defineSearchAttributeKey('ChargePermissionId', SearchAttributeType.KEYWORD);
export const BillingStatusKey = defineSearchAttributeKey('BillingStatus', SearchAttributeType.KEYWORD);
export const NextBillingAtKey = defineSearchAttributeKey('NextBillingAt', SearchAttributeType.DATETIME);
export const BillingCycleKey = defineSearchAttributeKey('BillingCycle', SearchAttributeType.INT);
