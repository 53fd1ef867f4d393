/**
 * The namespace and the custom search attributes every Temporal this project runs against
 * has registered: the dev server (flags at start), the self-hosted cluster (temporal-cluster.ts
 * registers them with `temporal operator`), compose.yaml (its `temporal-setup` service, checked
 * against this list by tests/integration/deploy/compose.test.ts) and, in production, the operator
 * (docs/deployment.md). One list, so that a query on them works on every server alike.
 */

/** TEMPORAL_NAMESPACE's default in src/config.ts: what tests, demo and benchmarks use. */
export const CLAIMS_NAMESPACE = "default";

export interface SearchAttribute {
  name: string;
  type: "Keyword";
}

export const CLAIMS_SEARCH_ATTRIBUTES: readonly SearchAttribute[] = [
  /** The claim date a run computes (YYYY-MM-DD; a Keyword sorts and compares as the date). */
  { name: "ClaimDate", type: "Keyword" },
  /** What kind of run it is (the `claims runs` command lists and filters by it). */
  { name: "RunKind", type: "Keyword" },
];
