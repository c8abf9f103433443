CREATE TABLE "subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"charge_permission_id" text NOT NULL,
	"environment" text NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"interval_unit" text NOT NULL,
	"interval_count" integer NOT NULL,
	"anchor_local" text NOT NULL,
	"anchor_zone" text NOT NULL,
	"trial" jsonb,
	"end_after_cycles" integer,
	"end_at" timestamp with time zone,
	"soft_descriptor" text,
	"merchant_metadata" jsonb,
	"first_charge_id" text,
	"current_cycle" integer DEFAULT 0 NOT NULL,
	"next_billing_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "subscriptions_workflow_id_key" UNIQUE("workflow_id"),
	CONSTRAINT "subscriptions_amount_positive" CHECK ("subscriptions"."amount_minor" > 0),
	CONSTRAINT "subscriptions_interval_count_positive" CHECK ("subscriptions"."interval_count" > 0)
);
--> statement-breakpoint
CREATE TABLE "charges" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subscription_id" text NOT NULL,
	"cycle" integer NOT NULL,
	"attempt" integer NOT NULL,
	"idempotency_key" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"charge_id" text,
	"state" text NOT NULL,
	"outcome" text,
	"reason_code" text,
	"amazon_request_id" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "charges_attempt_positive" CHECK ("charges"."attempt" >= 0)
);
--> statement-breakpoint
CREATE TABLE "ipn_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"notification_id" text,
	"sns_type" text NOT NULL,
	"object_type" text,
	"object_id" text,
	"charge_permission_id" text,
	"raw_body" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "subscription_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subscription_id" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"reason_code" text,
	"cycle" integer,
	"detail" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "charges" ADD CONSTRAINT "charges_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_events" ADD CONSTRAINT "subscription_events_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "subscriptions_charge_permission_idx" ON "subscriptions" USING btree ("charge_permission_id");--> statement-breakpoint
CREATE INDEX "subscriptions_status_idx" ON "subscriptions" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "charges_cycle_attempt_key" ON "charges" USING btree ("subscription_id","cycle","attempt");--> statement-breakpoint
CREATE UNIQUE INDEX "charges_idempotency_key_key" ON "charges" USING btree ("idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "charges_charge_id_key" ON "charges" USING btree ("charge_id");--> statement-breakpoint
CREATE UNIQUE INDEX "charges_one_success_per_cycle" ON "charges" USING btree ("subscription_id","cycle") WHERE "charges"."state" in ('Authorized', 'Captured', 'CaptureInitiated');--> statement-breakpoint
CREATE INDEX "charges_subscription_idx" ON "charges" USING btree ("subscription_id","cycle");--> statement-breakpoint
CREATE UNIQUE INDEX "ipn_inbox_message_id_key" ON "ipn_inbox" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "ipn_inbox_status_idx" ON "ipn_inbox" USING btree ("status","received_at");--> statement-breakpoint
CREATE INDEX "subscription_events_subscription_idx" ON "subscription_events" USING btree ("subscription_id","at");