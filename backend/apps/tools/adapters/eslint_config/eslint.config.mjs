// SecuLite's ESLint configuration for security scans (flat config, ESLint 9).
//
// The scanned project's own ESLint config is never loaded: the adapter passes this file with
// --config, so a repository cannot make ESLint import its code. Plugins are resolved from the
// isolated scanner install named by SECULITE_ESLINT_NODE_MODULES (set by the adapter), never
// from the scanned tree.
import { createRequire } from "node:module";
import path from "node:path";

const modulesDir = process.env.SECULITE_ESLINT_NODE_MODULES;
if (!modulesDir) {
  throw new Error("SECULITE_ESLINT_NODE_MODULES is not set; run ESLint through SecuLite.");
}
const require = createRequire(path.join(modulesDir, "seculite-resolve-base.js"));
const security = require("eslint-plugin-security");

export default [
  {
    ignores: ["**/node_modules/**", "**/.git/**", "**/*.min.js", "**/dist/**", "**/vendor/**"],
  },
  {
    files: ["**/*.js", "**/*.cjs", "**/*.mjs", "**/*.jsx"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    linterOptions: {
      // Never let a scanned file turn rules off or report unused disable comments as noise.
      noInlineConfig: true,
      reportUnusedDisableDirectives: "off",
    },
    plugins: { security },
    rules: {
      ...security.configs.recommended.rules,
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-script-url": "warn",
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
];
