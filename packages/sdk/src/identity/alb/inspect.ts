import { X509Certificate } from 'node:crypto';
import { judgeCrls, nameDer, parseCrls, type RevocationList, revokedBy } from '../crl.ts';
import { isSelfSigned, keyMatches, signedBy } from '../formats/chain.ts';
import { splitPemBlocks } from '../pem.ts';
import { normalizeSerial } from '../serial.ts';
import type {
  AlbVerifyStatus,
  ClientIdentity,
  IdentityFinding,
  IdentityInspection,
  InspectIdentityOptions,
} from '../types.ts';
import {
  chainDepthFindings,
  daysLeft,
  keyMismatchFinding,
  keyTypeFindings,
  presentedDepth,
  purposeFindings,
  validityFindings,
} from './rules.ts';

const MAX_PATH = 16;

/**
 * Judges an identity offline the way the ALB would in mTLS verify mode, returning every finding
 * (nothing is thrown) and the `tls_verify_status` the ALB would log. The order in which the status
 * is chosen follows the testkit gateway: chain depth, trust, validity of every certificate in the
 * path, revocation, purpose, key type.
 */
export function inspectIdentity(
  identity: ClientIdentity,
  options: InspectIdentityOptions = {},
): IdentityInspection {
  const now = options.now === undefined ? Date.now() : Number(options.now);
  const warnDays = options.warnDays ?? 14;
  const { source, leaf } = identity;
  const findings: IdentityFinding[] = [];

  findings.push(...keyMismatchFinding(keyMatches(leaf, identity.privateKey), source));

  const trustStore =
    options.trustStorePem === undefined ? undefined : trustStoreCertificates(options.trustStorePem, findings);
  const path = buildPath(leaf, identity.chain, trustStore ?? []);
  const anchors = new Set((trustStore ?? []).map((c) => c.fingerprint256));
  const trusted =
    trustStore === undefined
      ? undefined
      : path.some((cert, index) => anchors.has(cert.fingerprint256) && (index > 0 || isSelfSigned(cert)));
  const depth =
    trustStore === undefined || !trusted
      ? Math.max(presentedDepth(isSelfSigned(leaf), identity.chain), path.length)
      : path.length;

  const depthFindings = chainDepthFindings(depth, source);
  const untrusted: IdentityFinding[] =
    trusted === false
      ? [
          {
            code: 'CLIENT_CERT_UNTRUSTED',
            severity: 'error',
            message: `${source}: no CA in the trust store issued "${path.at(-1)?.issuer.replaceAll('\n', ', ')}"`,
            details: { issuer: path.at(-1)?.issuer, trustStoreCas: trustStore?.length },
          },
        ]
      : [];
  const validity = [
    ...validityFindings(identity, now, warnDays, source),
    ...path
      .slice(1)
      .flatMap((cert) =>
        validityFindings(
          { notBefore: cert.validFromDate, notAfter: cert.validToDate },
          now,
          0,
          `${source} (issuer "${cert.subject.replaceAll('\n', ', ')}")`,
        ),
      ),
  ];
  const revocation =
    options.crlPems === undefined
      ? []
      : revocationFindings(path, trustStore ?? [], options.crlPems, {
          now,
          source,
          authoritative: options.trustStoreStandIn !== true,
        });
  const purpose = purposeFindings(leaf, source);
  const keyType = keyTypeFindings(identity, source);
  findings.push(...depthFindings, ...untrusted, ...validity, ...revocation, ...purpose, ...keyType);

  const first = (codes: readonly string[]) =>
    findings.some((f) => f.severity === 'error' && codes.includes(f.code));
  const predictedAlbStatus: AlbVerifyStatus = depthFindings.length
    ? 'Failed:ClientCertMaxChainDepthExceeded'
    : untrusted.length
      ? 'Failed:ClientCertUntrusted'
      : validity.some((f) => f.code === 'CLIENT_CERT_EXPIRED')
        ? 'Failed:ClientCertExpired'
        : validity.some((f) => f.code === 'CLIENT_CERT_NOT_YET_VALID')
          ? 'Failed:ClientCertNotYetValid'
          : revocation.some(
                (f) =>
                  f.code === 'CRL_INVALID' &&
                  f.details?.['badSignature'] === true &&
                  f.details['appliesToPath'] === true,
              )
            ? 'Failed:ClientCertCrlProcessingError'
            : first(['CLIENT_CERT_REVOKED'])
              ? 'Failed:ClientCertCrlHit'
              : purpose.length
                ? 'Failed:ClientCertPurposeInvalid'
                : keyType.length
                  ? 'Failed:ClientCertTypeUnsupported'
                  : 'Success';

  return {
    findings,
    predictedAlbStatus,
    chainDepth: depth,
    daysLeft: daysLeft(identity.notAfter, now),
    ...(trusted === undefined ? {} : { trusted }),
  };
}

