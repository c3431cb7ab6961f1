// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as x509 from '@peculiar/x509';
import type { CertificateAuthority } from '../pki/authority.ts';
import { pemLines } from '../pki/issued.ts';
import { randomSerialHex } from '../pki/serial.ts';
import { type LocalEndpoint, localAccountId, localAwsRegion, startHttpEndpoint } from './http-endpoint.ts';
import { type JsonInput, jsonRpcHandler } from './json-protocol.ts';
import { ServiceFault } from './service-fault.ts';

/** The templates AWS Private CA documents for end-entity certificates, and the EKUs each sets. */
const TEMPLATES: Readonly<Record<string, readonly string[]>> = {
  'arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1': [x509.ExtendedKeyUsage.clientAuth],
  'arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1': [x509.ExtendedKeyUsage.serverAuth],
  'arn:aws:acm-pca:::template/EndEntityCertificate/V1': [
    x509.ExtendedKeyUsage.serverAuth,
    x509.ExtendedKeyUsage.clientAuth,
  ],
};
/** What IssueCertificate uses without a TemplateArn (AWS: EndEntityCertificate/V1). */
const DEFAULT_TEMPLATE = 'arn:aws:acm-pca:::template/EndEntityCertificate/V1';

const SIGNING: Readonly<Record<string, { family: 'ECDSA' | 'RSA'; hash: string }>> = {
  SHA256WITHECDSA: { family: 'ECDSA', hash: 'SHA-256' },
  SHA384WITHECDSA: { family: 'ECDSA', hash: 'SHA-384' },
  SHA512WITHECDSA: { family: 'ECDSA', hash: 'SHA-512' },
  SHA256WITHRSA: { family: 'RSA', hash: 'SHA-256' },
  SHA384WITHRSA: { family: 'RSA', hash: 'SHA-384' },
  SHA512WITHRSA: { family: 'RSA', hash: 'SHA-512' },
};

const DAY_MS = 86_400_000;
const VALIDITY_DAYS: Readonly<Record<string, number>> = { DAYS: 1, MONTHS: 30, YEARS: 365 };

export interface AcmPcaOptions {
  /** The CA that signs (a testkit root or intermediate); its chain is what GetCertificate returns. */
  readonly ca: CertificateAuthority;
  /** @default `arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/<uuid>` */
  readonly arn?: string;
  /** GetCertificate answers RequestInProgressException this many times per certificate first. @default 1 */
  readonly inProgressPolls?: number;
  /** Every answer is held back this long (a slow service). @default 0 */
  readonly delayMs?: number;
}

export interface AcmPcaCall {
  readonly op: string;
  /** The error code answered, when the call failed. */
  error?: string;
}

/** One certificate the local CA issued. */
export interface IssuedByPca {
  readonly certificateArn: string;
  readonly serialHex: string;
  readonly certPem: string;
  readonly templateArn: string;
  readonly signingAlgorithm: string;
  readonly idempotencyToken?: string;
}

export interface LocalAcmPca extends LocalEndpoint {
  /** The CA's ARN, to pass as CertificateAuthorityArn. */
  readonly arn: string;
  readonly calls: AcmPcaCall[];
  /** Every certificate issued, in order (one per distinct idempotency token). */
  readonly issued: IssuedByPca[];
  /** The next `count` calls (any action) fail with ThrottlingException. */
  throttleNext(count: number): void;
  /** Changes the in-progress answers or the delay for the calls from now on. */
  update(changes: { inProgressPolls?: number; delayMs?: number }): void;
}

interface Pending extends IssuedByPca {
  pollsLeft: number;
  readonly chainPem: string;
  readonly requestKey: string;
}

const invalidArgs = (message: string) => new ServiceFault('InvalidArgsException', message);

function requiredString(input: JsonInput, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw invalidArgs(`${field} is required.`);
  return value;
}

