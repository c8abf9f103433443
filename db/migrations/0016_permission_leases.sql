CREATE TABLE "permission_leases" (
	"charge_permission_id" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"until" timestamp with time zone NOT NULL
);
