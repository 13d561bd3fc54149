// The triage workflow in a real browser against the real backend and worker: due dates from
// the project's SLA at first sight and an overdue badge, the open/closed switch (whose default
// count is the dashboard's), dismissal in people's words, a risk acceptance that expires (the
// beat task's command reopens it and the assignee gets an email), and the findings list on a
// phone without sideways scrolling of the page.
import { readFileSync } from 'node:fs'

import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test'

import { SAMPLE_PROJECT, STATE_FILE, manageRunning, type BackendHandle } from './backend'
import { choose, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, mailsTo, registerUser } from './mail'

/** A Semgrep report: one high (ERROR), one medium (WARNING) and one low (INFO) finding. */
function semgrepReport(): string {
  const results = ['ERROR', 'WARNING', 'INFO'].map((severity, i) => ({
    check_id: `e2e.triage.rule-${severity.toLowerCase()}`,
    path: `src/triage/module_${i}.py`,
    start: { line: 3 + i, col: 1 },
    end: { line: 3 + i, col: 30 },
    extra: { message: `Triage finding ${severity}`, severity, lines: `dangerous_call_${i}(user_input)`, metadata: { cwe: ['CWE-89: SQL Injection'] } },
  }))
  return JSON.stringify({ version: '1.85.0', errors: [], results })
}

function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)
}

async function importReport(api: APIRequestContext, headers: Record<string, string>, projectId: number): Promise<void> {
  const imported = await api.post(`/api/v1/projects/${projectId}/imports/`, {
    headers,
    multipart: {
      format: 'semgrep',
      target_name: 'app',
      target_type: 'codebase_path',
      target_identifier: SAMPLE_PROJECT,
      file: { name: 'semgrep.json', mimeType: 'application/json', buffer: Buffer.from(semgrepReport()) },
    },
  })
  expect(imported.status(), await imported.text()).toBe(202)
  const scan = await imported.json()
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 120_000 })
    .toBe('completed')
}

const row = (page: Page, title: string) => page.locator('[data-testid="findings-table"] tbody tr').filter({ hasText: title })

