import { constants, createHash, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buttonStringToSign, signButtonPayload } from '../../../amazonpay/button-signature.js';
import { verifyButtonSignature } from '../../../simulator/button-signature.js';

// The test vector of the official PHP (tests/unit/ClientTest.php) and Java
// (GenerateButtonSignatureTest.java) SDKs: PSS is randomised, so the vector fixes the payload, its
// hash and the string to sign; the signature is checked by verifying it.
const VECTOR_PAYLOAD =
  '{"storeId":"amzn1.application-oa2-client.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","webCheckoutDetails":{"checkoutReviewReturnUrl":"https://localhost/test/CheckoutReview.php","checkoutResultReturnUrl":"https://localhost/test/CheckoutResult.php"}}';
const VECTOR_SHA256 = '8dec52d799607be40f82d5c8e7ecb6c171e6591c41b1111a576b16076c89381c';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const verifyWith = (stringToSign: string, signature: string, saltLength: number): boolean =>
  verify('sha256', Buffer.from(stringToSign), { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, Buffer.from(signature, 'base64'));

describe('signButtonPayload (the button’s createCheckoutSessionConfig)', () => {
  it('hashes the vector payload to the SDKs’ SHA-256 and builds their string to sign', () => {
    expect(createHash('sha256').update(VECTOR_PAYLOAD).digest('hex')).toBe(VECTOR_SHA256);
    expect(buttonStringToSign('AMZN-PAY-RSASSA-PSS', VECTOR_PAYLOAD)).toBe(`AMZN-PAY-RSASSA-PSS\n${VECTOR_SHA256}`);
    expect(buttonStringToSign('AMZN-PAY-RSASSA-PSS-V2', VECTOR_PAYLOAD)).toBe(`AMZN-PAY-RSASSA-PSS-V2\n${VECTOR_SHA256}`);
  });

  it.each([
    ['AMZN-PAY-RSASSA-PSS', 20, 32],
    ['AMZN-PAY-RSASSA-PSS-V2', 32, 20],
  ] as const)('%s signs with salt %i: verifies with it, not with salt %i nor over the raw payload', (algorithm, salt, otherSalt) => {
    const config = signButtonPayload(VECTOR_PAYLOAD, { publicKeyId: 'SANDBOX-KEY', privateKey, algorithm });
    expect(config).toEqual({ payloadJSON: VECTOR_PAYLOAD, signature: expect.any(String), publicKeyId: 'SANDBOX-KEY', algorithm });
    const stringToSign = `${algorithm}\n${VECTOR_SHA256}`;
    expect(verifyWith(stringToSign, config.signature, salt)).toBe(true);
    expect(verifyWith(stringToSign, config.signature, otherSalt)).toBe(false);
    expect(verifyWith(VECTOR_PAYLOAD, config.signature, salt)).toBe(false);
  });

  it('serialises an object payload with JSON.stringify and defaults to V2; the simulator verifies it, and refuses any change', () => {
    const payload = JSON.parse(VECTOR_PAYLOAD) as Record<string, unknown>;
    const config = signButtonPayload(payload, { publicKeyId: 'SANDBOX-KEY', privateKey });
    expect([config.payloadJSON, config.algorithm]).toEqual([VECTOR_PAYLOAD, 'AMZN-PAY-RSASSA-PSS-V2']);
    const lookup = (id: string) => (id === 'SANDBOX-KEY' ? publicKey : undefined);
    expect(() => verifyButtonSignature(config, lookup)).not.toThrow();
    expect(() => verifyButtonSignature({ ...config, payloadJSON: VECTOR_PAYLOAD.replace('CheckoutResult', 'Elsewhere') }, lookup)).toThrow(/does not verify/);
    // Absent algorithm means V1 to checkout.js: a V2 signature then fails.
    expect(() => verifyButtonSignature({ ...config, algorithm: undefined }, lookup)).toThrow(
      /does not verify for this payloadJSON with AMZN-PAY-RSASSA-PSS and/,
    );
    expect(() => verifyButtonSignature({ ...config, publicKeyId: 'SANDBOX-OTHER' }, lookup)).toThrow(/SANDBOX-OTHER" is not registered/);
    expect(() => verifyButtonSignature({ ...config, algorithm: 'RSA' }, lookup)).toThrow(/algorithm "RSA" is not supported/);
  });

  it('never puts the private key in its result', () => {
    const config = signButtonPayload('{}', { publicKeyId: 'SANDBOX-KEY', privateKey });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(JSON.stringify(config)).not.toContain(pem.split('\n')[1]);
  });
});
