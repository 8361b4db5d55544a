// The gateway runs elsewhere (`npm start` in the Runcast repository serves it on :8787). `vite` and `vite preview`
// forward its paths, so the app talks to its own origin; set VITE_RUNCAST_URL to call a gateway directly instead
// (its RUNCAST_CORS_ORIGINS must then list this app's origin).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const gateway = process.env.RUNCAST_GATEWAY ?? "http://127.0.0.1:8787";
const proxy = {
  "/trpc": gateway,
  "/ws": { target: gateway, ws: true },
};

export default defineConfig({
  plugins: [react()],
  server: { proxy },
  preview: { proxy },
});
