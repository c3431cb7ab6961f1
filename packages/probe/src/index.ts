export { PROBE_METRICS } from './canary-metrics.ts';
export type { Check, CheckOutcome } from './checks/check.ts';
export { CHECKS } from './checks/index.ts';
export { hintFor, isProbeCode, PROBE_CODES, type ProbeCode, type ProbeHop } from './codes.ts';
export type { CrlInput, ProbeInputs, TrustStoreInput } from './context.ts';
export { describeIdentity, type IdentityDescription, renderIdentityText } from './describe-identity.ts';
export { runChecks, runProbe } from './engine.ts';
export { isProbeError, ProbeError } from './errors.ts';
export { loadInputs } from './inputs/load-inputs.ts';
export { type AddressScope, addressScope } from './net/address.ts';
export { type CredentialSource, PROBE_DEFAULTS, type ProbeOptions } from './options.ts';
export {
  type EmfOptions,
  emfDocuments,
  OUTPUT_FORMATS,
  type OutputFormat,
  renderEmf,
  renderJson,
  renderJunit,
  renderPrometheus,
  renderResult,
  renderText,
  wantsColor,
} from './render/index.ts';
export {
  type CertificateRequestFacts,
  type NotRunReason,
  notRunReport,
  type ProbeReport,
  type Reproduction,
} from './report.ts';
export { type PassphraseFrom, type ReproduceValues, reproduceCommands } from './reproduce.ts';
export {
  CHECK_IDS,
  type CheckId,
  type CheckResult,
  type CheckStatus,
  exitStatusOf,
  type ProbeResult,
  type ProbeTarget,
  type Verdict,
  verdictOf,
} from './result.ts';
export { type RunLimits, runProbeBounded } from './run-bounded.ts';
export { PROBE_VERSION } from './version.ts';
export { describeSummary, percentile, type WatchSummary, watchProbe } from './watch.ts';
