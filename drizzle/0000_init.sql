CREATE TABLE "policies" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"region" text NOT NULL,
	"currency" text NOT NULL,
	"sum_insured" bigint NOT NULL,
	"timezone" text NOT NULL,
	"coverage_start" date NOT NULL,
	"coverage_end" date NOT NULL,
	"payout_mode" text NOT NULL,
	"tier1_bps" integer NOT NULL,
	"tier2_bps" integer NOT NULL,
	"tier3_bps" integer NOT NULL,
	"period_cap_bps" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policies_sum_insured_range" CHECK ("policies"."sum_insured" between 1 and 1000000000000),
	CONSTRAINT "policies_coverage_order" CHECK ("policies"."coverage_start" <= "policies"."coverage_end"),
	CONSTRAINT "policies_payout_mode" CHECK ("policies"."payout_mode" in ('once_per_day', 'per_event')),
	CONSTRAINT "policies_tiers_ordered" CHECK (0 <= "policies"."tier1_bps" and "policies"."tier1_bps" <= "policies"."tier2_bps" and "policies"."tier2_bps" <= "policies"."tier3_bps" and "policies"."tier3_bps" <= 10000),
	CONSTRAINT "policies_cap_range" CHECK ("policies"."period_cap_bps" between 1 and 10000)
);
--> statement-breakpoint
CREATE TABLE "risk_events" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"region" text NOT NULL,
	"tier" text NOT NULL,
	"observed_at" timestamp (3) with time zone NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"source" text,
	"value" double precision,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "risk_events_tier" CHECK ("risk_events"."tier" in ('tier1', 'tier2', 'tier3')),
	CONSTRAINT "risk_events_status" CHECK ("risk_events"."status" in ('active', 'retracted'))
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "claims_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"policy_id" text COLLATE "C" NOT NULL,
	"claim_date" date NOT NULL,
	"claim_key" text COLLATE "C" NOT NULL,
	"tier" text NOT NULL,
	"event_ids" text[] NOT NULL,
	"uncapped_bps" integer NOT NULL,
	"payout_bps" integer NOT NULL,
	"payout_amount" bigint NOT NULL,
	"capped" boolean NOT NULL,
	"first_observed_at" timestamp (3) with time zone NOT NULL,
	"fence_token" bigint NOT NULL,
	"calculator_version" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claims_natural_key" UNIQUE("policy_id","claim_date","claim_key"),
	CONSTRAINT "claims_tier" CHECK ("claims"."tier" in ('tier1', 'tier2', 'tier3')),
	CONSTRAINT "claims_bps_range" CHECK ("claims"."uncapped_bps" between 0 and 10000 and "claims"."payout_bps" between 0 and "claims"."uncapped_bps"),
	CONSTRAINT "claims_capped_flag" CHECK ("claims"."capped" = ("claims"."payout_bps" < "claims"."uncapped_bps")),
	CONSTRAINT "claims_payout_amount_nonnegative" CHECK ("claims"."payout_amount" >= 0),
	CONSTRAINT "claims_event_ids_present" CHECK (cardinality("claims"."event_ids") >= 1)
);
--> statement-breakpoint
CREATE TABLE "calculation_ledger" (
	"policy_id" text COLLATE "C" NOT NULL,
	"claim_date" date NOT NULL,
	"fence_token" bigint NOT NULL,
	"inputs_hash" text NOT NULL,
	"calculator_version" text NOT NULL,
	"events_count" integer NOT NULL,
	"claims_count" integer NOT NULL,
	"capped_count" integer NOT NULL,
	"payout_bps_total" integer NOT NULL,
	"payout_amount_total" bigint NOT NULL,
	"computations" integer DEFAULT 1 NOT NULL,
	"written_by" text NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calculation_ledger_pk" PRIMARY KEY("policy_id","claim_date"),
	CONSTRAINT "calculation_ledger_counts" CHECK ("calculation_ledger"."claims_count" >= 0 and "calculation_ledger"."capped_count" >= 0 and "calculation_ledger"."events_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "claim_audit" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "claim_audit_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"policy_id" text COLLATE "C" NOT NULL,
	"claim_date" date NOT NULL,
	"claim_key" text COLLATE "C" NOT NULL,
	"action" text NOT NULL,
	"reason" text NOT NULL,
	"computed_date" date NOT NULL,
	"old_tier" text,
	"new_tier" text,
	"old_event_ids" text[],
	"new_event_ids" text[],
	"old_uncapped_bps" integer,
	"new_uncapped_bps" integer,
	"old_payout_bps" integer,
	"new_payout_bps" integer,
	"old_payout_amount" bigint,
	"new_payout_amount" bigint,
	"fence_token" bigint NOT NULL,
	"calculator_version" text NOT NULL,
	"written_by" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claim_audit_action" CHECK ("claim_audit"."action" in ('insert', 'update', 'delete')),
	CONSTRAINT "claim_audit_reason" CHECK ("claim_audit"."reason" in ('computed', 'reallocated', 'removed'))
);
--> statement-breakpoint
CREATE TABLE "lock_fences" (
	"key" text COLLATE "C" PRIMARY KEY NOT NULL,
	"lock_id" bigint NOT NULL,
	"token" bigint NOT NULL,
	"holder" text,
	"acquired_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_policy_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calculation_ledger" ADD CONSTRAINT "calculation_ledger_policy_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "policies_coverage_idx" ON "policies" USING btree ("coverage_start","coverage_end");--> statement-breakpoint
CREATE INDEX "policies_region_idx" ON "policies" USING btree ("region");--> statement-breakpoint
CREATE INDEX "risk_events_region_observed_idx" ON "risk_events" USING btree ("region","observed_at");--> statement-breakpoint
CREATE INDEX "claims_claim_date_idx" ON "claims" USING btree ("claim_date");--> statement-breakpoint
CREATE INDEX "calculation_ledger_claim_date_idx" ON "calculation_ledger" USING btree ("claim_date");--> statement-breakpoint
CREATE INDEX "claim_audit_policy_date_idx" ON "claim_audit" USING btree ("policy_id","claim_date");--> statement-breakpoint
CREATE INDEX "lock_fences_lock_id_idx" ON "lock_fences" USING btree ("lock_id");