ALTER TABLE "subscriptions" ADD COLUMN "anchor_day_of_month" integer;--> statement-breakpoint
ALTER TABLE "checkouts" ADD COLUMN "anchor_day_of_month" integer;--> statement-breakpoint
ALTER TABLE "checkouts" ADD COLUMN "replaces_subscription_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "checkouts_one_claimed_replacement" ON "checkouts" USING btree ("replaces_subscription_id") WHERE "checkouts"."checkout_session_id" is not null;