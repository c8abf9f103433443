// Requests and responses of /v1/checkout-sessions (api/routes/checkout-sessions.ts).
import { z } from 'zod';
import { CHECKOUT_SESSION_ID_INPUT_PATTERN } from '../../billing/plan-rules.js';
import { MAX_RETURN_URL_LENGTH, returnUrlRule } from '../../client/checkout/payload.js';
import { EndSchema, IntervalSchema, MoneySchema, StatusSchema, text } from './common.js';
import { PlanSchema, SubscriptionSchema } from './resources.js';

const returnUrl = (description: string) => text(MAX_RETURN_URL_LENGTH * 2, description);

export const CreateCheckoutSessionBody = z
  .strictObject({
    subscriptionId: text(
      64,
      'Your id for the subscription the checkout starts: 1-64 of A-Z a-z 0-9 _ . : -, and no subscription may have it yet. Amazon Pay shows it to the buyer as the order reference (merchantReferenceId). The same id again replaces the terms until a Checkout Session completes them',
    ),
    plan: z.strictObject({ price: MoneySchema, interval: IntervalSchema }),
    zone: text(64, "The buyer's IANA zone (default UTC): the subscription's anchor is the moment the checkout is completed, in it").optional(),
    trial: IntervalSchema.optional().describe('Free trial: nothing is charged at checkout (paymentIntent Confirm); cycle 0 is billed when it ends'),
    end: EndSchema.optional(),
    softDescriptor: text(
      64,
      'Statement descriptor, at most 16 bytes, on every charge of the subscription. On the checkout charge in the payload when it is captured at checkout (paymentIntent AuthorizeWithCapture: Amazon Pay takes softDescriptor at checkout with no other payment intent), on the Capture Charge when it was only authorized (paymentIntent Authorize), and on every later Create Charge; a trial (Confirm) charges nothing at checkout',
    ).optional(),
    merchantMetadata: z
      .strictObject({
        merchantStoreName: text(50).optional(),
        noteToBuyer: text(255, undefined, { multiLine: true }).optional(),
        customInformation: text(4096, undefined, { multiLine: true }).optional(),
      })
      .optional()
      .describe('Shown on the Amazon Pay page and sent with every Create Charge; merchantReferenceId is the subscription id'),
    checkoutResultReturnUrl: returnUrl(
      `Where Amazon Pay sends the buyer after paying, with amazonCheckoutSessionId appended: your page that calls POST /v1/checkout-sessions/{id}/complete. ${returnUrlRule('any')}`,
    ),
    checkoutCancelUrl: returnUrl('Where a buyer who cancels on the Amazon Pay page is sent (default: the result URL); same rules').optional(),
    canHandlePendingAuthorization: z
      .boolean()
      .optional()
      .describe(
        'true: cycle 0 is authorized (paymentIntent Authorize, pending authorizations allowed) and the daemon captures it once Authorized; false: AuthorizeWithCapture. Default: billing.yaml policy.usePendingAuthorization. true with a trial is 422: a trial checkout (Confirm) charges nothing, so no authorization can be pending',
      ),
    replacesSubscriptionId: text(
      64,
      "The live subscription (active or trialing) the new one replaces — e.g. a plan change refused with 409 plan-change-needs-checkout in Amazon Pay's EU/UK region (PSD2). Nothing is charged at checkout (paymentIntent Confirm; recurringMetadata states the new plan): its current period is paid, and the new subscription's cycle 0 is due at its next billing date, its schedule continued (a monthly plan anchored on Jan 31 whose next date is Feb 28 goes on Mar 31). Complete then stops it now (subscription.canceled, reason ReplacedBy:<subscriptionId>) and closes its Charge Permission unless another live subscription bills on it. Same currency, same zone (a zone left out is its zone), same merchant account, no trial; a subscription is replaced once. Refused: unknown id 422; ended, stopping, paused, past_due/payment_method_required/needs_attention/unpaid, already replaced 409",
    ).optional(),
    account: text(64, 'Reserved for several Amazon Pay merchant accounts: null or left out today (any other value is 422)').nullish(),
  })
  .meta({ id: 'CreateCheckoutSessionRequest' });

