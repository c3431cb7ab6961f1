import { writeFile } from 'node:fs/promises';
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type IdentityDescription, renderIdentityText } from '../describe-identity.ts';
import { checkKeyOptions, checkStage, enrollIdentity } from '../enroll/enroll.ts';
import { importCertificate, requestForExternalCa } from '../enroll/external-ca.ts';
import { ProbeError } from '../errors.ts';
import { readOptionFile } from '../inputs/read-file.ts';
import { regionOf } from '../options.ts';
import type { EnrollArgs } from './enroll-options.ts';
import type { CliIo } from './io.ts';

interface Report {
  readonly secretId: string;
  readonly stage: string;
  readonly stored: boolean;
  readonly versionId?: string | undefined;
  readonly certificateArn?: string | undefined;
  readonly description?: IdentityDescription | undefined;
  readonly csrFile?: string | undefined;
  readonly refusal?: { code: string; message: string } | undefined;
}

function render(report: Report, format: 'text' | 'json'): string {
  const d = report.description;
  if (format === 'json') {
    return `${JSON.stringify(
      {
        secretId: report.secretId,
        stage: report.stage,
        stored: report.stored,
        ...(report.versionId === undefined ? {} : { versionId: report.versionId }),
        ...(report.certificateArn === undefined ? {} : { certificateArn: report.certificateArn }),
        ...(report.csrFile === undefined ? {} : { csrFile: report.csrFile }),
        ...(d === undefined
          ? {}
          : {
              serial: d.serial,
              notAfter: d.notAfter,
              subject: d.subject,
              issuer: d.issuer,
              findings: d.findings,
            }),
        ...(report.refusal === undefined ? {} : { findings: [{ ...report.refusal, severity: 'error' }] }),
      },
      null,
      2,
    )}\n`;
  }
  if (report.csrFile !== undefined) {
    return `key stored in ${report.secretId} as ${report.stage} (version ${report.versionId})\nCSR written to ${report.csrFile}: have the producer sign it, then run\n  mtls-probe enroll --secret-id ${report.secretId} --import-cert <signed.pem>\n`;
  }
  if (report.refusal !== undefined) {
    return `not stored: error ${report.refusal.code}: ${report.refusal.message}\n`;
  }
  if (!report.stored) {
    return `${d === undefined ? '' : renderIdentityText(d)}not stored: the certificate breaks a rule the ALB enforces (${report.certificateArn ?? 'imported'})\n`;
  }
  const rows: [string, string][] = [
    ['secret', `${report.secretId} (${report.stage})`],
    ['version', report.versionId ?? ''],
    ['serial', d?.serial ?? ''],
    ['notAfter', d?.notAfter ?? ''],
    ['subject', d?.subject ?? ''],
    ...(report.certificateArn === undefined
      ? []
      : [['certificate', report.certificateArn] as [string, string]]),
    ...(d?.findings ?? []).map((f, i): [string, string] => [
      i === 0 ? 'findings' : '',
      `${f.severity} ${f.code}: ${f.message}`,
    ]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `enrolled\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

/** `mtls-probe enroll`: 0 stored, 1 the certificate breaks a rule (nothing stored), 2 bad input. */
export async function enrollCommand(args: EnrollArgs, io: CliIo): Promise<number> {
  const region = regionOf(args.region, io.env);
  const format = args.format ?? 'text';
  const secretsEndpoint = args['secrets-endpoint'] ?? io.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  const pcaEndpoint = args['pca-endpoint'] ?? io.env.AWS_ENDPOINT_URL_ACM_PCA;
  const secrets = new SecretsManagerClient({
    region,
    ...(secretsEndpoint === undefined ? {} : { endpoint: secretsEndpoint }),
  });
  try {
    const secretId = args['secret-id'];
    if (args['import-cert'] !== undefined) {
      const certificatePem = (await readOptionFile('--import-cert', args['import-cert'])).toString('utf8');
      const result = await importCertificate({ secrets, secretId, certificatePem });
      io.stdout.write(render({ secretId, stage: 'AWSCURRENT', ...result }, format));
      return result.stored ? 0 : 1;
    }
    if (args['csr-out'] !== undefined) {
      const keyType = checkKeyOptions({
        ...(args['key-type'] === undefined ? {} : { keyType: args['key-type'] }),
        ...(args['common-name'] === undefined ? {} : { commonName: args['common-name'] }),
      });
      const { csrPem, versionId } = await requestForExternalCa({
        secrets,
        secretId,
        keyType,
        commonName: args['common-name'] ?? secretId.slice(0, 64),
      });
      await writeFile(args['csr-out'], csrPem);
      io.stdout.write(
        render({ secretId, stage: 'AWSPENDING', stored: true, versionId, csrFile: args['csr-out'] }, format),
      );
      return 0;
    }
    if (args['ca-arn'] === undefined) {
      throw new ProbeError(
        'CONFIG_INVALID',
        '--ca-arn is required (or --csr-out/--import-cert for a CA outside AWS)',
        {
          details: { option: '--ca-arn' },
        },
      );
    }
    const stage = checkStage(args.stage);
    const pca = new ACMPCAClient({ region, ...(pcaEndpoint === undefined ? {} : { endpoint: pcaEndpoint }) });
    try {
      const result = await enrollIdentity({
        caArn: args['ca-arn'],
        secretId,
        region,
        stage,
        pca,
        secrets,
        ...(args['common-name'] === undefined ? {} : { commonName: args['common-name'] }),
        ...(args['key-type'] === undefined ? {} : { keyType: args['key-type'] }),
        ...(args['validity-days'] === undefined ? {} : { validityDays: args['validity-days'] }),
        ...(args['template-arn'] === undefined ? {} : { templateArn: args['template-arn'] }),
        ...(args.timeout === undefined ? {} : { timeoutMs: args.timeout }),
      });
      io.stdout.write(render(result, format));
      return result.stored ? 0 : 1;
    } finally {
      pca.destroy();
    }
  } finally {
    secrets.destroy();
  }
}
