import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/.sst/**",
      ".sst.config.*",
      ".local/**",
      ".cognito/**",
      "packages/web/.next/**",
      "packages/web/.open-next/**",
      "packages/web/next-env.d.ts",
      // Written by SST (`sst bind` / `sst dev`).
      "packages/web/sst-env.d.ts",
      "test-artifacts/**",
      "coverage/**",
      "cdk.out/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
);
