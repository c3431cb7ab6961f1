import type { Options } from 'yargs';
import { ENROLL_DEFAULTS } from '../enroll/defaults.ts';
import { KEY_TYPES } from '../enroll/key-types.ts';

const aws = 'AWS:';
const externalCa = 'A CA outside AWS:';

/** `mtls-probe enroll` options, declared as data; each description states its default. */
export const ENROLL_OPTIONS = {
  'ca-arn': {
    type: 'string',
    group: aws,
    describe:
      'ARN of the AWS Private CA that issues the certificate; required unless --csr-out/--import-cert',
  },
  'secret-id': {
    type: 'string',
    demandOption: true,
    group: aws,
    describe: 'Secrets Manager secret to store the identity in (created when absent); required',
  },
  'common-name': { type: 'string', describe: 'subject CN of the certificate; default: the secret id' },
  'key-type': {
    type: 'string',
    describe: `key to generate: ${KEY_TYPES.join(', ')}; default: ${ENROLL_DEFAULTS.keyType}`,
  },
  'validity-days': {
    type: 'number',
    describe: `certificate validity in days; default: ${ENROLL_DEFAULTS.validityDays}`,
  },
  'template-arn': {
    type: 'string',
    group: aws,
    describe: 'Private CA template; default: arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1',
  },
  stage: {
    type: 'string',
    describe: 'version stage to store the identity under: AWSCURRENT or AWSPENDING; default: AWSCURRENT',
  },
  region: { type: 'string', group: aws, describe: 'AWS region; default: AWS_REGION, else us-east-1' },
  'pca-endpoint': {
    type: 'string',
    group: aws,
    describe: 'ACM PCA endpoint URL; default: AWS_ENDPOINT_URL_ACM_PCA or the regional endpoint',
  },
  'secrets-endpoint': {
    type: 'string',
    group: aws,
    describe:
      'Secrets Manager endpoint URL; default: AWS_ENDPOINT_URL_SECRETS_MANAGER or the regional endpoint',
  },
  timeout: {
    type: 'number',
    describe: `deadline in ms for issuing (IssueCertificate, waiting for GetCertificate, retries); default: ${ENROLL_DEFAULTS.timeoutMs}`,
  },
  'csr-out': {
    type: 'string',
    group: externalCa,
    conflicts: ['import-cert', 'ca-arn'],
    describe:
      'store the new key as AWSPENDING and write the CSR to FILE for the producer to sign; default: none',
  },
  'import-cert': {
    type: 'string',
    group: externalCa,
    conflicts: ['csr-out', 'ca-arn'],
    describe:
      'complete the AWSPENDING key with the signed certificate in FILE (PEM, chain included) and make it AWSCURRENT; default: none',
  },
  format: { choices: ['text', 'json'] as const, default: 'text', describe: 'output format' },
} as const satisfies Record<string, Options>;

export interface EnrollArgs {
  readonly 'ca-arn'?: string | undefined;
  readonly 'secret-id': string;
  readonly 'common-name'?: string | undefined;
  readonly 'key-type'?: string | undefined;
  readonly 'validity-days'?: number | undefined;
  readonly 'template-arn'?: string | undefined;
  readonly stage?: string | undefined;
  readonly region?: string | undefined;
  readonly 'pca-endpoint'?: string | undefined;
  readonly 'secrets-endpoint'?: string | undefined;
  readonly timeout?: number | undefined;
  readonly 'csr-out'?: string | undefined;
  readonly 'import-cert'?: string | undefined;
  readonly format?: 'text' | 'json' | undefined;
}
