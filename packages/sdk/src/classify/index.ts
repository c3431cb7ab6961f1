export { classifyFailure, evidenceText } from './classify-failure.ts';
export type { FailureContext, RefusalSignal } from './failure-context.ts';
export {
  classifyHttpResponse,
  errorTypeOf,
  type HttpFailureFacts,
  type HttpRefusalReason,
  headerValue,
  httpRefusalOf,
  type ResponseHeaders,
  requestIdOf,
} from './http-status.ts';
export { type CertificateVerdict, judgeCertificate } from './judge.ts';
export { alertOfError, isClientCertificateAlert, receivedAlertName } from './tls-alerts.ts';
