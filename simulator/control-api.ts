// The simulator-only control API under /__sim (JSON, unsigned): seeding, buyer/Amazon actions,
// scripts, faults, throttles, IPN settings, the charge ledger and the Create Charge attempt log.
import { AmazonPayError } from './errors.js';
import { minorToDecimal } from './money.js';
import { resolvePendingCharge } from './ops-charges.js';
import { resolveRefund } from './ops-refunds.js';
import { renderCharge, renderChargePermission, renderRefund } from './render.js';
import { validateFaultConfig } from './faults.js';
import { validateInjectedErrors } from './injected-errors.js';
import { validateThrottleConfig } from './throttle.js';
import { DECLINE_REASONS } from './outcomes.js';
import { emptyState } from './state.js';
import {
  ControlInputError,
  closeAs,
  createChargePermissionAsBuyer,
  makeChargeable,
  changePaymentMethod,
  makeNonChargeable,
  requireChargePermission,
  setScript,
  type CreateChargePermissionInput,
} from './control-actions.js';
import type { IpnConfig } from './ipn-delivery.js';
import type { SimulatorRuntime } from './runtime.js';

export interface ControlResponse {
  status: number;
  body: unknown;
  contentType?: string;
}

export interface LedgerEntry {
  chargeId: string;
  chargePermissionId: string;
  amount: string;
  amountMinor: string;
  currency: string;
  state: string;
  reasonCode: string | null;
  /** The statement descriptor the charge carries: as sent with Create Charge (captureNow), a checkout's AuthorizeWithCapture or Capture Charge; AMZ*Simulator (Amazon's default) when none was; null until captured. */
  softDescriptor: string | null;
  idempotencyKey: string | null;
  createdAt: string;
}

function ledger(runtime: SimulatorRuntime): LedgerEntry[] {
  const { state } = runtime.engine;
  return state.chargeOrder.flatMap((id) => {
    const c = state.charges[id];
    if (!c) return [];
    return [
      {
        chargeId: c.chargeId,
        chargePermissionId: c.chargePermissionId,
        amount: minorToDecimal(BigInt(c.amountMinor), c.currency),
        amountMinor: c.amountMinor,
        currency: c.currency,
        state: c.state,
        reasonCode: c.reasonCode,
        softDescriptor: c.softDescriptor,
        idempotencyKey: c.idempotencyKey,
        createdAt: new Date(c.createdAt).toISOString(),
      },
    ];
  });
}

function validateIpnConfig(input: unknown, base: IpnConfig): IpnConfig {
  if (typeof input !== 'object' || input === null) throw new ControlInputError('ipn settings must be an object');
  const next: IpnConfig = { ...base };
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'url':
        if (value !== null && (typeof value !== 'string' || !/^https?:\/\//.test(value))) throw new ControlInputError('url must be an http(s) URL or null');
        next.url = value as string | null;
        break;
      case 'topicArn':
        if (typeof value !== 'string' || !/^arn:aws(-cn|-us-gov)?:sns:[a-z0-9-]{1,30}:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(value)) {
          throw new ControlInputError('topicArn must be an SNS topic ARN such as "arn:aws:sns:us-east-1:000000000000:AmazonPaySimulatorIpn"');
        }
        next.topicArn = value;
        break;
      case 'retryScheduleMs':
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || v < 0 || v > 86_400_000)) {
          throw new ControlInputError('retryScheduleMs must be an array of delays in ms (0 to 86400000)');
        }
        next.retryScheduleMs = value as number[];
        break;
      case 'timeoutMs':
      case 'reorderWindow':
      case 'reorderHoldMs':
      case 'addedDelayMs':
        if (typeof value !== 'number' || value < 0 || value > 3_600_000) throw new ControlInputError(`${key} must be a number between 0 and 3600000`);
        next[key] = value;
        break;
      case 'duplicateProbability':
        if (typeof value !== 'number' || value < 0 || value > 1) throw new ControlInputError('duplicateProbability must be between 0 and 1');
        next.duplicateProbability = value;
        break;
      case 'suppressSynchronous':
        if (typeof value !== 'boolean') throw new ControlInputError('suppressSynchronous must be true or false');
        next.suppressSynchronous = value;
        break;
      default:
        throw new ControlInputError(
          `ipn.${key} is not a setting; accepted: url, topicArn, retryScheduleMs, timeoutMs, duplicateProbability, reorderWindow, reorderHoldMs, addedDelayMs, suppressSynchronous`,
        );
    }
  }
  return next;
}

