import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ACMPCAClient,
  GetCertificateAuthorityCertificateCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
  type SigningAlgorithm,
} from '@aws-sdk/client-acm-pca';
import { ProbeError } from '../errors.ts';

/** A deadline shared by every Private CA call of one enrollment. */
export interface Deadline {
  readonly signal: AbortSignal;
  readonly ms: number;
}

export const deadlineOf = (ms: number): Deadline => ({ signal: AbortSignal.timeout(ms), ms });

function timedOut(what: string, deadline: Deadline): ProbeError {
  return new ProbeError('PCA_TIMEOUT', `${what}: no answer within the ${deadline.ms} ms deadline`, {
    details: { timeoutMs: deadline.ms },
  });
}

/** Turns an SDK failure into PCA_REQUEST_FAILED (or PCA_TIMEOUT when the deadline cut it). */
function pcaError(error: unknown, what: string, deadline: Deadline): ProbeError {
  if (deadline.signal.aborted) return timedOut(what, deadline);
  const name = (error as { name?: unknown })?.name;
  const awsError = typeof name === 'string' ? name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new ProbeError('PCA_REQUEST_FAILED', `${what}: ${awsError}: ${message}`, {
    cause: error,
    details: { awsError },
  });
}

async function send<T>(what: string, deadline: Deadline, call: () => Promise<T>): Promise<T> {
  if (deadline.signal.aborted) throw timedOut(what, deadline);
  try {
    return await call();
  } catch (error) {
    throw pcaError(error, what, deadline);
  }
}

/**
 * The signing algorithm that matches the CA's own key (IssueCertificate refuses any other), read
 * from the CA certificate: ECDSA with the curve's hash, RSA with SHA-256.
 */
export async function caSigningAlgorithm(
  client: ACMPCAClient,
  caArn: string,
  deadline: Deadline,
): Promise<SigningAlgorithm> {
  const out = await send(`GetCertificateAuthorityCertificate ${caArn}`, deadline, () =>
    client.send(new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: caArn }), {
      abortSignal: deadline.signal,
    }),
  );
  if (out.Certificate === undefined) {
    throw new ProbeError(
      'PCA_REQUEST_FAILED',
      `GetCertificateAuthorityCertificate ${caArn}: the CA has no certificate yet (is it activated?)`,
    );
  }
  const key = new X509Certificate(out.Certificate).publicKey;
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1'
      ? 'SHA384WITHECDSA'
      : curve === 'secp521r1'
        ? 'SHA512WITHECDSA'
        : 'SHA256WITHECDSA';
  }
  return 'SHA256WITHRSA';
}

export interface IssueRequest {
  readonly caArn: string;
  readonly csrPem: string;
  readonly templateArn: string;
  readonly validityDays: number;
  readonly signingAlgorithm: SigningAlgorithm;
  /** Same token, same request: Private CA answers with the certificate it already issued. */
  readonly idempotencyToken: string;
}

export interface IssuedCertificate {
  readonly certificateArn: string;
  readonly certPem: string;
  readonly chainPem: string;
}

/** Polling interval for GetCertificate: quick first, then at most every 2 s. */
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 2000;

/**
 * IssueCertificate, then GetCertificate until it stops answering RequestInProgressException, all
 * within `deadline` (the SDK's own retries for throttling run inside it too).
 */
export async function issueCertificate(
  client: ACMPCAClient,
  request: IssueRequest,
  deadline: Deadline,
): Promise<IssuedCertificate> {
  const { caArn } = request;
  const issued = await send(`IssueCertificate on ${caArn}`, deadline, () =>
    client.send(
      new IssueCertificateCommand({
        CertificateAuthorityArn: caArn,
        Csr: new TextEncoder().encode(request.csrPem),
        SigningAlgorithm: request.signingAlgorithm,
        TemplateArn: request.templateArn,
        Validity: { Type: 'DAYS', Value: request.validityDays },
        IdempotencyToken: request.idempotencyToken,
      }),
      { abortSignal: deadline.signal },
    ),
  );
  const certificateArn = issued.CertificateArn;
  if (certificateArn === undefined) {
    throw new ProbeError(
      'PCA_REQUEST_FAILED',
      `IssueCertificate on ${caArn}: the answer names no certificate`,
    );
  }
  const what = `GetCertificate ${certificateArn}`;
  for (let wait = FIRST_POLL_MS; ; wait = Math.min(wait * 2, MAX_POLL_MS)) {
    try {
      const out = await client.send(
        new GetCertificateCommand({ CertificateAuthorityArn: caArn, CertificateArn: certificateArn }),
        { abortSignal: deadline.signal },
      );
      if (out.Certificate === undefined) throw new Error('the answer holds no certificate');
      return {
        certificateArn,
        certPem: `${out.Certificate.trimEnd()}\n`,
        chainPem: out.CertificateChain === undefined ? '' : `${out.CertificateChain.trimEnd()}\n`,
      };
    } catch (error) {
      if ((error as { name?: string })?.name !== 'RequestInProgressException' || deadline.signal.aborted) {
        throw pcaError(error, what, deadline);
      }
    }
    try {
      await sleep(wait, undefined, { signal: deadline.signal });
    } catch {
      throw new ProbeError('PCA_TIMEOUT', `${what}: still in progress after the ${deadline.ms} ms deadline`, {
        details: { timeoutMs: deadline.ms, certificateArn },
      });
    }
  }
}
