import { ProbeError } from '../errors.ts';

/** What a Private CA ARN names: `arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>`. */
export interface CaArn {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

const pattern = /^arn:(aws[a-z-]*):acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority\/[A-Za-z0-9-]+$/;

/**
 * Reads the CA ARN and refuses one of another region than the clients use: Private CA answers only
 * in the CA's own region, and a cross-region ARN would otherwise fail far from its cause.
 */
export function parseCaArn(arn: string, region: string, option = '--ca-arn'): CaArn {
  const match = pattern.exec(arn);
  if (!match) {
    throw new ProbeError('CONFIG_INVALID', `${option}: ${JSON.stringify(arn)} is not a Private CA ARN`, {
      hint: 'give arn:aws:acm-pca:<region>:<account>:certificate-authority/<id> (aws acm-pca list-certificate-authorities)',
      details: { option },
    });
  }
  const [, partition = 'aws', caRegion = '', account = ''] = match;
  if (caRegion !== region) {
    throw new ProbeError(
      'CONFIG_INVALID',
      `${option}: the CA is in region ${caRegion}, but the clients use region ${region}`,
      {
        hint: `pass --region ${caRegion} (the CA answers only in its own region)`,
        details: { option, caRegion, region },
      },
    );
  }
  return { arn, partition, region: caRegion, account };
}

/** The template whose certificates carry the clientAuth EKU (and nothing a client does not need). */
export const defaultTemplateArn = (partition: string) =>
  `arn:${partition}:acm-pca:::template/EndEntityClientAuthCertificate/V1`;
