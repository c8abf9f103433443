// Verifies an Amazon Pay button's createCheckoutSessionConfig as Amazon does before it creates a
// Checkout Session (amazon-pay-checkout reference §7.2): stringToSign = algorithm + "\n" +
// hex(SHA-256(payloadJSON)), RSASSA-PSS/SHA-256 with salt 20 (AMZN-PAY-RSASSA-PSS, also when
// `algorithm` is absent) or 32 (-V2), over the exact payloadJSON string checkout.js received.
import { createHash, verify, constants as cryptoConstants, type KeyObject } from 'node:crypto';
import { SIGNATURE_ALGORITHMS } from './signature.js';

export interface ButtonConfig {
  payloadJSON: string;
  signature: string;
  publicKeyId: string;
  /** Absent means AMZN-PAY-RSASSA-PSS (V1), as checkout.js assumes (§7.1). */
  algorithm?: string | undefined;
}

/** Why a button's signature was refused; the message names what to fix, never the key. */
export class ButtonSignatureError extends Error {
  override readonly name = 'ButtonSignatureError';
}

/** The string the button's signature covers. */
export function buttonStringToSign(algorithm: string, payloadJSON: string): string {
  return `${algorithm}\n${createHash('sha256').update(payloadJSON, 'utf8').digest('hex')}`;
}

/** Throws ButtonSignatureError unless `config.signature` verifies for `config.payloadJSON` with the key registered as publicKeyId. */
export function verifyButtonSignature(config: ButtonConfig, lookupPublicKey: (publicKeyId: string) => KeyObject | undefined): void {
  const algorithm = config.algorithm === undefined || config.algorithm === '' ? 'AMZN-PAY-RSASSA-PSS' : config.algorithm;
  const saltLength = SIGNATURE_ALGORITHMS[algorithm];
  if (saltLength === undefined) {
    throw new ButtonSignatureError(
      `algorithm "${algorithm}" is not supported; accepted: ${Object.keys(SIGNATURE_ALGORITHMS).join(', ')} (absent means AMZN-PAY-RSASSA-PSS)`,
    );
  }
  if (config.payloadJSON === '') throw new ButtonSignatureError('payloadJSON is empty');
  if (config.signature === '') throw new ButtonSignatureError('signature is empty');
  const key = lookupPublicKey(config.publicKeyId);
  if (!key) throw new ButtonSignatureError(`publicKeyId "${config.publicKeyId}" is not registered with this Amazon Pay account`);
  let valid = false;
  try {
    valid = verify(
      'sha256',
      Buffer.from(buttonStringToSign(algorithm, config.payloadJSON), 'utf8'),
      { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength },
      Buffer.from(config.signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new ButtonSignatureError(
      `the signature does not verify for this payloadJSON with ${algorithm} and key ${config.publicKeyId}: sign the exact payloadJSON string the button receives`,
    );
  }
}
