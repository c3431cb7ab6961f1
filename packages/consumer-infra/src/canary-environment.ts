/**
 * Environment variables the ProbeCanary sets on each canary function: the names the probe's canary
 * handler reads (`CANARY_ENV` of @mtls-link/probe, documented there), imported so they cannot drift.
 */
export { CANARY_ENV as CANARY_ENVIRONMENT } from '@mtls-link/probe/canary-names';
