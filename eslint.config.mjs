// ESLint (flat config): ESLint's and typescript-eslint's recommended rules, without type information
// (fast, and no tsconfig project to keep in step), plus a few rules this code base relies on.
// Formatting is Prettier's (.prettierrc.json); no rule here is about layout.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    // Build output, dependencies, generated files; the local plan and boot outputs are in .gitignore.
    ignores: ["dist/**", "node_modules/**", "coverage/**", ".plan/**", "**/*.snap", "package-lock.json"],
  },
  {
    linterOptions: {
      // A disable comment that no longer disables anything is an error, so none outlives its reason.
      reportUnusedDisableDirectives: "error",
    },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      globals: { ...globals.node },
    },
    rules: {
      // `any` only where a comment says why (an `eslint-disable-line` / `-next-line` on that line).
      "@typescript-eslint/no-explicit-any": "error",
      // Unused names are errors; a leading `_` marks one kept on purpose (a skipped argument, a rest sibling).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // Imports used only as types say so (`import type`, or `type X` inline as the code does), so the
      // emitted JavaScript never loads a module for its types.
      // (`typeof import("...")` stays allowed: it types a deliberate lazy `require`, tools/plan/run.ts.)
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
      // `==` only against null (which also matches undefined).
      eqeqeq: ["error", "smart"],
      "no-throw-literal": "error",
      "prefer-const": "error",
      "no-var": "error",
    },
  },
  {
    // The few plain JavaScript files: Node.js CommonJS scripts (a jest config, stand-in servers).
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/no-require-imports": "off",
      // `const crypto = require("crypto")` at a CommonJS module's top is a module variable, not the global's.
      "no-redeclare": ["error", { builtinGlobals: false }],
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: {
      sourceType: "module",
      globals: { ...globals.node },
    },
  },
);
