// Fault injection at the activity boundary for integration tests: the product's own activities
// run on the real workers, but an activity named here fails for one workflow, either with a
// non-retryable ApplicationFailure (a bug, a refused request) or with a plain retryable Error on
// every try (an outage that outlasts the retry window). Amazon Pay faults come from the
// simulator instead (PUT /__sim/injected-errors).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityGroups, ActivityName } from '../../activities/index.js';

export type InjectedActivityFault = 'non_retryable' | 'outage';

export class ActivityFaults {
  private readonly faults = new Map<string, InjectedActivityFault>();

  /** Every call of `activity` made by `workflowId` fails this way until cleared. */
  set(workflowId: string, activity: ActivityName, fault: InjectedActivityFault): void {
    this.faults.set(`${workflowId}/${activity}`, fault);
  }

  clear(workflowId: string, activity?: ActivityName): void {
    for (const key of [...this.faults.keys()])
      if (key === `${workflowId}/${activity}` || (activity === undefined && key.startsWith(`${workflowId}/`))) this.faults.delete(key);
  }

  /** The activities, group by group, with the configured faults in front of each one. */
  wrap(groups: ActivityGroups): ActivityGroups {
    const wrapGroup = <G extends object>(group: G): G => {
      const wrapped: Record<string, unknown> = {};
      for (const [name, fn] of Object.entries(group) as [string, (...args: unknown[]) => Promise<unknown>][]) {
        wrapped[name] = async (...args: unknown[]) => {
          const fault = this.faults.get(`${Context.current().info.workflowExecution?.workflowId ?? ''}/${name}`);
          if (fault === 'non_retryable') throw ApplicationFailure.nonRetryable(`injected failure of ${name}`, 'InjectedFailure');
          if (fault === 'outage') throw new Error(`injected outage of ${name}`);
          return fn(...args);
        };
      }
      return wrapped as G;
    };
    return { workflows: wrapGroup(groups.workflows), charges: wrapGroup(groups.charges), amazonReads: wrapGroup(groups.amazonReads) };
  }
}
