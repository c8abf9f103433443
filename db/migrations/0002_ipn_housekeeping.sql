CREATE TABLE "housekeeping_runs" (
	"job" text NOT NULL,
	"tick" timestamp with time zone NOT NULL,
	"replica" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"result" jsonb,
	"error" text,
	CONSTRAINT "housekeeping_runs_pkey" PRIMARY KEY("job","tick")
);
--> statement-breakpoint
CREATE TABLE "permission_checks" (
	"charge_permission_id" text PRIMARY KEY NOT NULL,
	"last_checked_at" timestamp with time zone NOT NULL,
	"last_state" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "unknown_permissions" (
	"charge_permission_id" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"seen_count" integer DEFAULT 1 NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "ipn_inbox_notification_id_key" ON "ipn_inbox" USING btree ("notification_id");