// Signs the Amazon Pay button's createCheckoutSessionConfig, as every official SDK's
// generateButtonSignature does (amazon-pay-checkout reference §7.2): stringToSign = algorithm +
// "\n" + hex(SHA-256(payloadJSON)), RSASSA-PSS with the algorithm's salt. No date and no headers,
// so a signed payload never expires. Pure: the key is an input.
import { createHash, type KeyObject } from 'node:crypto';
import { RedactedPrivateKey } from './private-key.js';
import { signStringToSign, type SigningAlgorithm } from './signing.js';

/** What amazon.Pay.renderButton takes as createCheckoutSessionConfig. */
export interface ButtonConfig {
  /** The exact string that was signed; hand it to checkout.js unchanged. */
  payloadJSON: string;
  /** Base64 RSASSA-PSS signature. */
  signature: string;
  publicKeyId: string;
  /** Always given: checkout.js assumes AMZN-PAY-RSASSA-PSS (V1) when it is absent (§7.1). */
  algorithm: SigningAlgorithm;
}

/** algorithm + "\n" + lowercase hex SHA-256 of the UTF-8 payloadJSON. */
export function buttonStringToSign(algorithm: SigningAlgorithm, payloadJSON: string): string {
  return `${algorithm}\n${createHash('sha256').update(payloadJSON, 'utf8').digest('hex')}`;
}

/**
 * Signs a Checkout Session payload for the button. `payload` is the Create Checkout Session body
 * (serialised here with JSON.stringify) or an already serialised string, signed byte for byte.
 * Default algorithm AMZN-PAY-RSASSA-PSS-V2 (salt 32). The key never appears in the result.
 */
export function signButtonPayload(
  payload: string | Readonly<Record<string, unknown>>,
  credentials: { publicKeyId: string; privateKey: RedactedPrivateKey | KeyObject; algorithm?: SigningAlgorithm },
): ButtonConfig {
  const payloadJSON = typeof payload === 'string' ? payload : JSON.stringify(payload);
  if (payloadJSON === '') throw new TypeError('signButtonPayload: the payload is empty');
  const algorithm = credentials.algorithm ?? 'AMZN-PAY-RSASSA-PSS-V2';
  const key = credentials.privateKey instanceof RedactedPrivateKey ? credentials.privateKey.keyObject() : credentials.privateKey;
  return {
    payloadJSON,
    signature: signStringToSign(key, algorithm, buttonStringToSign(algorithm, payloadJSON)),
    publicKeyId: credentials.publicKeyId,
    algorithm,
  };
}
