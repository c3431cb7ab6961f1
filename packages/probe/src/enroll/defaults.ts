/** Defaults of `mtls-probe enroll` and the rotation function, in one place (the help text quotes them). */
export const ENROLL_DEFAULTS = {
  keyType: 'ec-p256',
  validityDays: 365,
  stage: 'AWSCURRENT',
  /** For IssueCertificate, the wait for GetCertificate and the throttling retries together. */
  timeoutMs: 60_000,
} as const;
