import { readFileSync } from 'node:fs';
import { ConfigError } from '@mtls-link/sdk';

/** The function's environment, as its infrastructure code sets it. */
export const HANDLER_ENV = {
  /** The producer's API, e.g. `https://api.widgets.internal` (private API custom domain). */
  apiUrl: 'WIDGETS_API_URL',
  /** Trust for the producer's server certificate: PEM text, or a path to a PEM file in the bundle. */
  apiCa: 'WIDGETS_API_CA',
  /** Name or ARN of the secret holding the client certificate and key. */
  secretId: 'MTLS_SECRET_ID',
  /** `secrets-manager` (default) or `lambda-extension` (the Parameters and Secrets Lambda extension). */
  identitySource: 'MTLS_IDENTITY_SOURCE',
} as const;

export type IdentitySource = 'secrets-manager' | 'lambda-extension';

export interface HandlerConfig {
  readonly apiUrl: string;
  readonly secretId: string;
  readonly apiCa?: string;
  readonly identitySource: IdentitySource;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === '') {
    throw new ConfigError('CONFIG_INVALID', `environment variable ${name} is not set`, {
      details: { option: name },
    });
  }
  return value;
}

/**
 * Reads and checks the environment once, at init: a misconfigured function then fails its cold
 * start with a message naming the variable, instead of failing every invocation later.
 */
export function readHandlerConfig(env: NodeJS.ProcessEnv): HandlerConfig {
  const apiUrl = required(env, HANDLER_ENV.apiUrl);
  const secretId = required(env, HANDLER_ENV.secretId);
  const source = env[HANDLER_ENV.identitySource]?.trim() || 'secrets-manager';
  if (source !== 'secrets-manager' && source !== 'lambda-extension') {
    throw new ConfigError(
      'CONFIG_INVALID',
      `environment variable ${HANDLER_ENV.identitySource} must be secrets-manager or lambda-extension, got ${source}`,
      { details: { option: HANDLER_ENV.identitySource } },
    );
  }
  const ca = env[HANDLER_ENV.apiCa]?.trim();
  return {
    apiUrl,
    secretId,
    identitySource: source,
    ...(ca === undefined || ca === '' ? {} : { apiCa: readCa(ca) }),
  };
}

// Lambda caps the whole environment at 4 KB, so a CA bundle usually ships as a file in the package.
function readCa(value: string): string {
  if (value.startsWith('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `environment variable ${HANDLER_ENV.apiCa}: cannot read the CA file ${value}`,
      { cause, details: { option: HANDLER_ENV.apiCa } },
    );
  }
}
