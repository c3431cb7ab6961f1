import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../../errors/index.ts';
import { Agent } from '../../transport/undici-modules.ts';
import { loadAsn1ReadersFor } from '../formats/asn1-readers.ts';
import { readIdentity } from '../formats/read-identity.ts';
import { RefreshingIdentityProvider, type RefreshOptions } from '../lifecycle/provider.ts';
import type { IdentityProvider } from '../types.ts';
import { secretError, secretReader, secretTimeout, unchangedIdentity } from './secrets-manager.ts';
import { positiveMs } from './source-options.ts';

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
  /** Deadline of one read through the extension, in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
  /** Connect timeout to the extension's local port. @default 1000 */
  readonly connectTimeoutMs?: number;
  /**
   * Where a forced refresh (after the server refused the certificate) reads the secret. The
   * extension answers from its cache for up to its TTL (`SECRETS_MANAGER_TTL`, 300 s by default), so
   * through it a forced refresh cannot see a rotation younger than that. `'secrets-manager'` sends
   * forced refreshes straight to Secrets Manager (GetSecretValue, the function's role needs it).
   * @default 'extension'
   */
  readonly forcedRefreshFrom?: 'extension' | 'secrets-manager';
  /** The client for forcedRefreshFrom 'secrets-manager'. @default one built with the environment's region and credentials */
  readonly secretsManagerClient?: SecretsManagerClient;
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
  const forcedFrom = options.forcedRefreshFrom ?? 'extension';
  if (forcedFrom !== 'extension' && forcedFrom !== 'secrets-manager') {
    throw new ConfigError(
      'CONFIG_INVALID',
      `fromLambdaExtension: option forcedRefreshFrom must be 'extension' or 'secrets-manager', got ${String(forcedFrom)}`,
      { details: { option: 'forcedRefreshFrom' } },
    );
  }
  const port = options.port ?? Number(process.env['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT'] ?? 2773);
  const host = options.host ?? 'localhost';
  const timeoutMs = positiveMs('fromLambdaExtension', 'timeoutMs', options.timeoutMs, 5000);
  const connectTimeoutMs = positiveMs(
    'fromLambdaExtension',
    'connectTimeoutMs',
    options.connectTimeoutMs,
    1000,
  );
  const { secretId, versionStage, versionId } = options;
  const label = `lambda-extension:${secretId}@${versionId ?? versionStage ?? 'AWSCURRENT'}`;
  let dispatcher: Agent | undefined;
  const direct =
    forcedFrom === 'secrets-manager'
      ? secretReader({ client: options.secretsManagerClient, connectTimeoutMs: 3000, timeoutMs })
      : undefined;

  const readExtension = async (signal: AbortSignal): Promise<ExtensionAnswer> => {
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
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    dispatcher ??= new Agent({ connect: { timeout: connectTimeoutMs } });
    const deadline = AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await dispatcher.request({
        origin,
        path: `/secretsmanager/get?${query}`,
        method: 'GET',
        headers: { 'x-aws-parameters-secrets-token': token },
        signal: AbortSignal.any([signal, deadline]),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const where = `${label} (extension at ${host}:${port})`;
      if (deadline.aborted && !signal.aborted) throw secretTimeout(error, secretId, where, timeoutMs);
      throw secretError(error, secretId, where);
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
    return answer;
  };

  const readDirect = async (signal: AbortSignal): Promise<ExtensionAnswer> => {
    const output = await (direct as NonNullable<typeof direct>).get(
      secretId,
      {
        ...(versionStage === undefined ? {} : { VersionStage: versionStage }),
        ...(versionId === undefined ? {} : { VersionId: versionId }),
      },
      `secretsmanager:${secretId}@${versionId ?? versionStage ?? 'AWSCURRENT'}`,
      signal,
    );
    return {
      ...(output.SecretString === undefined ? {} : { SecretString: output.SecretString }),
      ...(output.SecretBinary === undefined
        ? {}
        : { SecretBinary: Buffer.from(output.SecretBinary).toString('base64') }),
      ...(output.VersionId === undefined ? {} : { VersionId: output.VersionId }),
    };
  };

  return new RefreshingIdentityProvider(
    async ({ now, signal, previous, forced }) => {
      const answer = forced && direct !== undefined ? await readDirect(signal) : await readExtension(signal);
      const unchanged = unchangedIdentity(previous, answer.VersionId, now);
      if (unchanged !== undefined) return unchanged;
      const material = {
        ...(answer.SecretString === undefined ? {} : { secretString: answer.SecretString }),
        ...(answer.SecretBinary === undefined
          ? {}
          : { secretBinary: Buffer.from(answer.SecretBinary, 'base64') }),
        ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
        source: label,
        ...(answer.VersionId === undefined ? {} : { version: answer.VersionId }),
      };
      await loadAsn1ReadersFor(material);
      return readIdentity(material, { now });
    },
    options,
    () => {
      direct?.close();
      void dispatcher?.close();
      dispatcher = undefined;
    },
  );
}
