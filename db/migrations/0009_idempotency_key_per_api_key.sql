-- Idempotency keys are scoped per API key (as Stripe scopes them): the same Idempotency-Key sent
-- with two API keys is two requests. Every key the API claimed names its API key (all POSTs are
-- authenticated); a row without one cannot be matched to a caller any more and is dropped (keys live 24 h).
DELETE FROM "idempotency_keys" WHERE "api_key_id" IS NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" DROP CONSTRAINT "idempotency_keys_pkey";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ALTER COLUMN "api_key_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("api_key_id","key");