/** The CSR as IssueCertificate carries it: a blob (base64 on the wire) holding PEM or DER. */
function parseCsr(input: JsonInput): x509.Pkcs10CertificateRequest {
  const bytes = Buffer.from(requiredString(input, 'Csr'), 'base64');
  const text = bytes.toString('latin1');
  try {
    return new x509.Pkcs10CertificateRequest(text.includes('-----BEGIN') ? text : new Uint8Array(bytes));
  } catch {
    throw new ServiceFault('MalformedCSRException', 'The certificate signing request is invalid.');
  }
}

function validityMs(input: JsonInput): number {
  const validity = input['Validity'] as { Value?: unknown; Type?: unknown } | undefined;
  const value = validity?.Value;
  const days = VALIDITY_DAYS[String(validity?.Type)];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || days === undefined) {
    throw invalidArgs('Validity must have a positive integer Value and Type DAYS, MONTHS or YEARS.');
  }
  return value * days * DAY_MS;
}

/**
 * A local AWS Private CA (ACM PCA) speaking AWS JSON 1.1 for the real `@aws-sdk/client-acm-pca`:
 * `IssueCertificate` signs the caller's CSR with a testkit CA (template EKUs, idempotency tokens,
 * signing algorithm checked against the CA key), `GetCertificate` answers RequestInProgressException
 * first as the real service does, `GetCertificateAuthorityCertificate` returns the CA and its chain.
 */
