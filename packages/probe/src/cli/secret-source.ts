import type { CredentialSource } from '../options.ts';

/** The options `check` and `cert` both take to read the identity from Secrets Manager. */
export interface SecretArgs {
  readonly passphrase?: string | undefined;
  readonly 'version-stage'?: string | undefined;
  readonly 'secrets-endpoint'?: string | undefined;
  readonly region?: string | undefined;
}

export function secretSource(secretId: string, args: SecretArgs): CredentialSource {
  const endpoint = args['secrets-endpoint'] ?? process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  return {
    kind: 'secret',
    secretId,
    ...(args.region === undefined ? {} : { region: args.region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(args['version-stage'] === undefined ? {} : { versionStage: args['version-stage'] }),
    ...(args.passphrase === undefined ? {} : { passphrase: args.passphrase }),
  };
}
