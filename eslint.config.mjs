import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'build/**',
      'dist/**',
      '.tools/**',
      'coverage/**',
      'cdk8s.out/**',
      'cdktf.out/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Plain CommonJS run by node itself: the bin shim and jest's global setup and teardown.
    files: ['bin/**/*.js', 'test/support/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