export async function startAcmPca(options: AcmPcaOptions): Promise<LocalAcmPca> {
  const { ca } = options;
  const arn =
    options.arn ??
    `arn:aws:acm-pca:${localAwsRegion}:${localAccountId}:certificate-authority/${randomUUID()}`;
  let inProgressPolls = options.inProgressPolls ?? 1;
  let delayMs = options.delayMs ?? 0;
  let throttled = 0;
  const calls: AcmPcaCall[] = [];
  const issued: IssuedByPca[] = [];
  const certificates = new Map<string, Pending>();
  const byToken = new Map<string, Pending>();
  const caFamily = ca.keys.privateKey.algorithm.name === 'ECDSA' ? 'ECDSA' : 'RSA';

  const checkCa = (input: JsonInput) => {
    const requested = requiredString(input, 'CertificateAuthorityArn');
    if (!/^arn:aws[\w-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[\w-]+$/.test(requested)) {
      throw new ServiceFault('InvalidArnException', `The ARN ${requested} is not valid.`);
    }
    if (requested !== arn) {
      throw new ServiceFault(
        'ResourceNotFoundException',
        `Could not find certificate authority ${requested}.`,
      );
    }
  };

  const operations: Record<string, (input: JsonInput) => Promise<object> | object> = {
    async IssueCertificate(input) {
      checkCa(input);
      const algorithm = requiredString(input, 'SigningAlgorithm');
      const signing = SIGNING[algorithm];
      if (signing === undefined) throw invalidArgs(`SigningAlgorithm ${algorithm} is not supported.`);
      if (signing.family !== caFamily) {
        throw invalidArgs(
          `The signing algorithm ${algorithm} is not compatible with the ${caFamily} key of the certificate authority.`,
        );
      }
      const templateArn = typeof input['TemplateArn'] === 'string' ? input['TemplateArn'] : DEFAULT_TEMPLATE;
      const usages = TEMPLATES[templateArn];
      if (usages === undefined)
        throw new ServiceFault('InvalidArnException', `The template ${templateArn} is not valid.`);
      const csr = parseCsr(input);
      if (!(await csr.verify())) {
        throw new ServiceFault('MalformedCSRException', 'The CSR signature does not verify.');
      }
      const lifetime = validityMs(input);
      const token = typeof input['IdempotencyToken'] === 'string' ? input['IdempotencyToken'] : undefined;
      const requestKey = `${templateArn}|${algorithm}|${lifetime}|${Buffer.from(csr.rawData).toString('base64')}`;
      if (token !== undefined) {
        const earlier = byToken.get(token);
        // AWS: the same token with the same arguments answers the certificate already issued.
        if (earlier?.requestKey === requestKey) return { CertificateArn: earlier.certificateArn };
      }
      const now = Date.now();
      const notAfter = new Date(now + lifetime);
      if (notAfter.getTime() > ca.notAfter.getTime()) {
        throw new ServiceFault(
          'ValidationException',
          'The certificate validity specified exceeds the certificate authority validity.',
        );
      }
      const publicKey = await csr.publicKey.export();
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: randomSerialHex(),
        subject: csr.subjectName,
        issuer: ca.cert.subjectName,
        notBefore: new Date(now - 60_000),
        notAfter,
        publicKey,
        signingKey: ca.keys.privateKey,
        signingAlgorithm:
          signing.family === 'ECDSA'
            ? { name: 'ECDSA', hash: signing.hash }
            : { name: 'RSASSA-PKCS1-v1_5', hash: signing.hash },
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(
            publicKey.algorithm.name === 'ECDSA'
              ? x509.KeyUsageFlags.digitalSignature
              : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
            true,
          ),
          new x509.ExtendedKeyUsageExtension([...usages]),
          await x509.SubjectKeyIdentifierExtension.create(publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
        ],
      });
      const certificateArn = `${arn}/certificate/${randomBytes(16).toString('hex')}`;
      const pending: Pending = {
        certificateArn,
        serialHex: cert.serialNumber.toUpperCase(),
        certPem: pemLines(cert.toString('pem')),
        chainPem: ca.certPem + ca.chainPem,
        templateArn,
        signingAlgorithm: algorithm,
        ...(token === undefined ? {} : { idempotencyToken: token }),
        pollsLeft: inProgressPolls,
        requestKey,
      };
      certificates.set(certificateArn, pending);
      if (token !== undefined) byToken.set(token, pending);
      const { pollsLeft: _polls, chainPem: _chain, requestKey: _key, ...record } = pending;
      issued.push(record);
      return { CertificateArn: certificateArn };
    },

    GetCertificate(input) {
      checkCa(input);
      const certificateArn = requiredString(input, 'CertificateArn');
      const pending = certificates.get(certificateArn);
      if (!pending) {
        throw new ServiceFault('ResourceNotFoundException', `Could not find certificate ${certificateArn}.`);
      }
      if (pending.pollsLeft > 0) {
        pending.pollsLeft -= 1;
        throw new ServiceFault('RequestInProgressException', 'The request is still in progress.');
      }
      return { Certificate: pending.certPem.trimEnd(), CertificateChain: pending.chainPem.trimEnd() };
    },

    GetCertificateAuthorityCertificate(input) {
      checkCa(input);
      return {
        Certificate: ca.certPem.trimEnd(),
        ...(ca.chainPem === '' ? {} : { CertificateChain: ca.chainPem.trimEnd() }),
      };
    },
  };

  const endpoint = await startHttpEndpoint(async (request) => {
    if (delayMs > 0) await sleep(delayMs);
    return handler(request);
  });
  const handler = jsonRpcHandler('ACMPrivateCA', async (action, input) => {
    const call: AcmPcaCall = { op: action };
    calls.push(call);
    try {
      const operation = Object.hasOwn(operations, action) ? operations[action] : undefined;
      if (!operation)
        throw new ServiceFault('UnknownOperationException', `operation ${action} is not emulated`);
      if (throttled > 0) {
        throttled -= 1;
        throw new ServiceFault('ThrottlingException', 'Rate exceeded');
      }
      return await operation(input);
    } catch (error) {
      if (error instanceof ServiceFault) call.error = error.code;
      throw error;
    }
  });

  return {
    ...endpoint,
    arn,
    calls,
    issued,
    throttleNext(count) {
      throttled += count;
    },
    update(changes) {
      if (changes.inProgressPolls !== undefined) inProgressPolls = changes.inProgressPolls;
      if (changes.delayMs !== undefined) delayMs = changes.delayMs;
    },
  };
}
