export { classifyFailure } from './classify-failure.ts';
export type { FailureContext, RefusalSignal } from './failure-context.ts';
export { classifyHttpResponse, type HttpFailureFacts, type ResponseHeaders } from './http-status.ts';
export { alertOfError, isClientCertificateAlert, receivedAlertName } from './tls-alerts.ts';
