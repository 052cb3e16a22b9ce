// Suites that need a service from the environment (PostgreSQL, S3, Redis): registered when its
// settings are present; otherwise one test says what is missing, and fails under CI=true, where
// .ci/run starts every service, so CI can never pass by silently running less.
import { describe, expect, it } from 'vitest';

/** `describe(name, body)` when `needs` is empty; otherwise a test naming the missing settings. */
export function describeWhen(name: string, needs: Record<string, unknown>, body: () => void): void {
  const missing = Object.entries(needs)
    .filter(([, value]) => value === undefined || value === '' || value === false)
    .map(([key]) => key);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it(`runs when ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} set`, () => {
      expect(process.env.CI === 'true' ? `missing in CI: ${missing.join(', ')}` : 'not needed here').toBe(
        'not needed here',
      );
    });
  });
}