/** Complete takes no fields: everything comes from the Checkout Session and its checkout. */
export const CompleteCheckoutSessionBody = z.strictObject({}).meta({ id: 'CompleteCheckoutSessionRequest' });

export const CheckoutSessionIdParams = z.strictObject({
  id: z
    .string()
    .max(64)
    .describe(
      'The amazonCheckoutSessionId Amazon Pay appended to your result URL, a UUID in any letter case (the daemon uses it in lower case, as Amazon writes it)',
    )
    .meta({ pattern: CHECKOUT_SESSION_ID_INPUT_PATTERN.source }),
});

export const CheckoutButtonSchema = z
  .strictObject({
    subscriptionId: z.string(),
    replacesSubscriptionId: z.string().nullable().describe('The subscription this checkout replaces; null for none'),
    paymentIntent: z.enum(['Confirm', 'Authorize', 'AuthorizeWithCapture']).describe('Confirm: a trial or a replacement, nothing charged at checkout'),
    chargeAmount: MoneySchema.nullable().describe('Charged at checkout as cycle 0; null with a trial or a replacement'),
    plan: PlanSchema,
    button: z
      .strictObject({
        merchantId: z
          .string()
          .describe("renderButton's merchantId: your Amazon Pay merchant ID (AMAZON_PAY_MERCHANT_ID; without it this call is 501 not-configured)"),
        sandbox: z.boolean().describe("renderButton's sandbox"),
        productType: z.literal('PayOnly').describe("renderButton's productType"),
        createCheckoutSessionConfig: z
          .strictObject({
            payloadJSON: z.string().describe('The Create Checkout Session payload exactly as signed: pass it unchanged'),
            signature: z.string(),
            publicKeyId: z.string(),
            algorithm: z.enum(['AMZN-PAY-RSASSA-PSS-V2', 'AMZN-PAY-RSASSA-PSS']),
          })
          .describe("renderButton's createCheckoutSessionConfig"),
      })
      .describe('What amazon.Pay.renderButton(selector, {...}) takes; add placement, ledgerCurrency and checkoutLanguage for your page'),
  })
  .meta({ id: 'CheckoutButton', description: 'The Amazon Pay button for a plan, signed by the daemon: the merchant never signs.' });

export const CompleteCheckoutResultSchema = z
  .strictObject({
    subscription: SubscriptionSchema,
    created: z.boolean().describe('false: the checkout had already started this subscription (201 vs 200)'),
    checkoutSessionId: z.string(),
    chargePermissionId: z.string(),
    chargeId: z.string().nullable().describe('The charge made at checkout (cycle 0 in the ledger); null with a trial'),
    nextBillingAt: z
      .string()
      .nullable()
      .describe(
        "ISO-8601 instant in UTC: when the first cycle not paid at checkout is due — cycle 1, or with a trial the trial's end (cycle 0), or for a replacement the replaced subscription's next billing date (cycle 0) — computed from the subscription's anchor; null when the subscription ends before it. A checkout charge Amazon still has pending counts as cycle 0's: if Amazon declines it later, cycle 0 is retried like any declined cycle (subscription.nextBillingAt then says so). Known at once, unlike subscription.nextBillingAt, which the subscription's workflow records when it plans that cycle (null until then)",
      ),
    replaced: z
      .strictObject({
        subscriptionId: z.string(),
        status: StatusSchema.describe('canceled (reason ReplacedBy:<the new subscription id>) once its workflow has stopped'),
        statusReason: z.string().nullable(),
        chargePermissionId: z.string(),
        chargePermissionClosed: z
          .boolean()
          .describe('Closed with Close Charge Permission; false when another live subscription still bills on it (it is left open for that one)'),
      })
      .nullable()
      .describe(
        'The subscription this checkout replaced (replacesSubscriptionId), stopped now — nothing is charged on it after the complete — and its Charge Permission closed; a repeat finishes what is left and answers the same. null: the checkout replaced none',
      ),
  })
  .meta({ id: 'CompleteCheckoutResult' });
