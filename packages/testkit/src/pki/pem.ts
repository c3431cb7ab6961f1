/**
 * PEM text in and out, one place for every module that reads or writes certificates, keys and
 * CRLs. Only blocks with the exact label count: `X509 CRL` and `CERTIFICATE` bundles are often
 * concatenated with other material.
 */

function blockPattern(label: string): RegExp {
  return new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
}

/** Every `label` block of a PEM text, in order, as its PEM text (no trailing newline). */
export function pemBlocks(text: string, label: string): string[] {
  return [...text.matchAll(blockPattern(label))].map((m) => m[0]);
}

/** Every `label` block of a PEM text, in order, as DER. */
export function pemToDer(text: string, label: string): Buffer[] {
  return [...text.matchAll(blockPattern(label))].map((m) =>
    Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'),
  );
}

/** One PEM block with 64-character lines, ending in a newline so blocks concatenate. */
export function derToPem(der: Uint8Array, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
