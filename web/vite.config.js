// Builds the three people-facing pages (member portal, brand console, till) into web/dist, served by the API host
// at /portal, /console and /till. Every asset is local: no CDN, no external font or script.
import { defineConfig } from "vite";
import { resolve } from "node:path";
import { readdirSync, existsSync } from "node:fs";

const root = import.meta.dirname;
// One entry per page folder that has an index.html, so a new page needs no edit here.
const input = Object.fromEntries(
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(resolve(root, d.name, "index.html")))
    .map((d) => [d.name, resolve(root, d.name, "index.html")]),
);

export default defineConfig({
  root,
  base: "/",
  publicDir: false,
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: resolve(root, "dist"),
    emptyOutDir: true,
    assetsDir: "assets",
    rollupOptions: { input },
    // The CSP forbids inline scripts and styles; keep every module a file.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
