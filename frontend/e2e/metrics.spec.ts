// Metrics over time in a real browser: a project's findings (ingested from a report) are given
// a history of first sightings and fixes over the last 80 days, the daily snapshots are
// backfilled from it, and the dashboard and the project overview show the charts with their
// numbers as tables, at 1440 and 390 px.
import { readFileSync } from 'node:fs'

import { expect, request, test, type Page } from '@playwright/test'

import { SAMPLE_PROJECT, STATE_FILE, manageRunning, type BackendHandle } from './backend'
import { screenshotPath, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

const FINDINGS = 48

function semgrepReport(count: number): string {
  const results = Array.from({ length: count }, (_, i) => ({
    check_id: `e2e.rules.metrics-${i % 6}`,
    path: `src/module${i % 9}.py`,
    start: { line: i + 1, col: 1 },
    end: { line: i + 1, col: 20 },
    extra: { message: `Metrics finding ${i}`, severity: ['ERROR', 'WARNING', 'INFO'][i % 3], lines: `call_${i}(user_input)`, metadata: { cwe: [`CWE-${[89, 79, 22][i % 3]}: x`] } },
  }))
  return JSON.stringify({ version: '1.85.0', errors: [], results })
}

// Spread first sightings over 80 days; fix every third finding some days later, dismiss a few.
const HISTORY = (projectId: number) => `
from datetime import timedelta
from django.utils import timezone
from apps.findings.models import Finding
now = timezone.now()
for i, f in enumerate(Finding.objects.filter(project_id=${projectId}).order_by("id")):
    f.first_seen_at = now - timedelta(days=(i * 17) % 80, hours=i % 5)
    f.due_date = None
    if i % 3 == 0:
        f.status = "resolved"
        f.resolved_at = min(now, f.first_seen_at + timedelta(days=(i % 11) + 1))
    elif i % 10 == 1:
        f.status = "false_positive"
    f.save()
`

async function openTables(page: Page): Promise<void> {
  await expect(page.getByTestId('metrics').getByText('open now')).toBeVisible()
}

test('dashboard and project overview chart the metrics with readable tables', async ({ page, baseURL }) => {
  const owner = uniqueName('metrics')
  const api = await request.newContext({ baseURL })
  await registerUser(api, owner)
  const headers = await apiKeyHeaders(api, owner)
  const project = await (await api.post('/api/v1/projects/', { data: { name: uniqueName('Storefront ') }, headers })).json()
  const imported = await api.post(`/api/v1/projects/${project.id}/imports/`, {
    headers,
    multipart: {
      format: 'semgrep', target_name: 'storefront', target_type: 'codebase_path', target_identifier: SAMPLE_PROJECT,
      file: { name: 'semgrep.json', mimeType: 'application/json', buffer: Buffer.from(semgrepReport(FINDINGS)) },
    },
  })
  expect(imported.status(), await imported.text()).toBe(202)
  const scan = await imported.json()
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 120_000 })
    .toBe('completed')
  // A second target nobody scanned: the coverage lists it.
  await api.post(`/api/v1/projects/${project.id}/targets/`, { data: { name: 'marketing-site', asset_type: 'url', identifier: 'https://www.example.com/' }, headers })
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  manageRunning(backend, ['shell', '-c', HISTORY(project.id)])
  manageRunning(backend, ['dashboard_snapshot_backfill', '--overwrite', '--project', String(project.id)])
  const metrics = await (await api.get(`/api/v1/projects/${project.id}/metrics/`, { headers })).json()
  await api.dispose()

  await signIn(page, owner)
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto('/')
  await openTables(page)
  const openNow = metrics.open_by_day.at(-1).total
  await expect(page.getByTestId('metric-open-now')).toHaveText(String(openNow))
  expect(openNow).toBe(await page.getByTestId('open-total').textContent().then(Number))

  // The weekly table holds the API's numbers, readable without the chart.
  const weekly = page.locator('figure', { has: page.locator('caption', { hasText: 'Findings first seen and fixed per ISO week' }) })
  await weekly.getByText('Show as table').click()
  const rows = weekly.locator('tbody tr')
  await expect(rows).toHaveCount(metrics.new_vs_fixed.length)
  const last = metrics.new_vs_fixed.at(-1)
  await expect(rows.last()).toHaveText(new RegExp(`${last.week}\\s*${last.new}\\s*${last.fixed}`))
  await expect(page.getByText('marketing-site')).toBeVisible()
  await page.screenshot({ path: screenshotPath('hM-dashboard-1440'), fullPage: true })

  await page.setViewportSize({ width: 390, height: 844 })
  await page.reload()
  await openTables(page)
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await page.screenshot({ path: screenshotPath('hM-dashboard-390'), fullPage: true })

  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(`/projects/${project.id}`)
  await expect(page.getByRole('tab', { name: 'Overview' })).toHaveAttribute('aria-selected', 'true')
  await openTables(page)
  // A 30-day range from the presets: the daily table has 30 rows.
  await page.getByRole('button', { name: '30 days' }).click()
  const daily = page.locator('figure', { has: page.locator('caption', { hasText: 'Open findings by severity at the end of each day' }) })
  await daily.getByText('Show as table').click()
  await expect(daily.locator('tbody tr')).toHaveCount(30)
  await page.screenshot({ path: screenshotPath('hM-project-overview-1440'), fullPage: true })

  await page.setViewportSize({ width: 390, height: 844 })
  await page.reload()
  await openTables(page)
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await page.screenshot({ path: screenshotPath('hM-project-overview-390'), fullPage: true })
})
