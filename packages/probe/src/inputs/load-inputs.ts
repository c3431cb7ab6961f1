import { loadCrlReader } from '@mtls-link/sdk/diagnostics';
import type { CrlInput, ProbeInputs, TrustStoreInput } from '../context.ts';
import { ProbeError } from '../errors.ts';
import { PROBE_DEFAULTS, type ProbeOptions, regionOf } from '../options.ts';
import { loadCrl } from './crl-sources.ts';
import { identityFromFiles, loadIdentity } from './identity.ts';
import { countCertificates, readOptionFile } from './read-file.ts';
import { readTrustStore } from './trust-store-arn.ts';

/**
 * Reads everything the checks need before any of them runs: credentials, CAs, trust store, CRLs.
 * Throws a ProbeError when something given cannot be read at all (the CLI's exit status 2).
 */
export async function loadInputs(options: ProbeOptions): Promise<ProbeInputs> {
  const timeoutMs = options.timeoutMs ?? PROBE_DEFAULTS.timeoutMs;
  const region = regionOf(options.region);
  if ((options.revokedCertFile === undefined) !== (options.revokedKeyFile === undefined)) {
    throw new ProbeError(
      'CONFIG_INVALID',
      '--revoked-cert and --revoked-key go together: give both or neither',
    );
  }
  if (options.trustStoreFile !== undefined && options.trustStoreArn !== undefined) {
    throw new ProbeError(
      'CONFIG_INVALID',
      '--trust-store and --trust-store-arn exclude each other: give one',
    );
  }

  const [identity, revokedIdentity, caTexts, trustStoreText, live, crls] = await Promise.all([
    options.credentials === undefined ? undefined : loadIdentity(options.credentials, undefined, timeoutMs),
    options.revokedCertFile === undefined || options.revokedKeyFile === undefined
      ? undefined
      : identityFromFiles(options.revokedCertFile, options.revokedKeyFile, undefined, {
          certOption: '--revoked-cert',
          keyOption: '--revoked-key',
        }),
    Promise.all(
      (options.caFiles ?? []).map((f) => readOptionFile('--ca', f).then((b) => b.toString('utf8'))),
    ),
    options.trustStoreFile === undefined
      ? undefined
      : readOptionFile('--trust-store', options.trustStoreFile).then((b) => b.toString('utf8')),
    options.trustStoreArn === undefined
      ? undefined
      : readTrustStore(options.trustStoreArn, {
          region,
          timeoutMs,
          ...(options.elbv2Endpoint === undefined ? {} : { endpoint: options.elbv2Endpoint }),
        }),
    Promise.all(
      (options.crls ?? []).map((location) =>
        loadCrl(location, {
          region,
          timeoutMs,
          ...(options.s3Endpoint === undefined ? {} : { s3Endpoint: options.s3Endpoint }),
        }),
      ),
    ),
  ]);

  const serverCa = [...caTexts, ...(options.caPem === undefined ? [] : [options.caPem])];
  for (const [i, text] of serverCa.entries()) {
    if (countCertificates(text) === 0) {
      throw new ProbeError(
        'CONFIG_INVALID',
        `--ca: ${options.caFiles?.[i] ?? 'the CA text'} holds no PEM certificate`,
      );
    }
  }
  let trustStore: TrustStoreInput | undefined;
  if (trustStoreText !== undefined) {
    const caCount = countCertificates(trustStoreText);
    if (caCount === 0) {
      throw new ProbeError(
        'CONFIG_INVALID',
        `--trust-store: ${options.trustStoreFile} holds no PEM certificate`,
      );
    }
    trustStore = { source: `file:${options.trustStoreFile}`, pem: trustStoreText, caCount };
  }
  if (live !== undefined) trustStore = live.trustStore;
  const allCrls: CrlInput[] = [...crls, ...(live?.crls ?? [])];
  // The CRL reader (pkijs) loads only for a run that has CRLs to read.
  if (allCrls.length > 0) await loadCrlReader();

  return {
    ...(identity === undefined ? {} : { identity }),
    ...(revokedIdentity === undefined ? {} : { revokedIdentity }),
    ...(serverCa.length === 0 ? {} : { serverCa }),
    ...(trustStore === undefined ? {} : { trustStore }),
    crls: allCrls,
  };
}
