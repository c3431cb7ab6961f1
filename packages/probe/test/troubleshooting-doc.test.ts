import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ALB_STATUS_CODES } from '../src/alb-verify-status.ts';
import { CHECK_IDS, PROBE_CODES } from '../src/index.ts';

const doc = readFileSync(new URL('../../../docs/troubleshooting.md', import.meta.url), 'utf8');

interface DocEntry {
  readonly code: string;
  readonly hop: string | undefined;
  readonly checks: string[];
  readonly fields: Set<string>;
}

function parseEntries(text: string): DocEntry[] {
  const sections = text.split(/^### /m).slice(1);
  return sections.map((section) => {
    const code = /^`([A-Z0-9_]+)`/.exec(section)?.[1] ?? `unparsed: ${section.slice(0, 30)}`;
    const hop = /\*\*Hop:\*\* ([a-z-]+)/.exec(section)?.[1];
    const checkLine = /\*\*Check:\*\* (.*)/.exec(section)?.[1] ?? '';
    const checks = [...checkLine.matchAll(/`([a-z-]+\.[a-z-]+)`/g)].map((m) => m[1] ?? '');
    const fields = new Set([...section.matchAll(/\*\*([A-Za-z ]+):\*\*/g)].map((m) => m[1] ?? ''));
    return { code, hop, checks, fields };
  });
}

describe('docs/troubleshooting.md and the code table stay in step', () => {
  const entries = parseEntries(doc);
  const documented = entries.map((e) => e.code);

  test('every code the probe can report is documented', () => {
    const missing = Object.keys(PROBE_CODES).filter((code) => !documented.includes(code));
    expect(missing).toEqual([]);
  });

  test('every documented code is one the probe can report, documented once', () => {
    const unknown = documented.filter((code) => !Object.hasOwn(PROBE_CODES, code));
    expect(unknown).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
  });

  test('each entry names its check, hop, owner, meaning and how to confirm; the hop matches the table', () => {
    for (const entry of entries) {
      expect([...entry.fields], entry.code).toEqual(
        expect.arrayContaining(['Check', 'Hop', 'Owner', 'Meaning', 'Confirm']),
      );
      expect(entry.hop, entry.code).toBe(PROBE_CODES[entry.code as keyof typeof PROBE_CODES].hop);
      for (const id of entry.checks) expect(CHECK_IDS as readonly string[], entry.code).toContain(id);
    }
  });

  test('the connection-log table matches the mapping the probe uses for its hints', () => {
    const rows = [...doc.matchAll(/^\| `(Failed:[A-Za-z]+)` \| `([A-Z0-9_]+)` \|$/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(Object.fromEntries(rows)).toEqual(ALB_STATUS_CODES);
  });
});
