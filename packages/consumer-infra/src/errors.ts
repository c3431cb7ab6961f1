const brand = Symbol.for('mtls-link.consumer-infra.error');

export type ConsumerInfraErrorCode = 'CONTEXT_INVALID' | 'PROPS_INVALID' | 'CANARY_BUNDLE_FAILED';

/**
 * The one error this package throws. `field` names the context key or construct prop at fault, so a
 * bad `cdk.json` entry is found without reading a stack trace.
 */
export class ConsumerInfraError extends Error {
  readonly code: ConsumerInfraErrorCode;
  readonly field: string | undefined;
  readonly [brand] = true;

  constructor(code: ConsumerInfraErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ConsumerInfraError';
    this.code = code;
    this.field = opts.field;
  }
}

/** Works across two installed copies of the package, where `instanceof` would not. */
export function isConsumerInfraError(value: unknown): value is ConsumerInfraError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
