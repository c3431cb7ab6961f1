import { ConfigError } from '../../errors/index.ts';
import { loadAsn1ReadersFor } from '../formats/asn1-readers.ts';
import { readIdentityParts } from '../formats/read-identity.ts';
import { RefreshingIdentityProvider, type RefreshOptions } from '../lifecycle/provider.ts';
import type { IdentityProvider, MaterialPart } from '../types.ts';

export interface EnvIdentityOptions extends RefreshOptions {
  /**
   * Prefix of the variables, read as `${prefix}CERT`, `${prefix}KEY`, `${prefix}CHAIN`,
   * `${prefix}PASSPHRASE` and `${prefix}PFX_BASE64`. CERT/KEY/CHAIN hold PEM (literal `\n`
   * escapes allowed) or base64 of PEM; PFX_BASE64 holds base64 PKCS#12 and replaces CERT/KEY.
   * @default 'MTLS_LINK_'
   */
  readonly prefix?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** An identity from environment variables (see `EnvIdentityOptions.prefix` for the names). */
export function fromEnv(options: EnvIdentityOptions = {}): IdentityProvider {
  const prefix = options.prefix ?? 'MTLS_LINK_';
  const names = {
    cert: `${prefix}CERT`,
    key: `${prefix}KEY`,
    chain: `${prefix}CHAIN`,
    passphrase: `${prefix}PASSPHRASE`,
    pfx: `${prefix}PFX_BASE64`,
  };
  return new RefreshingIdentityProvider(async ({ now }) => {
    const env = options.env ?? process.env;
    const value = (name: string) => {
      const v = env[name];
      return v === undefined || v === '' ? undefined : v;
    };
    const parts: MaterialPart[] = [];
    const pfx = value(names.pfx);
    if (pfx !== undefined) {
      parts.push({ field: names.pfx, role: 'pfx', text: pfx });
    } else {
      for (const role of ['cert', 'key', 'chain'] as const) {
        const text = value(names[role]);
        if (text !== undefined) parts.push({ field: names[role], role, text });
      }
      const missing = [names.cert, names.key].filter((n) => value(n) === undefined);
      if (missing.length > 0) {
        throw new ConfigError(
          'CONFIG_INVALID',
          `fromEnv: set ${missing.join(' and ')} (PEM or base64 of PEM), or ${names.pfx} (base64 PKCS#12)`,
          { details: { option: missing[0], missing } },
        );
      }
    }
    await loadAsn1ReadersFor(parts);
    return readIdentityParts(
      parts,
      { source: `env:${prefix}*`, passphrase: value(names.passphrase), version: undefined },
      { now },
    );
  }, options);
}
