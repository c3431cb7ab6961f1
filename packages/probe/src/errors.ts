import { isMtlsLinkError } from '@mtls-link/sdk';
import { hintFor, isProbeCode, type ProbeCode } from './codes.ts';

const brand = Symbol.for('mtls-link.probe-error');

export interface ProbeErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
  /** Facts for the report (option name, file path, host:port). Never key material. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error of the probe: the command could not run as asked (a bad option, a file or secret that
 * cannot be read at all). The CLI turns it into exit status 2; findings about the path are check
 * results, never errors.
 */
export class ProbeError extends Error {
  readonly code: ProbeCode;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ProbeCode, message: string, options: ProbeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProbeError';
    this.code = code;
    this.hint = options.hint ?? hintFor(code);
    this.details = options.details ?? {};
    Object.defineProperty(this, brand, { value: true });
  }
}

export function isProbeError(error: unknown): error is ProbeError {
  return typeof error === 'object' && error !== null && (error as { [brand]?: unknown })[brand] === true;
}

/** Wraps an SDK error (identity or secret reading) so the CLI reports its code and hint. */
export function toProbeError(error: unknown, fallbackMessage: string): ProbeError {
  if (isProbeError(error)) return error;
  if (isMtlsLinkError(error) && isProbeCode(error.code)) {
    return new ProbeError(error.code, error.message, { cause: error, hint: error.hint });
  }
  const message = error instanceof Error ? `${fallbackMessage}: ${error.message}` : fallbackMessage;
  return new ProbeError('CONFIG_INVALID', message, { cause: error });
}
