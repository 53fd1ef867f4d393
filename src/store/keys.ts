/** Map keys of policy-days and claims (ids cannot contain a space: SPEC §2). */

export function dayKey(policyId: string, claimDate: string): string {
  return `${policyId} ${claimDate}`;
}

export function claimKeyOf(policyId: string, claimDate: string, claimKey: string): string {
  return `${policyId} ${claimDate} ${claimKey}`;
}
