ALTER TABLE "subscriptions" ADD COLUMN "period_end_stop_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "period_end_stop_reason" text;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "period_end_stop_after_cycle" integer;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "period_end_stop_ends_at" timestamp with time zone;