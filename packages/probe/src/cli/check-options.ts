import type { Options } from 'yargs';
import { ProbeError } from '../errors.ts';
import { type CredentialSource, PROBE_DEFAULTS, type ProbeOptions } from '../options.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../render/index.ts';
import { secretSource } from './secret-source.ts';

const credentials = 'Client credentials (one of):';
const trust = 'Trust and revocation:';
const network = 'Network:';
const request = 'Request:';
const output = 'Output:';

/**
 * `mtls-probe check` options, declared as data (CONTRACTS.md section 1). Each description states
 * its default; yargs adds `[default: …]` where there is a value.
 */
export const CHECK_OPTIONS = {
  cert: {
    type: 'string',
    group: credentials,
    describe: 'client certificate PEM file (chain may follow the leaf); default: none',
  },
  key: {
    type: 'string',
    group: credentials,
    describe: 'private key PEM file for --cert (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8); default: none',
  },
  pfx: {
    type: 'string',
    group: credentials,
    describe: 'PKCS#12 file holding key, certificate and chain; default: none',
  },
  passphrase: {
    type: 'string',
    group: credentials,
    describe: 'passphrase of an encrypted key or PKCS#12 (never printed); default: none',
  },
  'secret-id': {
    type: 'string',
    group: credentials,
    describe: 'Secrets Manager secret (name or ARN) holding the identity; default: none',
  },
  'version-stage': {
    type: 'string',
    group: credentials,
    describe: 'secret version stage to read, e.g. AWSPENDING; default: AWSCURRENT',
  },
  'secrets-endpoint': {
    type: 'string',
    group: credentials,
    describe:
      'Secrets Manager endpoint URL; default: AWS_ENDPOINT_URL_SECRETS_MANAGER or the regional endpoint',
  },
  region: {
    type: 'string',
    group: credentials,
    describe: 'AWS region for Secrets Manager, EC2, ELBv2 and S3; default: AWS_REGION, else us-east-1',
  },
  ca: {
    type: 'string',
    array: true,
    group: trust,
    describe: 'CA PEM file trusted for the server certificate (repeatable); default: the system roots',
  },
  'trust-store': {
    type: 'string',
    group: trust,
    describe: "CA bundle PEM the ALB's trust store holds, to judge the client chain offline; default: none",
  },
  'trust-store-arn': {
    type: 'string',
    group: trust,
    describe: 'ALB trust store ARN: read its CA bundle and revocation lists live; default: none',
  },
  'elbv2-endpoint': {
    type: 'string',
    group: trust,
    describe: 'ELBv2 endpoint URL for --trust-store-arn; default: the regional endpoint',
  },
  crl: {
    type: 'string',
    array: true,
    group: trust,
    describe: 'CRL as FILE, s3://bucket/key or https://… (repeatable); default: none',
  },
  's3-endpoint': {
    type: 'string',
    group: trust,
    describe: 'S3 endpoint URL for s3:// CRLs; default: the regional endpoint',
  },
  'revoked-cert': {
    type: 'string',
    group: trust,
    describe: 'a revoked certificate PEM the server must refuse (with --revoked-key); default: none',
  },
  'revoked-key': {
    type: 'string',
    group: trust,
    describe: 'private key PEM of --revoked-cert; default: none',
  },
  servername: {
    type: 'string',
    group: network,
    describe: 'SNI and the name the server certificate must cover; default: the URL host',
  },
  'connect-to': {
    type: 'string',
    group: network,
    describe: 'HOST:PORT to dial instead of the URL host, keeping SNI and Host (like curl); default: none',
  },
  resolver: {
    type: 'string',
    group: network,
    describe: 'DNS server IP[:PORT] to ask instead of the system resolver; default: the system resolver',
  },
  'allow-public': {
    type: 'boolean',
    group: network,
    default: false,
    describe: 'accept public addresses in the DNS answer',
  },
  'vpc-endpoint-id': {
    type: 'string',
    group: network,
    describe: 'interface VPC endpoint (vpce-…) to check: state, addresses, security groups; default: none',
  },
  'ec2-endpoint': {
    type: 'string',
    group: network,
    describe: 'EC2 endpoint URL for --vpc-endpoint-id; default: the regional endpoint',
  },
  timeout: {
    type: 'number',
    group: network,
    default: PROBE_DEFAULTS.timeoutMs,
    describe: 'deadline per network step (DNS, TCP, TLS handshake) in milliseconds',
  },
  'response-timeout': {
    type: 'number',
    group: network,
    default: PROBE_DEFAULTS.responseTimeoutMs,
    describe:
      'deadline for the answer (headers, then each body gap) in milliseconds; API Gateway integrations may take 29 s',
  },
  'expect-status': {
    type: 'number',
    group: request,
    default: PROBE_DEFAULTS.expectStatus,
    describe: 'HTTP status a healthy answer has',
  },
  method: {
    type: 'string',
    group: request,
    default: PROBE_DEFAULTS.method,
    describe: 'HTTP method of the request',
  },
  header: {
    type: 'string',
    array: true,
    group: request,
    describe: "extra request header 'Name: value' (repeatable); default: none",
  },
  data: {
    type: 'string',
    group: request,
    describe: 'request body (UTF-8), e.g. JSON for --method POST; default: none',
  },
  'warn-days': {
    type: 'number',
    group: request,
    default: PROBE_DEFAULTS.warnDays,
    describe: 'warn when the client certificate expires within this many days',
  },
  format: { choices: OUTPUT_FORMATS, group: output, default: 'text', describe: 'output format' },
  output: { type: 'string', group: output, describe: 'write the report to FILE; default: stdout' },
  strict: { type: 'boolean', group: output, default: false, describe: 'exit 3 when a check warned' },
  watch: {
    type: 'number',
    group: output,
    describe: 'repeat every N seconds with a rolling p50/p99 and failure summary; default: run once',
  },
  count: {
    type: 'number',
    group: output,
    describe: 'with --watch, stop after this many runs; default: until Ctrl-C',
    implies: 'watch',
  },
} as const satisfies Record<string, Options>;

