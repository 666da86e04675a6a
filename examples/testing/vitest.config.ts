/**
 * The example suite's vitest configuration. In your own project you need none of this:
 * `rocketchat-ddp` and `rocketchat-ddp/testing` come from node_modules. Here they point at
 * this repository's sources, so the example always tests the current code.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      { find: /^rocketchat-ddp\/testing$/, replacement: source('testing/index.ts') },
      { find: /^rocketchat-ddp$/, replacement: source('index.ts') },
    ],
  },
  test: { include: ['**/*.test.ts'], testTimeout: 10_000 },
});
