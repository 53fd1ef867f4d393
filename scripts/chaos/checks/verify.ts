/** The product's own `claims verify` (exit 0 and ok), as an operator would run it. */
import { claims, jsonOutput } from "../cli.ts";
import type { Check } from "./context.ts";

interface VerifyJson {
  ok: boolean;
  problems: number;
  byKind: Record<string, number>;
  listed: { kind: string; policyId: string; claimDate?: string; message: string }[];
}

export const verifyCommand: Check = {
  name: "verify-command",
  description: "`claims verify --json` exits 0 and reports no difference, breach, gap or orphan",
  async run({ env }) {
    const result = await claims(["verify", "--json", "--limit", "50"], env);
    const out = jsonOutput<VerifyJson>(result.stdout);
    if (!out) return [`claims verify exited ${result.code} without JSON: ${result.stderr.trim()}`];
    const problems = out.listed.map((p) =>
      `${p.kind} ${p.policyId} ${p.claimDate ?? ""}: ${p.message}`
    );
    if (out.problems > problems.length) {
      problems.push(`… ${out.problems - problems.length} more (${JSON.stringify(out.byKind)})`);
    }
    if (result.code !== 0 && problems.length === 0) {
      problems.push(`claims verify exited ${result.code}: ${result.stderr.trim()}`);
    }
    if (result.code === 0 && !out.ok) problems.push("claims verify exited 0 but says not ok");
    return problems;
  },
};
