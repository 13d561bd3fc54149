// Starts the real backend for browser tests: a fresh SQLite database and filesystem broker in a
// temporary folder, migrations, tool sync, Django (serving the built app), a Celery worker, and
// the OpenID Connect provider the SSO spec signs in through (e2e/idp/oidc-idp.mjs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const FRONTEND_DIR = resolve(here, '..')
export const BACKEND_DIR = resolve(FRONTEND_DIR, '../backend')
export const SAMPLE_PROJECT = join(BACKEND_DIR, 'testdata', 'vulnerable-project')
export const STATE_FILE = join(FRONTEND_DIR, 'test-results', 'e2e-backend.json')
export const E2E_PORT = Number(process.env.SECULITE_E2E_PORT ?? 8765)
// The OpenID Connect provider the SSO spec signs in through (e2e/idp/oidc-idp.mjs), on its own port.
export const IDP_PORT = Number(process.env.SECULITE_E2E_IDP_PORT ?? E2E_PORT + 1000)
export const IDP_URL = `http://127.0.0.1:${IDP_PORT}`
export const IDP_PROVIDER_ID = 'test-idp'
export const IDP_PASSWORD = 'idp-password-e2e-1'
export const IDP_ACCOUNTS = [
  { sub: 'e2e-sso-alice', username: 'sso-alice', email: 'sso-alice@corp.test', email_verified: true, groups: ['secops'] },
  { sub: 'e2e-sso-bob', username: 'sso-bob', email: 'sso-bob@corp.test', email_verified: false, groups: [] },
  { sub: 'e2e-sso-carol', username: 'sso-carol', email: 'sso-carol@corp.test', email_verified: true, groups: [] },
]
const SSO_PROVIDERS = JSON.stringify([
  {
    id: IDP_PROVIDER_ID,
    kind: 'oidc',
    name: 'Test IdP',
    discovery_url: `${IDP_URL}/.well-known/openid-configuration`,
    client_id: 'seculite-e2e',
    client_secret: 'seculite-e2e-secret',
    scopes: ['openid', 'profile', 'email', 'groups'],
  },
])
const PYTHON = process.env.SECULITE_PYTHON ?? join(BACKEND_DIR, '.venv', 'bin', 'python')
const CELERY = join(dirname(PYTHON), 'celery')

export interface BackendHandle {
  baseUrl: string
  varDir: string
  pids: number[]
}

function environment(varDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SECULITE_ENV: 'development',
    SECULITE_VAR_DIR: varDir,
    MEDIA_ROOT: join(varDir, 'media'),
    DATABASE_URL: `sqlite:///${join(varDir, 'e2e.sqlite3')}`,
    CELERY_BROKER_URL: 'filesystem://',
    CACHE_URL: `filecache://${join(varDir, 'cache')}`,
    SECURE_COOKIES: 'false',
    DEBUG: 'false',
    SECULITE_ALLOWED_PATHS: join(BACKEND_DIR, 'testdata'),
    SECULITE_FRONTEND_DIST: join(FRONTEND_DIR, 'dist'),
    THROTTLE_REGISTER: '1000/hour',
    // Account emails (activation links, invitations) land in files the specs read.
    EMAIL_URL: `filemail:///${join(varDir, 'mail')}`,
    THROTTLE_LOGIN: '1000/min',
    SECULITE_SSO_PROVIDERS: SSO_PROVIDERS,
    THROTTLE_MFA: '1000/min',
    PYTHONUNBUFFERED: '1',
  }
}

/** Run a management command against the backend a running test suite started. */
export function manageRunning(handle: BackendHandle, args: string[]): string {
  const env = environment(handle.varDir)
  const result = spawnSync(PYTHON, ['manage.py', ...args], { cwd: BACKEND_DIR, env, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`manage.py ${args.join(' ')} failed:\n${result.stderr}`)
  return result.stdout
}

/**
 * manageRunning without blocking this process: for a command that talks to a server the spec
 * itself runs (a blocking spawn would leave that server unable to answer).
 */
export function manageRunningAsync(handle: BackendHandle, args: string[]): Promise<string> {
  const child = spawn(PYTHON, ['manage.py', ...args], { cwd: BACKEND_DIR, env: environment(handle.varDir) })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolvePromise(stdout)
      else reject(new Error(`manage.py ${args.join(' ')} failed:\n${stderr}`))
    })
  })
}

