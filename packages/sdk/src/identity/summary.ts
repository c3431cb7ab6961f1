import { inspect } from 'node:util';
import { daysLeft } from './alb/rules.ts';
import type { ClientIdentity, IdentitySummary } from './types.ts';

const guarded = Symbol('mtls-link.guarded-identity');

/** What a log line may say about an identity: where it came from and which certificate it is. */
export function summarizeIdentity(identity: ClientIdentity, now = Date.now()): IdentitySummary {
  return {
    source: identity.source,
    ...(identity.version === undefined ? {} : { version: identity.version }),
    serialHex: identity.serialHex,
    fingerprint256: identity.fingerprint256,
    subject: identity.subject,
    notAfter: identity.notAfter.toISOString(),
    daysLeft: Math.floor(daysLeft(identity.notAfter, now) * 10) / 10,
  };
}

/**
 * The identity with its key material out of sight: `keyPem` and `privateKey` stay readable but are
 * not enumerable, and `JSON.stringify`, `util.inspect` (hence console.log and most loggers) print
 * the summary. An identity that is already guarded comes back as it is; any other is copied, so a
 * caller's own object is never changed.
 */
export function guardIdentity<T extends ClientIdentity>(identity: T): T {
  if (Object.hasOwn(identity, guarded)) return identity;
  const { keyPem, privateKey, ...visible } = identity;
  const out = { ...visible } as T;
  Object.defineProperties(out, {
    keyPem: { value: keyPem, enumerable: false },
    privateKey: { value: privateKey, enumerable: false },
    toJSON: { value: () => summarizeIdentity(out), enumerable: false },
    [inspect.custom]: {
      value: (_depth: number, options: object) =>
        `ClientIdentity ${inspect(summarizeIdentity(out), options)}`,
      enumerable: false,
    },
    [guarded]: { value: true, enumerable: false },
  });
  return out;
}

/**
 * An event object whose identity-valued properties are readable but not enumerable, so that
 * `logger.info(event)` and `JSON.stringify(event)` show the summaries beside them, never the objects.
 */
export function withHiddenIdentities<T extends object>(
  visible: T,
  hidden: Readonly<Record<string, ClientIdentity | undefined>>,
): T {
  for (const [name, value] of Object.entries(hidden)) {
    Object.defineProperty(visible, name, { value, enumerable: false });
  }
  return visible;
}
