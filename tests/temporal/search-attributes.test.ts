/**
 * The project's custom search attributes (scripts/lib/temporal-namespace.ts) are registered on
 * whichever Temporal the run uses, the dev server (flags at start) or the server on PostgreSQL
 * (`temporal operator search-attribute create`), and a visibility query can use them.
 */
import assert from "node:assert/strict";
import { test } from "../support/test.ts";
import { useTemporal } from "../support/temporal.ts";
import {
  CLAIMS_NAMESPACE,
  CLAIMS_SEARCH_ATTRIBUTES,
} from "../../scripts/lib/temporal-namespace.ts";

const temporal = useTemporal();

test("ClaimDate and RunKind are Keyword search attributes a query can filter on", async () => {
  const { Client, Connection } = await import("@temporalio/client");
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: CLAIMS_NAMESPACE,
    });
    assert.deepEqual(
      CLAIMS_SEARCH_ATTRIBUTES.map((a) => [a.name, customAttributes?.[a.name]]),
      // temporal.api.enums.v1.IndexedValueType: 2 = KEYWORD
      [["ClaimDate", 2], ["RunKind", 2]],
    );
    const client = new Client({ connection, namespace: CLAIMS_NAMESPACE });
    const { count } = await client.workflow.count(
      "ClaimDate = '1999-12-31' AND RunKind = 'no-such-kind'",
    );
    assert.equal(count, 0);
  } finally {
    await connection.close();
  }
});
