-- The Create Charge rate limit a send was claimed under (the forecast's capacity evidence tells a
-- peak the quota held back from one the daemon's own throughput held back). Existing rows: unknown
-- (null), and no evidence.
ALTER TABLE "charges" ADD COLUMN "rate_limit_per_second" double precision;--> statement-breakpoint
CREATE INDEX "charges_requested_at_idx" ON "charges" USING btree ("requested_at");
