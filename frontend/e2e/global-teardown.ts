// Stops the processes global-setup started.
import { existsSync, readFileSync, rmSync } from 'node:fs'

import { STATE_FILE, stopBackend, type BackendHandle } from './backend'

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STATE_FILE)) return
  await stopBackend(JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle)
  rmSync(STATE_FILE, { force: true })
}