export function applyIpnSettings(runtime: SimulatorRuntime, input: unknown): IpnConfig {
  const config = validateIpnConfig(input, runtime.engine.ipn.getConfig());
  runtime.engine.ipn.configure(config);
  return config;
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ControlInputError('the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ControlInputError('the body must be a JSON object');
  return value as Record<string, unknown>;
}

function resolveOutcome(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'Authorized' || value === 'Captured') return value;
  const reason = typeof value === 'string' ? value.replace(/^Declined:/, '') : '';
  if ((DECLINE_REASONS as readonly string[]).includes(reason)) return `Declined:${reason}`;
  throw new ControlInputError(`outcome must be Authorized, Captured or Declined:<${DECLINE_REASONS.join('|')}>`);
}

export function handleControl(runtime: SimulatorRuntime, method: string, path: string, text: string): ControlResponse {
  try {
    return route(runtime, method, path, parseBody(text));
  } catch (error) {
    if (error instanceof ControlInputError) return { status: 400, body: { error: error.message } };
    if (error instanceof AmazonPayError) return { status: error.status, body: { error: error.message, reasonCode: error.reasonCode } };
    if (error instanceof Error && !(error instanceof TypeError)) return { status: 400, body: { error: error.message } };
    throw error;
  }
}

function route(runtime: SimulatorRuntime, method: string, path: string, body: Record<string, unknown>): ControlResponse {
  const { engine } = runtime;
  const ok = (b: unknown): ControlResponse => ({ status: 200, body: b });
  const cpMatch = /^\/__sim\/charge-permissions\/([^/]+)(\/[a-z-]+)?$/.exec(path);
  const key = `${method} ${cpMatch ? `/__sim/charge-permissions/:id${cpMatch[2] ?? ''}` : path.replace(/^(\/__sim\/(?:charges|refunds))\/[^/]+\/resolve$/, '$1/:id/resolve')}`;
  const id = cpMatch?.[1] ?? /^\/__sim\/(?:charges|refunds)\/([^/]+)\/resolve$/.exec(path)?.[1] ?? '';
  switch (key) {
    case 'GET /__sim/health':
      return ok({ ok: true, now: engine.now().toISOString() });
    case 'POST /__sim/keys': {
      const { publicKeyId, publicKeyPem } = body;
      if (typeof publicKeyId !== 'string' || typeof publicKeyPem !== 'string') throw new ControlInputError('body needs { publicKeyId, publicKeyPem }');
      runtime.registerPublicKey(publicKeyId, publicKeyPem);
      return ok({ publicKeyId });
    }
    case 'POST /__sim/charge-permissions':
      return ok(createChargePermissionAsBuyer(engine, body as CreateChargePermissionInput));
    case 'GET /__sim/charge-permissions/:id': {
      const cp = requireChargePermission(engine, id);
      return ok({ chargePermission: renderChargePermission(engine.state, cp), script: cp.script, recurringUpdates: cp.recurringUpdates ?? [] });
    }
    case 'POST /__sim/charge-permissions/:id/close':
      closeAs(engine, id, body['by'], body['cancelPendingCharges'] === true);
      return ok({ chargePermission: renderChargePermission(engine.state, requireChargePermission(engine, id)) });
    case 'POST /__sim/charge-permissions/:id/non-chargeable':
      makeNonChargeable(engine, id, body['reason']);
      return ok({ chargePermission: renderChargePermission(engine.state, requireChargePermission(engine, id)) });
    case 'POST /__sim/charge-permissions/:id/chargeable':
      makeChargeable(engine, id);
      return ok({ chargePermission: renderChargePermission(engine.state, requireChargePermission(engine, id)) });
    case 'POST /__sim/charge-permissions/:id/payment-method':
      changePaymentMethod(engine, id, body);
      return ok({ chargePermission: renderChargePermission(engine.state, requireChargePermission(engine, id)) });
    case 'POST /__sim/charge-permissions/:id/expiration': {
      const at = typeof body['at'] === 'string' ? Date.parse(body['at']) : NaN;
      if (Number.isNaN(at)) throw new ControlInputError('body needs { at: ISO instant }');
      const cp = requireChargePermission(engine, id);
      cp.expiresAt = at;
      engine.save();
      return ok({ chargePermission: renderChargePermission(engine.state, cp) });
    }
    case 'PUT /__sim/charge-permissions/:id/script':
      setScript(engine, id, body);
      return ok({ script: requireChargePermission(engine, id).script });
    case 'POST /__sim/charges/:id/resolve': {
      if (!resolvePendingCharge(engine, id, resolveOutcome(body['outcome']))) throw new ControlInputError(`Charge ${id} is not pending`);
      return ok({ charge: renderCharge(engine.state.charges[id]!) });
    }
    case 'POST /__sim/refunds/:id/resolve': {
      const decline = body['declineReason'];
      if (decline !== undefined && typeof decline !== 'string') throw new ControlInputError('declineReason must be a string');
      if (!resolveRefund(engine, id, decline)) throw new ControlInputError(`Refund ${id} is not pending`);
      return ok({ refund: renderRefund(engine.state.refunds[id]!) });
    }
    case 'GET /__sim/faults':
      return ok({ faults: runtime.faults });
    case 'PUT /__sim/faults':
      runtime.faults = validateFaultConfig(body, runtime.faults);
      return ok({ faults: runtime.faults });
    case 'GET /__sim/injected-errors':
      return ok({ errors: runtime.injectedErrors });
    case 'PUT /__sim/injected-errors':
      runtime.injectedErrors = validateInjectedErrors(body);
      return ok({ errors: runtime.injectedErrors });
    case 'GET /__sim/throttle':
      return ok({ throttle: runtime.throttle.getConfig() });
    case 'PUT /__sim/throttle':
      runtime.throttle.configure(validateThrottleConfig(body));
      return ok({ throttle: runtime.throttle.getConfig() });
    case 'GET /__sim/ipn':
      return ok({ ipn: engine.ipn.getConfig() });
    case 'PUT /__sim/ipn':
      return ok({ ipn: applyIpnSettings(runtime, body) });
    case 'GET /__sim/ipn/deliveries':
      return ok({ deliveries: engine.ipn.log, pending: engine.ipn.pending() });
    case 'GET /__sim/ipn/signing-cert.pem':
      return { status: 200, body: engine.signingPublicKeyPem, contentType: 'application/x-pem-file' };
    case 'GET /__sim/charges':
      return ok({ charges: ledger(runtime) });
    case 'GET /__sim/requests': {
      const counts = Object.fromEntries(runtime.requestCounts);
      return ok({ counts, total: Object.values(counts).reduce((a, b) => a + b, 0) });
    }
    case 'GET /__sim/attempts': {
      const counts: Record<string, number> = {};
      for (const a of engine.state.attempts) counts[a.outcome] = (counts[a.outcome] ?? 0) + 1;
      return ok({ attempts: engine.state.attempts, counts, total: engine.state.attempts.length });
    }
    case 'POST /__sim/clock/advance': {
      const ms = body['ms'];
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new ControlInputError('ms must be a non-negative number');
      engine.clockOffsetMs += ms;
      return ok({ now: engine.now().toISOString() });
    }
    case 'POST /__sim/reset': {
      // Registered keys survive a reset: they are configuration, not test data.
      const publicKeys = engine.state.publicKeys;
      engine.clearTimers();
      engine.ipn.reset();
      runtime.injectedErrors = [];
      runtime.requestCounts.clear();
      engine.state = { ...emptyState(), publicKeys };
      runtime.throttle.configure(runtime.throttle.getConfig());
      engine.save();
      return ok({ reset: true });
    }
    default:
      return { status: 404, body: { error: `No control route ${method} ${path}; see simulator/control-client.ts` } };
  }
}
