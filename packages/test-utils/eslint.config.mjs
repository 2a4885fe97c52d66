// Shared lint config for every sockscope package; each package runs `eslint -c` on it.
// Beyond the recommended rules it encodes DESIGN.md's fences: koffi only under src/ffi/,
// and no platform modules in core.
import tseslint from 'typescript-eslint';

const koffiOnlyInFfi = {
  paths: [{ name: 'koffi', message: 'koffi is only imported by files under src/ffi/ (DESIGN.md).' }],
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', koffiOnlyInFfi],
    },
  },
  {
    files: ['**/src/ffi/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/packages/core/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...koffiOnlyInFfi.paths,
            ...['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process'].map((name) => ({
              name,
              message: 'core is free of platform code (DESIGN.md): read files in a collector.',
            })),
          ],
        },
      ],
    },
  },
);
