CREATE INDEX "webhook_deliveries_endpoint_due_idx" ON "webhook_deliveries" USING btree ("endpoint_id","next_attempt_at") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
-- Wakes webhook dispatchers (webhooks/dispatcher.ts) as soon as events commit: NOTIFY is sent at
-- commit, and PostgreSQL folds identical notifications of one transaction into one. A
-- statement-level trigger costs one call per INSERT statement, not per row. Dispatchers also
-- poll, so a lost notification (no listener connected at that moment) only delays delivery.
CREATE FUNCTION billing_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('billing_events', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION billing_notify_events();
