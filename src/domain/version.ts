/**
 * Version of the calculation rules, stored with every computed policy-day. Bump it whenever
 * a change to src/domain could change a stored claim, so that `verify` and reruns can tell
 * results of the old rules from the new.
 */
export const CALCULATOR_VERSION = "2025.1";
