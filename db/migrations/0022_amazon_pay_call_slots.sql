CREATE TABLE "amazon_pay_call_slots" (
	"account" text DEFAULT '' NOT NULL,
	"operation" text NOT NULL,
	"next_slot_at" timestamp with time zone NOT NULL,
	CONSTRAINT "amazon_pay_call_slots_account_operation_pk" PRIMARY KEY("account","operation")
);
