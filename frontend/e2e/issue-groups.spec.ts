// Issue groups in a real browser: Bandit and Semgrep (real runs on the sample project) report the
// same SQL injection; the findings list shows it as one issue with both tools, expands to both
// findings, and triaging the issue changes each finding, each with its own history entry.
import { expect, request, test } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { choose, screenshotPath, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

test('the grouped findings list: expand an issue, triage it, every finding follows', async ({ page, baseURL }) => {
  const owner = uniqueName('grouper')
  const api = await request.newContext({ baseURL })
  await registerUser(api, owner)
  const headers = await apiKeyHeaders(api, owner)
  const post = async (path: string, data: object) => {
    const response = await api.post(`/api/v1${path}`, { data, headers })
    expect(response.ok(), `${path}: ${await response.text()}`).toBeTruthy()
    return response.json()
  }
  const project = await post('/projects/', { name: uniqueName('Grouped ') })
  const target = await post(`/projects/${project.id}/targets/`, { name: 'app', asset_type: 'codebase_path', identifier: SAMPLE_PROJECT })
  const config = await post(`/projects/${project.id}/scan-configurations/`, {
    name: 'Python checks', targets: [target.id], tools: [{ tool: 'bandit', overrides: {} }, { tool: 'semgrep', overrides: {} }],
  })
  const scan = await post(`/projects/${project.id}/scan-configurations/${config.id}/start/`, {})
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 170_000 })
    .toMatch(/^completed/)
  await api.dispose()

  await signIn(page, owner)
  const sql = page.locator('[data-testid="issue-groups-table"] tr[data-group-id]').filter({ hasText: 'app/views.py:41' })

  await test.step('one row for the SQL injection both tools report', async () => {
    // Every state: a triaged issue leaves the default open list, and this one is triaged below.
    await page.goto(`/findings?project=${project.id}&state=all`)
    await expect(sql).toHaveCount(1)
    await expect(sql).toContainText('2 findings')
    await expect(sql.getByTestId('group-tool')).toHaveText(['bandit', 'semgrep'])
    await expect(sql.locator('[data-severity]').first()).toHaveAttribute('data-severity', 'high')
    // Fewer issues than findings: the list counts both.
    const issues = Number((await page.getByTestId('groups-count').textContent())?.match(/\d+/)?.[0])
    await page.getByTestId('view-flat').click()
    await expect(page.getByTestId('findings-table')).toBeVisible()
    const findings = Number((await page.getByTestId('findings-count').textContent())?.match(/\d+/)?.[0])
    expect(issues).toBeLessThan(findings)
    await page.getByTestId('view-grouped').click()
    await expect(sql).toHaveCount(1)
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.screenshot({ path: screenshotPath('issue-groups-1440'), fullPage: true })
  })

  const members = page.locator('[data-testid="group-members"] tbody tr')
  await test.step('expand it to its two findings', async () => {
    await sql.getByTestId('group-expand').click()
    await expect(members).toHaveCount(2)
    await expect(members.filter({ hasText: 'Bandit' })).toHaveCount(1)
    await expect(members.filter({ hasText: 'Semgrep' })).toHaveCount(1)
    await expect(members.locator('[data-status]')).toHaveText(['New', 'New'])
  })

  await test.step('triage the issue: both findings become false positives', async () => {
    await sql.getByTestId('group-triage').click()
    const form = page.getByTestId('group-triage-form')
    await choose(page, form.getByTestId('group-triage-status'), 'False positive')
    await form.getByTestId('group-triage-apply').click()
    await expect(form).toContainText('Give a reason for this status.')
    await form.getByLabel('Reason').fill('Parameterised by the ORM; the string is a log line.')
    await form.getByTestId('group-triage-apply').click()
    await expect(page.getByText('2 findings: 2 status changes')).toBeVisible()
    await expect(members.locator('[data-status]')).toHaveText(['False positive', 'False positive'])
    await expect(sql.locator('[data-status]')).toHaveAttribute('data-status', 'false_positive')
    await page.screenshot({ path: screenshotPath('issue-groups-triaged'), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: screenshotPath('issue-groups-390'), fullPage: true })
    await page.setViewportSize({ width: 1440, height: 900 })
  })

  await test.step('each finding has the change in its own history', async () => {
    for (const tool of ['Bandit', 'Semgrep']) {
      await members.filter({ hasText: tool }).locator('a').click()
      const history = page.getByTestId('finding-history')
      await expect(history).toContainText('changed the status from New to False positive')
      await expect(history).toContainText('Parameterised by the ORM; the string is a log line.')
      await page.goBack()
      await expect(sql).toHaveCount(1)
      if ((await members.count()) === 0) await sql.getByTestId('group-expand').click()
      await expect(members).toHaveCount(2)
    }
  })
})
