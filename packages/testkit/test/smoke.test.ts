import * as testkit from '@mtls-link/testkit';
import { expect, test } from 'vitest';

test('resolves source', () => {
  expect(typeof testkit).toBe('object');
});