function manage(args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(PYTHON, ['manage.py', ...args], { cwd: BACKEND_DIR, env, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`manage.py ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`)
}

function start(argv: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const out = openSync(log, 'a')
  const child = spawn(argv[0], argv.slice(1), { cwd: BACKEND_DIR, env, stdio: ['ignore', out, out], detached: true })
  child.unref()
  return child
}

async function waitForHealth(baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/api/v1/health/`)
      if (response.ok) return
      last = `HTTP ${response.status}`
    } catch (err) {
      last = String(err)
    }
    await new Promise((r) => setTimeout(r, 300))
  }
  throw new Error(`backend did not become healthy: ${last}`)
}

/** The test OpenID Connect provider, with this backend's callback as its client's redirect. */
async function startIdp(varDir: string, port: number, log: string): Promise<ChildProcess> {
  const config = join(varDir, 'oidc-idp.json')
  writeFileSync(
    config,
    JSON.stringify({
      port: IDP_PORT,
      admin_token: 'e2e-idp-admin',
      clients: [
        {
          client_id: 'seculite-e2e',
          client_secret: 'seculite-e2e-secret',
          redirect_uris: [`http://127.0.0.1:${port}/accounts/oidc/${IDP_PROVIDER_ID}/login/callback/`],
        },
      ],
      accounts: IDP_ACCOUNTS.map((account) => ({ ...account, password: IDP_PASSWORD })),
    }),
  )
  const out = openSync(log, 'a')
  const child = spawn(process.execPath, [join(here, 'idp', 'oidc-idp.mjs'), config], { cwd: FRONTEND_DIR, stdio: ['ignore', out, out], detached: true })
  child.unref()
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${IDP_URL}/.well-known/openid-configuration`)).ok) return child
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`the test identity provider did not start; see ${log}`)
}

export async function startBackend(port: number): Promise<BackendHandle> {
  rmSync(STATE_FILE, { force: true }) // never signal the pids of an earlier run
  const varDir = mkdtempSync(join(tmpdir(), 'seculite-e2e-'))
  mkdirSync(join(FRONTEND_DIR, 'test-results'), { recursive: true })
  const env = environment(varDir)
  manage(['migrate', '--no-input', '-v', '0'], env)
  manage(['sync_tools'], env)
  const logDir = join(FRONTEND_DIR, 'test-results')
  const idp = await startIdp(varDir, port, join(logDir, 'e2e-idp.log'))
  const web = start([PYTHON, 'manage.py', 'runserver', '--noreload', `127.0.0.1:${port}`], env, join(logDir, 'e2e-django.log'))
  const worker = start(
    [CELERY, '-A', 'seculite_api', 'worker', '-Q', 'default,scans', '-c', '2', '-n', `e2e-${port}@%h`, '-l', 'info', '--without-gossip', '--without-mingle', '--without-heartbeat'],
    env,
    join(logDir, 'e2e-worker.log'),
  )
  const baseUrl = `http://127.0.0.1:${port}`
  const handle: BackendHandle = { baseUrl, varDir, pids: [web.pid ?? 0, worker.pid ?? 0, idp.pid ?? 0].filter(Boolean) }
  writeFileSync(STATE_FILE, JSON.stringify(handle))
  await waitForHealth(baseUrl)
  return handle
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Stop each process group (the worker's pool children too): TERM, then KILL after 10 s. */
export async function stopBackend(handle: BackendHandle): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig)
    } catch {
      // Already gone.
    }
  }
  handle.pids.forEach((pid) => signal(pid, 'SIGTERM'))
  const deadline = Date.now() + 10_000
  while (handle.pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  handle.pids.filter(alive).forEach((pid) => signal(pid, 'SIGKILL'))
}
