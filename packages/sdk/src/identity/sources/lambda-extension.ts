import { request } from 'undici';
import { ConfigError } from '../../errors/index.ts';
import { RefreshingIdentityProvider, type RefreshOptions } from '../lifecycle/provider.ts';
import { readIdentity } from '../formats/read-identity.ts';
import type { IdentityProvider } from '../types.ts';
import { secretError } from './secrets-manager.ts';

export interface LambdaExtensionIdentityOptions extends RefreshOptions {
  readonly secretId: string;
  readonly versionStage?: string;
  readonly versionId?: string;
  /** @default PARAMETERS_SECRETS_EXTENSION_HTTP_PORT or 2773 */
  readonly port?: number;
  /** @default 'localhost' */
  readonly host?: string;
  /** Sent as X-Aws-Parameters-Secrets-Token. @default process.env.AWS_SESSION_TOKEN */
  readonly sessionToken?: string;
  /** Passphrase for an encrypted key or PKCS#12 when the secret has no passphrase field. */
  readonly passphrase?: string;
  /** Per-request deadline in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
}

interface ExtensionAnswer {
  SecretString?: string;
  SecretBinary?: string;
  VersionId?: string;
  __type?: string;
  message?: string;
}

/**
 * An identity read through the AWS Parameters and Secrets Lambda Extension
 * (`GET /secretsmanager/get?secretId=…` on localhost with the session-token header), which caches
 * secrets for the whole execution environment.
 */
export function fromLambdaExtension(options: LambdaExtensionIdentityOptions): IdentityProvider {
  if (typeof options?.secretId !== 'string' || options.secretId.length === 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'fromLambdaExtension: option secretId must be a non-empty string',
      {
        details: { option: 'secretId' },
      },
    );
  }
  const port = options.port ?? Number(process.env['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT'] ?? 2773);
  const host = options.host ?? 'localhost';
  const { secretId, versionStage, versionId } = options;
  const label = `lambda-extension:${secretId}@${versionId ?? versionStage ?? 'AWSCURRENT'}`;

  return new RefreshingIdentityProvider(async ({ now }) => {
    const token = options.sessionToken ?? process.env['AWS_SESSION_TOKEN'];
    if (!token) {
      throw new ConfigError(
        'CONFIG_INVALID',
        'fromLambdaExtension: no session token (option sessionToken or AWS_SESSION_TOKEN) for X-Aws-Parameters-Secrets-Token',
        { details: { option: 'sessionToken' } },
      );
    }
    const query = new URLSearchParams({ secretId });
    if (versionStage !== undefined) query.set('versionStage', versionStage);
    if (versionId !== undefined) query.set('versionId', versionId);
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/secretsmanager/get?${query}`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        headers: { 'x-aws-parameters-secrets-token': token },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw secretError(error, secretId, `${label} (extension at ${host}:${port})`);
    }
    let answer: ExtensionAnswer = {};
    try {
      answer = JSON.parse(text) as ExtensionAnswer;
    } catch {
      // Error answers may be plain text; the status still says what happened.
    }
    if (status !== 200) {
      const name =
        answer.__type?.split('#').at(-1) ?? (status === 404 ? 'ResourceNotFoundException' : `HTTP ${status}`);
      const fault = Object.assign(new Error(answer.message ?? `the extension answered ${status}`), {
        name,
        $metadata: { httpStatusCode: status },
      });
      throw secretError(fault, secretId, label);
    }
    return readIdentity(
      {
        ...(answer.SecretString === undefined ? {} : { secretString: answer.SecretString }),
        ...(answer.SecretBinary === undefined
          ? {}
          : { secretBinary: Buffer.from(answer.SecretBinary, 'base64') }),
        ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
        source: label,
        ...(answer.VersionId === undefined ? {} : { version: answer.VersionId }),
      },
      { now },
    );
  }, options);
}
