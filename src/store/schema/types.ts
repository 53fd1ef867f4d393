import { customType } from "drizzle-orm/pg-core";

/**
 * Identifiers compare by code unit (SPEC §2), which in PostgreSQL is `COLLATE "C"`; drizzle has
 * no collation option, so the collation is part of the column type.
 */
export const idText = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
});
