-- Event revisions (src/store/schema/event-revisions.ts): every statement that inserts, changes
-- or deletes risk events adds 1 to the counter of each (region, UTC day) it touched, before and
-- after the change alike. Statement-level with transition tables: one upsert per statement,
-- not per row; rows taken in key order so that concurrent imports never deadlock on them.
CREATE FUNCTION "bump_event_revisions"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "event_revisions" ("region", "day", "revision")
    SELECT DISTINCT "region", ("observed_at" AT TIME ZONE 'UTC')::date, 1 FROM "new_rows"
    ORDER BY 1, 2
    ON CONFLICT ("region", "day") DO UPDATE SET "revision" = "event_revisions"."revision" + 1;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO "event_revisions" ("region", "day", "revision")
    SELECT "region", "day", 1 FROM (
      SELECT "region", ("observed_at" AT TIME ZONE 'UTC')::date AS "day" FROM "old_rows"
      UNION
      SELECT "region", ("observed_at" AT TIME ZONE 'UTC')::date AS "day" FROM "new_rows"
    ) AS "touched"
    ORDER BY 1, 2
    ON CONFLICT ("region", "day") DO UPDATE SET "revision" = "event_revisions"."revision" + 1;
  ELSE
    INSERT INTO "event_revisions" ("region", "day", "revision")
    SELECT DISTINCT "region", ("observed_at" AT TIME ZONE 'UTC')::date, 1 FROM "old_rows"
    ORDER BY 1, 2
    ON CONFLICT ("region", "day") DO UPDATE SET "revision" = "event_revisions"."revision" + 1;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "risk_events_revisions_insert" AFTER INSERT ON "risk_events"
  REFERENCING NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_event_revisions"();
--> statement-breakpoint
CREATE TRIGGER "risk_events_revisions_update" AFTER UPDATE ON "risk_events"
  REFERENCING OLD TABLE AS "old_rows" NEW TABLE AS "new_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_event_revisions"();
--> statement-breakpoint
CREATE TRIGGER "risk_events_revisions_delete" AFTER DELETE ON "risk_events"
  REFERENCING OLD TABLE AS "old_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_event_revisions"();
--> statement-breakpoint
-- Events stored before this migration: their days start at revision 1.
INSERT INTO "event_revisions" ("region", "day", "revision")
SELECT DISTINCT "region", ("observed_at" AT TIME ZONE 'UTC')::date, 1 FROM "risk_events"
ON CONFLICT DO NOTHING;
