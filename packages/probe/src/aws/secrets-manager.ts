// The Secrets Manager client --secret-id uses, loaded on use (see ec2.ts for why not the package itself).
export { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
