export { ERROR_CODES, type ErrorCode, type Hop, isErrorCode } from './codes.ts';
export {
  ClientCertificateRejectedError,
  ConfigError,
  ConnectionError,
  HttpError,
  type HttpErrorFacts,
  IdentityError,
  ResponseValidationError,
  SecretError,
  TimeoutError,
} from './kinds.ts';
export { isMtlsLinkError, MtlsLinkError, type MtlsLinkErrorOptions } from './mtls-link-error.ts';
