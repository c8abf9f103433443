CREATE TABLE "checkouts" (
	"subscription_id" text PRIMARY KEY NOT NULL,
	"account" text,
	"terms" jsonb NOT NULL,
	"payload_json" text NOT NULL,
	"checkout_session_id" text,
	"anchor_local" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
