// ESLint for the TypeScript and JavaScript tree (`npm run lint`): ESLint's and typescript-eslint's recommended rules,
// without type information (tsc --noEmit checks types). Solidity is linted by solhint.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  // Generated or git-ignored output (.gitignore).
  globalIgnores([
    "artifacts/",
    "cache/",
    "typechain-types/",
    "coverage/",
    "dist/",
    "test-results/",
    ".state/",
    ".data/",
    ".dsx/",
    "state/",
    "evidence/",
    ".coverage_*/",
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    languageOptions: { globals: globals.node },
    rules: {
      // `_name` marks what must stay unused: a parameter of a fixed signature (Express's 4-argument error
      // handler), a property left out of a rest copy.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // A variable that a closure reads before its first assignment cannot be const.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  // CommonJS files (the `dsx` launcher, mocha's reporter, solidity-coverage's config) load modules with require.
  {
    files: ["**/*.cjs", ".solcover.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  { files: ["api/dashboard/assets/**/*.js"], languageOptions: { globals: globals.browser } },
);
