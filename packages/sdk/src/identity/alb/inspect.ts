import { X509Certificate } from 'node:crypto';
import { crlSignedBy, nameDer, normalizeSerial, parseCrls, type RevocationList } from '../crl.ts';
import { isSelfSigned, keyMatches, signedBy } from '../formats/chain.ts';
import { splitPemBlocks } from '../pem.ts';
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
      : revocationFindings(path, trustStore ?? [], options.crlPems, now, source);
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
  now: number,
  source: string,
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
  for (const crl of lists) {
    const label = `CRL #${crl.index + 1} (issuer ${crl.issuer})`;
    const issuer = trustStore.find((ca) => nameDer(ca, 'subject').equals(crl.issuerDer));
    if (!issuer) {
      findings.push({
        code: 'CRL_INVALID',
        severity: 'error',
        message: `${label}: no CA in the trust store has this issuer name`,
        details: { crl: crl.index, issuer: crl.issuer },
      });
      continue;
    }
    const signed = crlSignedBy(crl, issuer);
    if (signed !== true) {
      findings.push({
        code: 'CRL_INVALID',
        severity: 'error',
        message: `${label}: ${signed === undefined ? 'signature algorithm not supported' : 'signature does not verify with the issuing CA'}`,
        details: {
          crl: crl.index,
          issuer: crl.issuer,
          badSignature: signed === false,
          // The ALB fails verification (ClientCertCrlProcessingError) only for a CRL it must consult.
          appliesToPath: path.slice(0, -1).some((cert) => nameDer(cert, 'issuer').equals(crl.issuerDer)),
        },
      });
      continue;
    }
    if (crl.nextUpdate !== undefined && crl.nextUpdate.getTime() < now) {
      findings.push({
        code: 'CRL_STALE',
        severity: 'warning',
        message: `${label}: nextUpdate ${crl.nextUpdate.toISOString()} has passed; the ALB keeps using it until the trust store is updated`,
        details: { crl: crl.index, nextUpdate: crl.nextUpdate.toISOString() },
      });
    }
    for (const cert of path.slice(0, -1)) {
      if (!nameDer(cert, 'issuer').equals(crl.issuerDer)) continue;
      const serial = normalizeSerial(cert.serialNumber);
      if (crl.revokedSerials.has(serial)) {
        findings.push({
          code: 'CLIENT_CERT_REVOKED',
          severity: 'error',
          message: `${source}: serial ${serial} of "${cert.subject.replaceAll('\n', ', ')}" is listed in ${label}`,
          details: { crl: crl.index, serial },
        });
      }
    }
  }
  return findings;
}
