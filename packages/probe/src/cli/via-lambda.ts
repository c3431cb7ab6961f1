import { readFile } from 'node:fs/promises';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { awsRequestHandler } from '../aws-request-handler.ts';
import type { CanaryEvent } from '../canary/handler.ts';
import { ProbeError } from '../errors.ts';
import { PROBE_DEFAULTS, type ProbeOptions, regionOf } from '../options.ts';
import type { ProbeReport } from '../report.ts';
import { CHECK_IDS } from '../result.ts';
import type { CheckArgs } from './check-options.ts';

/**
 * Options that name something on this machine (files, local endpoints) or carry key material: the
 * canary has its own identity (its secret) and environment, so sending them would be wrong or unsafe.
 */
const LOCAL_ONLY = [
  'cert',
  'key',
  'pfx',
  'passphrase',
  'passphrase-env',
  'passphrase-file',
  'trust-store',
  'revoked-cert',
  'revoked-key',
  'secrets-endpoint',
  'elbv2-endpoint',
  's3-endpoint',
  'ec2-endpoint',
] as const satisfies readonly (keyof CheckArgs)[];

const opt = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/**
 * An option left at the CLI's default is not sent, so the canary's own environment (its
 * MTLS_PROBE_TIMEOUT_MS, MTLS_PROBE_EXPECT_STATUS) applies as on its schedule.
 */
const unlessDefault = <V>(value: V | undefined, fallback: V) => (value === fallback ? undefined : value);

/** The canary event for this command line; --ca files travel as their PEM text, since the canary cannot read them. */
export async function canaryEventOf(args: CheckArgs, options: ProbeOptions): Promise<CanaryEvent> {
  const local = LOCAL_ONLY.filter((name) => args[name] !== undefined).map((name) => `--${name}`);
  if (local.length > 0) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--via-lambda: ${local.join(', ')} cannot be sent to the canary (local files, local endpoints or key material); the canary uses its own secret and environment, or pass --secret-id`,
    );
  }
  const localCrls = (options.crls ?? []).filter((c) => !/^(s3|https?):\/\//.test(c));
  if (localCrls.length > 0) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `--via-lambda: --crl ${localCrls.join(', ')}: the canary can read only s3:// and https:// CRLs`,
    );
  }
  const caPem =
    options.caFiles === undefined || options.caFiles.length === 0
      ? undefined
      : (
          await Promise.all(
            options.caFiles.map(async (file) => {
              try {
                return await readFile(file, 'utf8');
              } catch (cause) {
                throw new ProbeError('CONFIG_INVALID', `--ca: cannot read ${file}`, { cause });
              }
            }),
          )
        ).join('\n');
  const credentials = options.credentials;
  return {
    url: options.url,
    ...(credentials?.kind === 'secret'
      ? { secretId: credentials.secretId, ...opt('versionStage', credentials.versionStage) }
      : {}),
    ...opt('crl', options.crls),
    ...opt('ca', caPem),
    ...opt('connectTo', options.connectTo),
    ...opt('trustStoreArn', options.trustStoreArn),
    ...opt('expectStatus', unlessDefault(options.expectStatus, PROBE_DEFAULTS.expectStatus)),
    ...opt('timeoutMs', unlessDefault(options.timeoutMs, PROBE_DEFAULTS.timeoutMs)),
    ...opt('responseTimeoutMs', unlessDefault(options.responseTimeoutMs, PROBE_DEFAULTS.responseTimeoutMs)),
    ...opt('servername', options.servername),
    ...opt('resolver', options.resolver),
    ...opt('allowPublic', unlessDefault(options.allowPublic, false)),
    ...opt('vpcEndpointId', options.vpcEndpointId),
    ...opt('region', options.region),
    ...opt('method', unlessDefault(options.method?.toUpperCase(), PROBE_DEFAULTS.method)),
    ...opt('headers', options.headers),
    ...opt('body', options.body),
    ...opt('warnDays', unlessDefault(options.warnDays, PROBE_DEFAULTS.warnDays)),
    ...opt('insecure', unlessDefault(options.insecure, false)),
    ...opt('maxTimeMs', args['max-time']),
    ...(args.verbose === true ? { certificateRequests: true } : {}),
  };
}

function isReport(value: unknown): value is ProbeReport {
  const v = value as Partial<ProbeReport> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.schemaVersion === 1 &&
    typeof v.verdict === 'string' &&
    Array.isArray(v.checks) &&
    v.checks.every((c) => (CHECK_IDS as readonly string[]).includes(c.id))
  );
}

const failed = (message: string, cause?: unknown) =>
  new ProbeError('CANARY_INVOKE_FAILED', message, cause === undefined ? {} : { cause });

/**
 * `--via-lambda FUNCTION`: one synchronous Lambda Invoke of the deployed canary with the check's
 * options as the event; its result is this run's report, rendered and judged here.
 */
export async function invokeCanary(
  args: CheckArgs,
  options: ProbeOptions,
  env: NodeJS.ProcessEnv,
): Promise<ProbeReport> {
  const functionName = args['via-lambda'] ?? '';
  if (functionName === '') throw new ProbeError('CONFIG_INVALID', '--via-lambda: name the canary function');
  const event = await canaryEventOf(args, options);
  const { InvokeCommand, LambdaClient } = await import('../aws/lambda.ts');
  const endpoint = args['lambda-endpoint'] ?? env.AWS_ENDPOINT_URL_LAMBDA;
  const client = new LambdaClient({
    region: regionOf(args.region, env),
    ...(endpoint === undefined || endpoint === '' ? {} : { endpoint }),
    // A retried Invoke would run the check twice.
    maxAttempts: 1,
    ...awsRequestHandler(env),
  });
  try {
    let output: InvokeCommandOutput;
    try {
      output = await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
        // Lambda's own limit for one invocation is 15 minutes; --max-time asks the canary for less.
        { abortSignal: AbortSignal.timeout((args['max-time'] ?? 900_000) + 10_000) },
      );
    } catch (cause) {
      const e = cause as Error;
      throw failed(`--via-lambda ${functionName}: Invoke failed: ${e.name}: ${e.message}`, cause);
    }
    const payload = output.Payload === undefined ? '' : new TextDecoder().decode(output.Payload);
    if (output.FunctionError !== undefined) {
      let reason = payload;
      try {
        const parsed = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
        reason = `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage ?? ''}`;
      } catch {}
      throw failed(
        `--via-lambda ${functionName}: the function failed (${output.FunctionError}): ${reason.slice(0, 500)}`,
      );
    }
    let result: unknown;
    try {
      result = JSON.parse(payload);
    } catch (cause) {
      throw failed(
        `--via-lambda ${functionName}: the answer is not JSON (is it the mtls-probe canary?)`,
        cause,
      );
    }
    if (!isReport(result)) {
      throw failed(
        `--via-lambda ${functionName}: the answer is not a probe result (is it the mtls-probe canary?)`,
      );
    }
    return result;
  } finally {
    client.destroy();
  }
}
