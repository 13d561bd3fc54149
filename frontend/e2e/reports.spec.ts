// Reports in a real browser against the real worker: generate a project's PDF report on the
// Reports tab, wait until the worker has made it, download it (a PDF); add a schedule; and a
// scan's report from the scan page. Screenshots at 1440 and 390 px.
import { readFileSync } from 'node:fs'

import { expect, request, test, type Page } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { screenshotPath, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

function semgrepReport(count: number): string {
  const results = Array.from({ length: count }, (_, i) => ({
    check_id: `e2e.rules.report-${i % 4}`,
    path: `src/shop${i % 5}.py`,
    start: { line: i + 1, col: 1 },
    end: { line: i + 1, col: 20 },
    extra: { message: `Report finding ${i}`, severity: ['ERROR', 'WARNING', 'INFO'][i % 3], lines: `query_${i}(user_input)`, metadata: { cwe: ['CWE-89: x'] } },
  }))
  return JSON.stringify({ version: '1.85.0', errors: [], results })
}

async function download(page: Page, testId: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()])
  return readFileSync(await file.path())
}

test('a project report is generated as PDF, downloaded, and scheduled; a scan has its report', async ({ page, baseURL }) => {
  const owner = uniqueName('reports')
  const api = await request.newContext({ baseURL })
  await registerUser(api, owner)
  const headers = await apiKeyHeaders(api, owner)
  const project = await (await api.post('/api/v1/projects/', { data: { name: uniqueName('Report shop ') }, headers })).json()
  const imported = await api.post(`/api/v1/projects/${project.id}/imports/`, {
    headers,
    multipart: {
      format: 'semgrep', target_name: 'shop', target_type: 'codebase_path', target_identifier: SAMPLE_PROJECT,
      file: { name: 'semgrep.json', mimeType: 'application/json', buffer: Buffer.from(semgrepReport(12)) },
    },
  })
  expect(imported.status(), await imported.text()).toBe(202)
  const scan = await imported.json()
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 120_000 })
    .toBe('completed')
  await api.dispose()

  await signIn(page, owner)
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(`/projects/${project.id}?tab=reports`)
  await expect(page.getByRole('tab', { name: 'Reports' })).toHaveAttribute('aria-selected', 'true')
  await page.getByTestId('generate-pdf').click()
  const row = page.getByTestId('reports-table').locator('tbody tr').first()
  await expect(row).toHaveAttribute('data-status', 'ready', { timeout: 120_000 })
  const reportId = await row.getAttribute('data-report')
  const pdf = await download(page, `download-${reportId}`)
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')

  await page.getByTestId('add-schedule').click()
  await page.getByTestId('schedule-recipients').locator('textarea').fill('not-an-address')
  await page.getByTestId('save-schedule').click()
  await expect(page.getByTestId('schedule-form').getByText('Enter a valid email address.')).toBeVisible()
  await page.getByTestId('schedule-recipients').locator('textarea').fill('security-lead@example.com\nciso@example.com')
  await page.getByTestId('save-schedule').click()
  await expect(page.getByTestId('schedules-table')).toContainText('security-lead@example.com, ciso@example.com')
  await expect(page.getByTestId('schedules-table')).toContainText('Weekly on Monday')
  await page.screenshot({ path: screenshotPath('hR-reports-1440'), fullPage: true })

  await page.setViewportSize({ width: 390, height: 844 })
  await page.reload()
  await expect(page.getByTestId('reports-table')).toBeVisible()
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
  await page.screenshot({ path: screenshotPath('hR-reports-390'), fullPage: true })

  await page.setViewportSize({ width: 1440, height: 900 })
  await page.goto(`/scans/${scan.id}`)
  await page.getByTestId('scan-report').click()
  await page.getByText('HTML report', { exact: true }).click()
  await expect(page.getByTestId('scan-report-download')).toBeVisible({ timeout: 120_000 })
  const html = (await download(page, 'scan-report-download')).toString('utf8')
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true)
  expect(html).toContain(`scan #${scan.id}`)
  await page.screenshot({ path: screenshotPath('hR-scan-report-1440') })
  await page.setViewportSize({ width: 390, height: 844 })
  await page.screenshot({ path: screenshotPath('hR-scan-report-390'), fullPage: true })
})
