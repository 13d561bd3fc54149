#!/usr/bin/env node
// Frontend benchmark: the gzipped JavaScript the first page loads (goal: under 300 KB) and the
// time until the dashboard is usable, as Chromium's performance API reports it.
//
// Starts its own backend (fresh SQLite in a temporary folder, Django serving frontend/dist),
// seeds a user with a project of SEED_FINDINGS findings, then loads pages in headless
// Chromium (Debian's, /usr/bin/chromium) RUNS times and prints medians.
//
//   node bench/frontend/bench.mjs            # needs: npm ci && npm run build in frontend/
//   RUNS=9 SEED_FINDINGS=100000 node bench/frontend/bench.mjs
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const repo = resolve(here, '../..')
const frontend = join(repo, 'frontend')
const backend = join(repo, 'backend')
const require = createRequire(join(frontend, 'package.json'))
const { chromium } = require('playwright-core')

const PORT = Number(process.env.PORT ?? 8799)
const RUNS = Number(process.env.RUNS ?? 5)
const SEED_FINDINGS = Number(process.env.SEED_FINDINGS ?? 20000)
const BUDGET_KB = 300
const PYTHON = join(backend, '.venv', 'bin', 'python')
const base = `http://127.0.0.1:${PORT}`
const USER = 'bench'
const PASSWORD = 'bench-password-for-the-benchmark'

if (!existsSync(join(frontend, 'dist', 'index.html'))) {
  console.error('Build the app first: cd frontend && npm ci && npm run build')
  process.exit(2)
}

const varDir = mkdtempSync(join(tmpdir(), 'seculite-bench-'))
const env = {
  ...process.env,
  SECULITE_ENV: 'development',
  SECULITE_VAR_DIR: varDir,
  DATABASE_URL: `sqlite:///${join(varDir, 'bench.sqlite3')}`,
  CACHE_URL: 'locmemcache://',
  CELERY_BROKER_URL: 'filesystem://',
  SECURE_COOKIES: 'false',
  DEBUG: 'false',
  SECULITE_FRONTEND_DIST: join(frontend, 'dist'),
  THROTTLE_LOGIN: '1000/min',
}

function manage(args, input) {
  const result = spawnSync(PYTHON, ['manage.py', ...args], { cwd: backend, env, encoding: 'utf8', input })
  if (result.status !== 0) throw new Error(`manage.py ${args.join(' ')}: ${result.stderr}`)
}

const SEED = `
import random
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from apps.findings.models import Finding, SEVERITY_RANK
from apps.projects.models import Project, ProjectMembership
user = User.objects.create_user("${USER}", "bench@example.com", "${PASSWORD}")
project = Project.objects.create(name="Bench", owner_user=user)
ProjectMembership.objects.create(project=project, user=user, role="owner")
now = timezone.now()
random.seed(1)
severities = ["critical", "high", "medium", "low", "informational"]
statuses = ["new", "new", "confirmed", "resolved", "false_positive", "reopened"]
rows = []
for i in range(${SEED_FINDINGS}):
    sev = random.choice(severities)
    status = random.choice(statuses)
    seen = now - timedelta(days=random.randint(0, 45), minutes=random.randint(0, 1440))
    rows.append(Finding(project=project, fingerprint=f"{i:064x}", title=f"Finding {i}", severity=sev,
        severity_rank=SEVERITY_RANK[sev], status=status, first_seen_at=seen, last_seen_at=now,
        resolved_at=(seen + timedelta(days=1)) if status == "resolved" else None,
        assignee=user if i % 50 == 0 else None))
Finding.objects.bulk_create(rows, batch_size=5000)
`

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function waitForHealth() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/api/v1/health/`)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error('backend did not start')
}

/** Load `path` in a fresh page; return the gzipped and raw bytes of every script it loaded. */
async function scriptsLoadedBy(context, path, readySelector) {
  const page = await context.newPage()
  const scripts = new Map()
  page.on('response', async (response) => {
    if (response.request().resourceType() !== 'script') return
    try {
      const body = await response.body()
      scripts.set(response.url(), { raw: body.length, gzip: gzipSync(body, { level: 9 }).length })
    } catch {
      // a redirect or aborted load has no body
    }
  })
  await page.goto(`${base}${path}`)
  await page.waitForSelector(readySelector, { timeout: 30_000 })
  await page.waitForLoadState('networkidle')
  await page.close()
  const all = [...scripts.values()]
  return { files: all.length, raw: all.reduce((n, s) => n + s.raw, 0), gzip: all.reduce((n, s) => n + s.gzip, 0) }
}

async function main() {
  manage(['migrate', '--no-input', '-v', '0'])
  manage(['shell'], SEED)
  const server = spawn(PYTHON, ['manage.py', 'runserver', '--noreload', `127.0.0.1:${PORT}`], {
    cwd: backend,
    env,
    stdio: 'ignore',
    detached: true,
  })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  })
  try {
    await waitForHealth()
    // First page a visitor gets: "/" → the sign-in page.
    const anonymous = await browser.newContext()
    const first = await scriptsLoadedBy(anonymous, '/', '[data-testid="login-submit"]')
    await anonymous.close()

    // Signed in: the dashboard's scripts, and time to usable over RUNS cold loads.
    const signedIn = await browser.newContext()
    const login = await signedIn.request.post(`${base}/api/v1/auth/login/`, { data: { username: USER, password: PASSWORD } })
    if (!login.ok()) throw new Error(`login failed: ${login.status()}`)
    const dashboardJs = await scriptsLoadedBy(signedIn, '/', '[data-testid="open-total"]')
    const usable = []
    const dcl = []
    for (let i = 0; i < RUNS; i++) {
      const page = await signedIn.newPage()
      await page.goto(`${base}/`)
      await page.waitForFunction(() => performance.getEntriesByName('seculite:dashboard-usable').length > 0, null, { timeout: 30_000 })
      const timing = await page.evaluate(() => {
        const [nav] = performance.getEntriesByType('navigation')
        return {
          usable: performance.getEntriesByName('seculite:dashboard-usable')[0].startTime,
          dcl: nav.domContentLoadedEventEnd,
        }
      })
      usable.push(timing.usable)
      dcl.push(timing.dcl)
      await page.close()
    }
    await signedIn.close()

    const kb = (bytes) => (bytes / 1024).toFixed(1)
    console.log(`frontend bench (${SEED_FINDINGS} findings seeded, ${RUNS} runs, Chromium headless, localhost)`)
    console.log(`first page (sign-in) JS: ${first.files} files, ${kb(first.gzip)} KB gzipped (${kb(first.raw)} KB raw) — budget ${BUDGET_KB} KB: ${first.gzip / 1024 < BUDGET_KB ? 'OK' : 'OVER'}`)
    console.log(`dashboard JS:            ${dashboardJs.files} files, ${kb(dashboardJs.gzip)} KB gzipped (${kb(dashboardJs.raw)} KB raw) — budget ${BUDGET_KB} KB: ${dashboardJs.gzip / 1024 < BUDGET_KB ? 'OK' : 'OVER'}`)
    console.log(`time to usable dashboard: median ${median(usable).toFixed(0)} ms (min ${Math.min(...usable).toFixed(0)}, max ${Math.max(...usable).toFixed(0)}); DOMContentLoaded median ${median(dcl).toFixed(0)} ms`)
    process.exitCode = first.gzip / 1024 < BUDGET_KB ? 0 : 1
  } finally {
    await browser.close()
    try {
      process.kill(-server.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
}

await main()