function trustStoreCertificates(pem: string, findings: IdentityFinding[]): X509Certificate[] {
  try {
    return splitPemBlocks(pem, 'trust store', 'trust store')
      .filter((b) => b.label === 'CERTIFICATE')
      .map((b) => new X509Certificate(b.der));
  } catch {
    findings.push({
      code: 'CLIENT_CERT_UNTRUSTED',
      severity: 'error',
      message: 'the trust store bundle does not parse as PEM certificates',
    });
    return [];
  }
}

/** Leaf upwards, trust-store CAs preferred (as the gateway does), until a self-signed certificate. */
function buildPath(
  leaf: X509Certificate,
  chain: readonly X509Certificate[],
  trustStore: readonly X509Certificate[],
): X509Certificate[] {
  const pool = [...trustStore, ...chain];
  const path = [leaf];
  let current = leaf;
  while (!isSelfSigned(current) && path.length < MAX_PATH) {
    const from = current;
    const issuer = pool.find((c) => !path.includes(c) && signedBy(from, c));
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
  }
  return path;
}

function revocationFindings(
  path: readonly X509Certificate[],
  trustStore: readonly X509Certificate[],
  crlPems: readonly string[],
  options: { readonly now: number; readonly source: string; readonly authoritative: boolean },
): IdentityFinding[] {
  const findings: IdentityFinding[] = [];
  const lists: RevocationList[] = [];
  crlPems.forEach((pem, index) => {
    try {
      lists.push(...parseCrls(pem, index));
    } catch (error) {
      findings.push({
        code: 'CRL_INVALID',
        severity: 'error',
        message: `CRL #${index + 1} does not parse: ${(error as Error).message}`,
        details: { crl: index },
      });
    }
  });
  const { judged, findings: listFindings } = judgeCrls(lists, trustStore, options);
  for (const finding of listFindings) {
    const crl = judged.find(
      (j) => j.list.index === finding.details?.['crl'] && j.list.issuer === finding.details['issuer'],
    );
    // The ALB fails verification (ClientCertCrlProcessingError) only for a CRL it must consult.
    const appliesToPath =
      crl !== undefined &&
      path.slice(0, -1).some((cert) => nameDer(cert, 'issuer').equals(crl.list.issuerDer));
    findings.push(
      finding.details?.['badSignature'] === undefined
        ? finding
        : { ...finding, details: { ...finding.details, appliesToPath } },
    );
  }
  path.slice(0, -1).forEach((cert, i) => {
    const serial = normalizeSerial(cert.serialNumber);
    const listing = revokedBy(judged, serial, nameDer(cert, 'issuer'), path[i + 1]);
    if (listing === undefined) return;
    findings.push({
      code: 'CLIENT_CERT_REVOKED',
      severity: 'error',
      message: `${options.source}: serial ${serial} of "${cert.subject.replaceAll('\n', ', ')}" is listed in ${listing.label}`,
      details: { crl: listing.list.index, serial },
    });
  });
  return findings;
}