test('triage: SLA due dates, overdue, open/closed, dismissal and an expiring risk acceptance', async ({ page, baseURL }) => {
  const owner = uniqueName('triager')
  const api = await request.newContext({ baseURL })
  await registerUser(api, owner)
  const headers = await apiKeyHeaders(api, owner)
  const created = await api.post('/api/v1/projects/', { data: { name: uniqueName('Triage ') }, headers })
  expect(created.ok(), await created.text()).toBeTruthy()
  const project = await created.json()
  await importReport(api, headers, project.id)
  const findings = (await (await api.get(`/api/v1/findings/?project=${project.id}`, { headers })).json()).results as Array<{ id: number; title: string }>
  const idOf = (title: string) => findings.find((f) => f.title === title)?.id ?? 0
  const high = 'Triage finding ERROR'
  const medium = 'Triage finding WARNING'
  const low = 'Triage finding INFO'

  await signIn(page, owner)

  await test.step('new findings are due by the SLA; one past its due date is overdue', async () => {
    // The tab's flat list (it shows issue groups unless view=flat).
    await page.goto(`/projects/${project.id}?tab=findings&view=flat`)
    await expect(row(page, high)).toContainText(day(30)) // high: 30 days by default
    await expect(row(page, low)).toContainText(day(180))
    await expect(row(page, high)).toContainText('CWE-89')
    await expect(row(page, high)).toContainText('e2e.triage.rule-error')
    await expect(page.getByTestId('overdue-badge')).toHaveCount(0)
    // Someone gave the medium finding a day that has passed.
    const assigned = await api.post(`/api/v1/findings/${idOf(medium)}/assign/`, { headers, data: { assignee: null, due_date: day(-3) } })
    expect(assigned.status(), await assigned.text()).toBe(200)
    await page.reload()
    await expect(row(page, medium).getByTestId('overdue-badge')).toBeVisible()
    await page.getByTestId('filter-overdue').click()
    await expect(page).toHaveURL(/overdue=true/)
    await expect(page.getByTestId('findings-count')).toHaveText('1 finding')
    await expect(row(page, medium)).toBeVisible()
    await row(page, medium).locator('a.title').click()
    await expect(page.getByTestId('finding-title')).toHaveText(medium)
    await expect(page.getByTestId('overdue-badge')).toContainText(`Overdue since ${day(-3)}`)
  })

  await test.step('dismiss a finding as used in tests: the open list no longer shows it', async () => {
    await page.goto(`/findings/${idOf(low)}`)
    await choose(page, page.getByTestId('status-select'), 'Used in tests')
    await page.getByLabel('Reason (required)').fill('Only the test fixtures call it.')
    await page.getByTestId('status-submit').click()
    await expect(page.getByTestId('dismissal')).toContainText('Dismissed: Used in tests')
    await expect(page.getByTestId('finding-history')).toContainText('Used in tests: Only the test fixtures call it.')

    await page.goto(`/findings?project=${project.id}&view=flat`)
    await expect(page.getByTestId('findings-count')).toHaveText('2 findings')
    await expect(row(page, low)).toHaveCount(0)
    await page.getByTestId('state-closed').click()
    await expect(page).toHaveURL(/state=closed/)
    await expect(page.getByTestId('findings-count')).toHaveText('1 finding')
    await expect(row(page, low)).toBeVisible()
    await page.getByTestId('state-all').click()
    await expect(page.getByTestId('findings-count')).toHaveText('3 findings')
    await page.getByTestId('state-open').click()
    await expect(page).not.toHaveURL(/state=/)
    await expect(page.getByTestId('findings-count')).toHaveText('2 findings')
    // The dashboard counts what the list shows by default.
    await page.getByRole('link', { name: 'Dashboard' }).click()
    await expect(page.getByTestId('open-total')).toHaveText('2')
  })

  await test.step('accept a risk until tomorrow; once it expires the finding reopens and the assignee is told', async () => {
    const self = (await (await api.get('/api/v1/auth/me/', { headers })).json()) as { id: number }
    expect((await api.post(`/api/v1/findings/${idOf(high)}/assign/`, { headers, data: { assignee: self.id } })).status()).toBe(200)
    await page.goto(`/findings/${idOf(high)}`)
    await choose(page, page.getByTestId('status-select'), 'Accepted risk')
    await page.getByLabel('Reason (required)').fill('Behind the VPN until the rewrite.')
    await page.getByTestId('accepted-until').fill(day(1))
    await page.getByTestId('status-submit').click()
    await expect(page.getByTestId('dismissal')).toContainText(`Dismissed: Accepted risk until ${day(1)}`)
    await expect(page.locator('[data-status="accepted_risk"]').first()).toBeVisible()

    // The beat task runs hourly; its command acts as of the day after the last accepted day.
    const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
    expect(manageRunning(backend, ['findings_expire_acceptances', '--today', day(2)])).toContain('1 finding(s) reopened')
    await page.reload()
    await expect(page.locator('[data-status="reopened"]').first()).toBeVisible()
    await expect(page.getByTestId('finding-history')).toContainText(`The risk acceptance expired after ${day(1)}.`)
    await expect
      .poll(() => mailsTo(`${owner}@example.com`).filter((mail) => mail.includes('Risk acceptance expired')).length, { timeout: 30_000 })
      .toBe(1)
  })

  await test.step('on a phone the findings list never scrolls the page sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    for (const path of ['/findings?view=flat', `/projects/${project.id}?tab=findings&view=flat`]) {
      await page.goto(path)
      await expect(page.getByTestId('findings-table')).toBeVisible()
      const widths = await page.evaluate(() => ({ scroll: document.scrollingElement?.scrollWidth ?? 0, inner: window.innerWidth }))
      expect(widths.scroll, `${path} is ${widths.scroll}px wide`).toBeLessThanOrEqual(widths.inner)
    }
  })
  await api.dispose()
})
