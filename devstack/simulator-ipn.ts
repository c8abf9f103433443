// How the daemon trusts the Amazon Pay simulator's IPNs when the simulator stands in (`npm run dev`):
// exactly its signing key (it serves a bare public key, which production's 'sns' mode refuses) and
// exactly its topic. Nothing else is accepted, even with an empty ipn.allowedTopicArns.
import type { DaemonOptions } from '../daemon/run.js';
import type { Simulator } from '../simulator/server.js';

export function simulatorIpnTrust(
  simulator: Pick<Simulator, 'ipnSigningPublicKeyPem' | 'ipnTopicArn'>,
): Required<Pick<DaemonOptions, 'ipnSignature' | 'ipnTopicArns'>> {
  return {
    ipnSignature: { mode: 'trusted-key', publicKeyPem: simulator.ipnSigningPublicKeyPem },
    ipnTopicArns: [simulator.ipnTopicArn],
  };
}
