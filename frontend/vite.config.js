import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig } from 'vite';
import { mockSupportApi } from './dev/mock-api.js';

const here = path.dirname(fileURLToPath(import.meta.url));

// Committed bundle location (served by Django as static/support/...).
// FTE_SUPPORT_OUT_DIR overrides it, e.g. check-bundle.sh builds into a temp dir.
const outDir = process.env.FTE_SUPPORT_OUT_DIR
  ? path.resolve(process.env.FTE_SUPPORT_OUT_DIR)
  : path.resolve(here, '../channels_app/static/support');

export default defineConfig({
  root: here,
  base: './',
  // The project's JSX is compiled by Vite's built-in Oxc transform (no React plugin needed).
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'react' },
  },
  // `FTE_MOCK_API=1 npm run dev` answers /support/* from an in-memory mock (dev server only).
  plugins: process.env.FTE_MOCK_API ? [mockSupportApi()] : [],
  server: {
    // `npm run dev` → http://localhost:5173 with API calls proxied to Django.
    proxy: process.env.FTE_MOCK_API
      ? undefined
      : { '/support': process.env.FTE_API_ORIGIN || 'http://127.0.0.1:8000' },
  },
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    minify: true,
    cssMinify: true,
    // Emit one external stylesheet (CSP-friendly) instead of injecting a <style> tag.
    cssCodeSplit: false,
    copyPublicDir: false,
    reportCompressedSize: true,
    rolldownOptions: {
      input: path.resolve(here, 'src/main.jsx'),
      output: {
        format: 'iife',
        entryFileNames: 'support-form.js',
        chunkFileNames: 'support-form-[name].js',
        assetFileNames: (asset) => {
          const names = asset.names || [];
          if (names.some((n) => n.endsWith('.css'))) return 'support-form.css';
          return 'support-form-[name][extname]';
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./tests/setup.js'],
    // user-event types key by key: on a busy two-core machine a form fill alone takes seconds.
    testTimeout: 20000,
    include: ['tests/**/*.test.{js,jsx}'],
    css: false,
    restoreMocks: true,
  },
});
