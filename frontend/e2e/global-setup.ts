// Starts the backend once for every spec (see backend.ts).
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { E2E_PORT, FRONTEND_DIR, startBackend } from './backend'

export default async function globalSetup(): Promise<void> {
  if (!existsSync(join(FRONTEND_DIR, 'dist', 'index.html'))) {
    throw new Error('Build the app first (npm run build): Django serves frontend/dist.')
  }
  await startBackend(E2E_PORT)
}
