export { classifyFailure, evidenceText } from './classify-failure.ts';
export type { FailureContext, RefusalSignal } from './failure-context.ts';
export {
  classifyHttpResponse,
  type HttpFailureFacts,
  type HttpRefusalReason,
  httpRefusalOf,
  type ResponseHeaders,
} from './http-status.ts';
export { type CertificateVerdict, judgeCertificate } from './judge.ts';
export { alertOfError, isClientCertificateAlert, receivedAlertName } from './tls-alerts.ts';
