-- Existing rows, and rows a worker from before this migration inserts during a rolling deploy, may
-- have been sent: unknown, so "may have been processed" (the default); the send claim writes false.
ALTER TABLE "charges" ADD COLUMN "sends_in_flight" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "charges" ADD COLUMN "possibly_processed" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "charges" ADD CONSTRAINT "charges_sends_in_flight_nonnegative" CHECK ("charges"."sends_in_flight" >= 0);