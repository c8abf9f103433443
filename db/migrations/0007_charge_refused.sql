-- Create Charge answered with an error (a decline, a permission state, a limit): Amazon Pay made no
-- Charge, and such attempts were recorded as Amazon's charge state Declined with no ChargeId. They get
-- the ledger's own state Refused; Declined stays for Charges declined later (they have a ChargeId).
UPDATE "charges" SET "state" = 'Refused' WHERE "state" = 'Declined' AND "charge_id" IS NULL;--> statement-breakpoint
ALTER TABLE "charges" ADD CONSTRAINT "charges_state_matches_charge_id" CHECK (("charges"."charge_id" is null) = ("charges"."state" in ('pending', 'Refused', 'failed')));
