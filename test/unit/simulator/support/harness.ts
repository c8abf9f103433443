// A signed test client for the simulator plus helpers shared by the simulator tests.
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../../simulator/server.js';
import { createSimulatorControl, type SimulatorControl } from '../../../../simulator/control-client.js';
import { generateTestKeyPair, signRequest, type Algorithm } from './signing.js';

export const KEY_ID = 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA';
export const KEYS = generateTestKeyPair();

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
  body: any;
  headers: Headers;
}

export interface CallOptions {
  idempotencyKey?: string;
  simulationCode?: string;
  signSimulationCode?: boolean;
  algorithm?: Algorithm;
  publicKeyId?: string;
  date?: string;
  /** Replace the body bytes sent (after signing with them). */
  rawBody?: string;
  prefix?: string;
  extraHeaders?: Record<string, string>;
}

export function amzDate(date: Date): string {
  return date.toISOString().split('.')[0] + 'Z';
}

export class TestApi {
  constructor(
    readonly sim: Simulator,
    private readonly clock: () => Date,
  ) {}

  async call(method: string, resource: string, body?: unknown, options: CallOptions = {}): Promise<ApiResponse> {
    const path = `${options.prefix ?? '/v2'}${resource}`;
    const bodyText = options.rawBody ?? (body === undefined ? '' : JSON.stringify(body));
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-amz-pay-date': options.date ?? amzDate(this.clock()),
      'x-amz-pay-host': `127.0.0.1:${this.sim.port}`,
      'x-amz-pay-region': 'na',
      ...options.extraHeaders,
    };
    if (options.idempotencyKey !== undefined) headers['x-amz-pay-idempotency-key'] = options.idempotencyKey;
    const unsigned: Record<string, string> = {};
    if (options.simulationCode !== undefined) {
      if (options.signSimulationCode) headers['x-amz-pay-simulation-code'] = options.simulationCode;
      else unsigned['x-amz-pay-simulation-code'] = options.simulationCode;
    }
    const signed = signRequest({
      method,
      path,
      body: bodyText,
      headers,
      unsignedHeaders: unsigned,
      publicKeyId: options.publicKeyId ?? KEY_ID,
      privateKeyPem: KEYS.privateKeyPem,
      algorithm: options.algorithm,
    });
    const response = await fetch(`${this.sim.url}${path}`, { method, headers: signed, body: bodyText === '' ? undefined : bodyText });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text), headers: response.headers };
  }

  createCharge(body: unknown, idempotencyKey: string, options: CallOptions = {}): Promise<ApiResponse> {
    return this.call('POST', '/charges', body, { ...options, idempotencyKey });
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date('2025-03-10T12:00:00Z')): { now: () => Date; advance: (ms: number) => void; set: (d: Date) => void } {
  let current = start.getTime();
  return { now: () => new Date(current), advance: (ms) => (current += ms), set: (d) => (current = d.getTime()) };
}

export interface Harness {
  sim: Simulator;
  api: TestApi;
  control: SimulatorControl;
  clock: ReturnType<typeof manualClock>;
}

export async function startHarness(options: SimulatorOptions = {}): Promise<Harness> {
  const clock = manualClock();
  const sim = await startSimulator({
    clock: clock.now,
    publicKeys: { [KEY_ID]: KEYS.publicKeyPem },
    throttle: { table: 'off' },
    ...options,
  });
  return { sim, api: new TestApi(sim, clock.now), control: createSimulatorControl(sim.url), clock };
}

export function chargeBody(chargePermissionId: string, amount = '14.00', currencyCode = 'USD', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { chargePermissionId, chargeAmount: { amount, currencyCode }, captureNow: true, canHandlePendingAuthorization: false, ...extra };
}

/** Polls `check` until it returns a value (not undefined) or the bound is reached. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