type Str = string | undefined;
export interface CheckArgs {
  readonly url: string;
  readonly cert?: Str;
  readonly key?: Str;
  readonly pfx?: Str;
  readonly passphrase?: Str;
  readonly 'secret-id'?: Str;
  readonly 'version-stage'?: Str;
  readonly 'secrets-endpoint'?: Str;
  readonly region?: Str;
  readonly ca?: readonly string[] | undefined;
  readonly 'trust-store'?: Str;
  readonly 'trust-store-arn'?: Str;
  readonly 'elbv2-endpoint'?: Str;
  readonly crl?: readonly string[] | undefined;
  readonly 's3-endpoint'?: Str;
  readonly 'revoked-cert'?: Str;
  readonly 'revoked-key'?: Str;
  readonly servername?: Str;
  readonly 'connect-to'?: Str;
  readonly resolver?: Str;
  readonly 'allow-public'?: boolean | undefined;
  readonly 'vpc-endpoint-id'?: Str;
  readonly 'ec2-endpoint'?: Str;
  readonly timeout?: number | undefined;
  readonly 'response-timeout'?: number | undefined;
  readonly 'expect-status'?: number | undefined;
  readonly method?: Str;
  readonly header?: readonly string[] | undefined;
  readonly data?: Str;
  readonly 'warn-days'?: number | undefined;
  readonly format?: OutputFormat | undefined;
  readonly output?: Str;
  readonly strict?: boolean | undefined;
  readonly watch?: number | undefined;
  readonly count?: number | undefined;
}

function credentialsOf(args: CheckArgs): CredentialSource | undefined {
  const given = [args.cert ?? args.key, args.pfx, args['secret-id']].filter((v) => v !== undefined).length;
  if (given > 1) {
    throw new ProbeError('CONFIG_INVALID', 'give one credential source: --cert/--key, --pfx or --secret-id');
  }
  const passphrase = args.passphrase === undefined ? {} : { passphrase: args.passphrase };
  if (args.cert !== undefined || args.key !== undefined) {
    if (args.cert === undefined || args.key === undefined) {
      throw new ProbeError('CONFIG_INVALID', '--cert and --key go together: give both');
    }
    return { kind: 'files', certFile: args.cert, keyFile: args.key, ...passphrase };
  }
  if (args.pfx !== undefined) return { kind: 'pfx', pfxFile: args.pfx, ...passphrase };
  if (args['secret-id'] !== undefined) return secretSource(args['secret-id'], args);
  return undefined;
}

const opt = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** Validated engine options from the parsed command line. */
export function probeOptionsFromArgs(args: CheckArgs): ProbeOptions {
  const credentials = credentialsOf(args);
  for (const [name, value] of [
    ['--timeout', args.timeout],
    ['--expect-status', args['expect-status']],
    ['--watch', args.watch],
    ['--count', args.count],
  ] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new ProbeError('CONFIG_INVALID', `${name}: must be a positive number (got ${value})`);
    }
  }
  return {
    url: args.url,
    ...opt('credentials', credentials),
    ...opt('caFiles', args.ca),
    ...opt('trustStoreFile', args['trust-store']),
    ...opt('trustStoreArn', args['trust-store-arn']),
    ...opt('elbv2Endpoint', args['elbv2-endpoint']),
    ...opt('crls', args.crl),
    ...opt('s3Endpoint', args['s3-endpoint']),
    ...opt('revokedCertFile', args['revoked-cert']),
    ...opt('revokedKeyFile', args['revoked-key']),
    ...opt('servername', args.servername),
    ...opt('connectTo', args['connect-to']),
    ...opt('resolver', args.resolver),
    ...opt('allowPublic', args['allow-public']),
    ...opt('vpcEndpointId', args['vpc-endpoint-id']),
    ...opt('ec2Endpoint', args['ec2-endpoint']),
    ...opt('region', args.region),
    ...opt('expectStatus', args['expect-status']),
    ...opt('method', args.method),
    ...opt('headers', args.header),
    ...opt('body', args.data),
    ...opt('timeoutMs', args.timeout),
    ...opt('responseTimeoutMs', args['response-timeout']),
    ...opt('warnDays', args['warn-days']),
  };
}
