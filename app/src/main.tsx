/**
 * Stand-alone entry for the Backups tab while it is developed outside Ortho+. Inside the host
 * app only `BackupsSettings` is mounted; this page supplies the landmark around it.
 */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BackupsSettings } from "./BackupsSettings.tsx";

const container = document.getElementById("root");
if (!container) throw new Error('index.html has no element with id="root"');

createRoot(container).render(
  <StrictMode>
    <main>
      <BackupsSettings />
    </main>
  </StrictMode>,
);
