// Shared by the aws-*.test.ts files.

/** Runs `send` and returns the error it rejects with (fails the test when it resolves). */
export async function rejection(
  send: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await send;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}
