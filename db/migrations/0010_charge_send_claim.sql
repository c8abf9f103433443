ALTER TABLE "charges" ADD COLUMN "sends_in_flight" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "charges" ADD COLUMN "possibly_processed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "charges" ADD CONSTRAINT "charges_sends_in_flight_nonnegative" CHECK ("charges"."sends_in_flight" >= 0);--> statement-breakpoint
-- Rows written before this migration may have been sent by a worker that then died: unknown, so "may have been processed".
UPDATE "charges" SET "possibly_processed" = true;