// Parses an Amazon SNS HTTP delivery (Amazon Pay IPN (SNS) delivery): the envelope JSON, then its
// `Message`, itself a JSON string with PascalCase fields. Every rejection carries a reason the
// endpoint returns with a 400; nothing here trusts what the message says about state.
import { z } from 'zod';

/** Printable, bounded identifiers: anything else is not from Amazon and must not reach a workflow id. */
const id = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(200, `${what} is longer than 200 characters`)
    .regex(/^[\x21-\x7e]+$/, `${what} must be printable ASCII without spaces`);

const signed = {
  Type: z.string(),
  MessageId: id('MessageId'),
  TopicArn: z.string({ error: 'TopicArn must be a string' }).max(512),
  Timestamp: z.string({ error: 'Timestamp must be a string' }).max(64),
  SignatureVersion: z.string().max(8).optional(),
  Signature: z.string().max(4096).optional(),
  SigningCertURL: z.string().max(2048).optional(),
  // Some integrations (WooCommerce) also accept this spelling.
  SigningCertUrl: z.string().max(2048).optional(),
  Subject: z.string().max(1024).optional(),
};

const notificationSchema = z.looseObject({
  ...signed,
  Type: z.literal('Notification'),
  Message: z.string({ error: 'Message must be a JSON string' }),
  UnsubscribeURL: z.string().optional(),
});
const confirmationSchema = z.looseObject({
  ...signed,
  Type: z.enum(['SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  Message: z.string({ error: 'Message must be a string' }),
  Token: z.string({ error: 'Token must be a string' }).max(2048),
  SubscribeURL: z.string({ error: 'SubscribeURL must be a string' }).max(2048),
});

const messageSchema = z.looseObject({
  MerchantID: z.string().max(64).optional(),
  ObjectType: z.string({ error: 'Message.ObjectType must be a string' }).min(1).max(64),
  ObjectId: id('Message.ObjectId'),
  ChargePermissionId: id('Message.ChargePermissionId').optional(),
  NotificationType: z.string().max(64).optional(),
  NotificationId: id('Message.NotificationId').optional(),
  NotificationVersion: z.string().max(16).optional(),
});

/** The fields the SNS signature covers, plus what verification needs. */
export interface SignedEnvelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Timestamp: string;
  Message: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
}

export type ParsedDelivery =
  | {
      kind: 'notification';
      envelope: SignedEnvelope;
      objectType: string;
      objectId: string;
      chargePermissionId: string | null;
      notificationId: string | null;
    }
  | { kind: 'confirmation'; envelope: SignedEnvelope; subscribeUrl: string; topicArn: string };

export type ParseResult = { ok: true; delivery: ParsedDelivery } | { ok: false; reason: string };

/** The envelope alone, its `Message` not yet read: what the endpoint's cheap checks need. */
export type EnvelopeResult =
  | { ok: true; envelope: SignedEnvelope; confirmation: { subscribeUrl: string } | null }
  | { ok: false; reason: string; /** The body's MessageId when it has a well-formed one, for the refusal's log line. */ messageId: string | null };

/**
 * Step 1 of 2: the envelope JSON (Type, MessageId, TopicArn, Timestamp, signature fields), without
 * parsing the inner `Message`, so that the topic and Timestamp can be refused before any more work.
 */
export function parseSnsEnvelope(body: string): EnvelopeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON (expected an SNS notification envelope)', messageId: null };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, reason: 'body is not a JSON object (expected an SNS notification envelope)', messageId: null };
  const messageIdField = id('MessageId').safeParse((raw as { MessageId?: unknown }).MessageId);
  const refuse = (reason: string): EnvelopeResult => ({ ok: false, reason, messageId: messageIdField.success ? messageIdField.data : null });
  const type = (raw as { Type?: unknown }).Type;
  if (type === 'SubscriptionConfirmation' || type === 'UnsubscribeConfirmation') {
    const parsed = confirmationSchema.safeParse(raw);
    if (!parsed.success) return refuse(describe(parsed.error));
    return { ok: true, envelope: envelopeOf(parsed.data), confirmation: { subscribeUrl: parsed.data.SubscribeURL } };
  }
  if (type !== 'Notification')
    return refuse(
      `Type must be Notification, SubscriptionConfirmation or UnsubscribeConfirmation (found ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type})`,
    );
  const parsed = notificationSchema.safeParse(raw);
  if (!parsed.success) return refuse(describe(parsed.error));
  return { ok: true, envelope: envelopeOf(parsed.data), confirmation: null };
}

/** Step 2 of 2: a Notification's `Message` (itself a JSON string, amazon-pay-api §10); a confirmation has none to read. */
export function parseSnsMessage(parsed: Extract<EnvelopeResult, { ok: true }>): ParseResult {
  const { envelope, confirmation } = parsed;
  if (confirmation) return { ok: true, delivery: { kind: 'confirmation', envelope, subscribeUrl: confirmation.subscribeUrl, topicArn: envelope.TopicArn } };
  let inner: unknown;
  try {
    inner = JSON.parse(envelope.Message);
  } catch {
    return { ok: false, reason: 'Message is not a JSON string' };
  }
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return { ok: false, reason: 'Message is not a JSON object' };
  const message = messageSchema.safeParse(inner);
  if (!message.success) return { ok: false, reason: describe(message.error) };
  const m = message.data;
  return {
    ok: true,
    delivery: {
      kind: 'notification',
      envelope,
      objectType: m.ObjectType,
      objectId: m.ObjectId,
      chargePermissionId: m.ChargePermissionId ?? (m.ObjectType === 'CHARGE_PERMISSION' ? m.ObjectId : null),
      notificationId: m.NotificationId ?? null,
    },
  };
}

/** Both steps at once (for callers with no checks to run in between). */
export function parseSnsDelivery(body: string): ParseResult {
  const envelope = parseSnsEnvelope(body);
  return envelope.ok ? parseSnsMessage(envelope) : { ok: false, reason: envelope.reason };
}

function envelopeOf(e: z.infer<typeof notificationSchema> | z.infer<typeof confirmationSchema>): SignedEnvelope {
  const out: SignedEnvelope = { Type: e.Type, MessageId: e.MessageId, TopicArn: e.TopicArn, Timestamp: e.Timestamp, Message: e.Message };
  if (e.Subject !== undefined) out.Subject = e.Subject;
  if ('SubscribeURL' in e && typeof e.SubscribeURL === 'string') out.SubscribeURL = e.SubscribeURL;
  if ('Token' in e && typeof e.Token === 'string') out.Token = e.Token;
  if (e.SignatureVersion !== undefined) out.SignatureVersion = e.SignatureVersion;
  if (e.Signature !== undefined) out.Signature = e.Signature;
  const certUrl = e.SigningCertURL ?? e.SigningCertUrl;
  if (certUrl !== undefined) out.SigningCertURL = certUrl;
  return out;
}

function describe(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid envelope';
  const path = first.path.join('.');
  return first.code === 'invalid_type' && first.message.startsWith('Invalid input')
    ? `${path || 'envelope'}: missing or of the wrong type`
    : `${path ? `${path}: ` : ''}${first.message}`;
}
