import { type LocalEndpoint, startHttpEndpoint } from './http-endpoint.ts';
import { jsonFaultResponse } from './json-protocol.ts';
import type { LocalSecretsManager } from './secrets-manager.ts';
import { ServiceFault } from './service-fault.ts';

export interface LambdaSecretsExtensionOptions {
  /** Reads go to this local Secrets Manager (recorded in its `calls` with source 'lambda-extension'). */
  secretsManager: LocalSecretsManager;
  /** The value `X-Aws-Parameters-Secrets-Token` must carry (the function's AWS_SESSION_TOKEN). */
  sessionToken: string;
  /** @default 0 (any free port; the real extension listens on 2773) */
  port?: number;
  /**
   * How long an answer is served from the extension's cache, in milliseconds. The real extension
   * defaults to 300 s (SECRETS_MANAGER_TTL); here 0, so a rotation is seen at once unless a test asks.
   * @default 0
   */
  ttlMs?: number;
}

export interface LocalLambdaSecretsExtension extends LocalEndpoint {
  /** Requests refused for a missing or wrong token. */
  readonly refused: number;
}

const json = (status: number, body: unknown) => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * A stand-in for the AWS Parameters and Secrets Lambda Extension's Secrets Manager route:
 * `GET /secretsmanager/get?secretId=…[&versionStage=…|&versionId=…]` answers the GetSecretValue JSON.
 * Secrets Manager errors pass through with their status and `__type` body.
 */
export async function startLambdaSecretsExtension(
  opts: LambdaSecretsExtensionOptions,
): Promise<LocalLambdaSecretsExtension> {
  const cache = new Map<string, { expires: number; body: object }>();
  let refused = 0;
  const endpoint = await startHttpEndpoint(
    (request) => {
      if (request.headers['x-aws-parameters-secrets-token'] !== opts.sessionToken) {
        refused++;
        return json(403, {
          message: 'X-Aws-Parameters-Secrets-Token is missing or does not match the session token',
        });
      }
      if (request.method !== 'GET' || request.url.pathname !== '/secretsmanager/get') {
        return json(404, {
          message: `the local extension serves GET /secretsmanager/get only, not ${request.method} ${request.url.pathname}`,
        });
      }
      const query = request.url.searchParams;
      const secretId = query.get('secretId');
      if (!secretId) return json(400, { message: 'secretId is required' });
      const input = {
        SecretId: secretId,
        ...(query.has('versionStage') ? { VersionStage: query.get('versionStage') } : {}),
        ...(query.has('versionId') ? { VersionId: query.get('versionId') } : {}),
      };
      const key = JSON.stringify(input);
      const cached = cache.get(key);
      if (cached && cached.expires > Date.now()) return json(200, cached.body);
      try {
        const body = opts.secretsManager.invoke('GetSecretValue', input, 'lambda-extension');
        if ((opts.ttlMs ?? 0) > 0) cache.set(key, { expires: Date.now() + (opts.ttlMs ?? 0), body });
        return json(200, body);
      } catch (error) {
        if (error instanceof ServiceFault) return jsonFaultResponse(error);
        throw error;
      }
    },
    opts.port === undefined ? {} : { port: opts.port },
  );
  return {
    ...endpoint,
    get refused() {
      return refused;
    },
  };
}
