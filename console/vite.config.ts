import { defineConfig } from "vite";

// `npm run dev` serves the console on :5173 and passes the API, the local-only routes and the
// runtime config through to a running local stack (B2B_LOCAL_URL, default http://127.0.0.1:3000).
const stack = process.env.B2B_LOCAL_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  base: "/console/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    port: 5173,
    strictPort: false,
    proxy: {
      "/v1": stack,
      "/_local": stack,
      "/console/config.json": stack,
    },
  },
});
