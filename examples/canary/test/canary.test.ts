import { expect, test } from 'vitest';
import { runCanaryExample } from '../src/main.ts';

test('the canary example runs the probe handler against the emulator and passes', async () => {
  const lines: string[] = [];
  const result = await runCanaryExample({ write: (line) => lines.push(line) });
  expect(result.verdict, JSON.stringify(result.checks, null, 2)).toBe('pass');
  expect(result.checks.find((c) => c.id === 'tls.client-cert')?.status).toBe('pass');
  expect(result.checks.find((c) => c.id === 'http.response')?.details).toMatchObject({ status: 200 });
  const documents = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(documents[0]).toMatchObject({ service: 'example-canary', Success: 1 });
  expect(documents.at(-1)).toMatchObject({ level: 'INFO', verdict: 'pass' });
});
