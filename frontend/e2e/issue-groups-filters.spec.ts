// The grouped list with every filter, in a real browser: a project's findings tab grouped by
// issue (no project column) and switched to every finding; the grouped list narrowed by a rule
// and by a CWE to the one matching issue; the assignee filter picking another member of the
// project. Four imported Semgrep findings make three issues: two rules flag one SQL injection.
import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { choose, screenshotPath, signIn, uniqueName } from './helpers'
import { acceptInvitation, apiKeyHeaders, registerUser } from './mail'

const REPORT = [
  { rule: 'e2e.groups.sql-format', path: 'src/app/db.py', line: 10, severity: 'ERROR', cwe: 'CWE-89: SQL Injection', message: 'SQL built with string formatting' },
  { rule: 'e2e.groups.sql-concat', path: 'src/app/db.py', line: 10, severity: 'WARNING', cwe: 'CWE-89: SQL Injection', message: 'SQL built by concatenation' },
  { rule: 'e2e.groups.xss', path: 'src/app/web.py', line: 20, severity: 'WARNING', cwe: 'CWE-79: Cross-site Scripting', message: 'Unescaped output in a template' },
  { rule: 'e2e.groups.debug', path: 'src/app/settings.py', line: 3, severity: 'INFO', cwe: 'CWE-489: Active Debug Code', message: 'Debug mode left on' },
]

function semgrepReport(): string {
  const results = REPORT.map((finding) => ({
    check_id: finding.rule,
    path: finding.path,
    start: { line: finding.line, col: 1 },
    end: { line: finding.line, col: 40 },
    extra: { message: finding.message, severity: finding.severity, lines: 'flagged_call(user_input)', metadata: { cwe: [finding.cwe] } },
  }))
  return JSON.stringify({ version: '1.85.0', errors: [], results })
}

async function setUp(api: APIRequestContext, baseURL: string | undefined) {
  const owner = uniqueName('grouplead')
  const colleague = uniqueName('colleague')
  for (const username of [owner, colleague]) await registerUser(api, username)
  const headers = await apiKeyHeaders(api, owner)
  const post = async (path: string, data: object) => {
    const response = await api.post(`/api/v1${path}`, { data, headers })
    expect(response.ok(), `${path}: ${await response.text()}`).toBeTruthy()
    return response.json()
  }
  const project = await post('/projects/', { name: uniqueName('Filtered groups ') })
  const imported = await api.post(`/api/v1/projects/${project.id}/imports/`, {
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
  // The colleague joins as a member and is given the XSS finding.
  await post(`/projects/${project.id}/members/`, { email: `${colleague}@example.com`, role: 'member' })
  const colleagueApi = await request.newContext({ baseURL })
  await acceptInvitation(colleagueApi, colleague, 'project')
  await colleagueApi.dispose()
  const findings = (await (await api.get(`/api/v1/findings/?project=${project.id}`, { headers })).json()).results as Array<{ id: number; rule_id: string }>
  expect(findings).toHaveLength(4)
  const members = (await (await api.get(`/api/v1/projects/${project.id}/members/`, { headers })).json()).results as Array<{ user: { id: number; username: string } }>
  const colleagueId = members.find((m) => m.user.username === colleague)?.user.id
  const xss = findings.find((f) => f.rule_id === 'e2e.groups.xss')
  await post(`/findings/${xss?.id}/assign/`, { assignee: colleagueId })
  return { owner, colleague, colleagueId, project }
}

const groupRows = (page: Page) => page.locator('[data-testid="issue-groups-table"] tr[data-group-id]')
const findingRows = (page: Page) => page.locator('[data-testid="findings-table"] tbody tr')

test('grouped lists take every filter: the project tab, a rule, a CWE, another member', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const world = await setUp(api, baseURL)
  await api.dispose()
  await signIn(page, world.owner)
  await page.setViewportSize({ width: 1440, height: 900 })

  await test.step('the project’s findings tab shows its issues, and switches to every finding', async () => {
    await page.goto(`/projects/${world.project.id}?tab=findings`)
    await expect(groupRows(page)).toHaveCount(3)
    await expect(page.getByTestId('view-grouped')).toHaveAttribute('aria-pressed', 'true')
    const sql = groupRows(page).filter({ hasText: 'src/app/db.py:10' })
    await expect(sql).toContainText('2 findings')
    await expect(page.locator('[data-testid="issue-groups-table"] > thead th')).not.toContainText(['Project'])
    await sql.getByTestId('group-expand').click()
    await expect(page.locator('[data-testid="group-members"] tbody tr')).toHaveCount(2)
    await page.screenshot({ path: screenshotPath('project-tab-grouped-1440'), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.screenshot({ path: screenshotPath('project-tab-grouped-390'), fullPage: true })
    await page.setViewportSize({ width: 1440, height: 900 })

    await page.getByTestId('view-flat').click()
    await expect(page).toHaveURL(/tab=findings/)
    await expect(page).toHaveURL(/view=flat/)
    await expect(findingRows(page)).toHaveCount(4)
    await expect(page.locator('[data-testid="findings-table"] thead th')).not.toContainText(['Project'])
    await page.getByTestId('view-grouped').click()
    await expect(groupRows(page)).toHaveCount(3)
  })

  await test.step('a rule, then a CWE, narrows the grouped list to the matching issue', async () => {
    await page.goto(`/findings?project=${world.project.id}`)
    await expect(groupRows(page)).toHaveCount(3)
    await page.getByLabel('Rule', { exact: true }).fill('e2e.groups.sql-concat')
    await page.getByLabel('Rule', { exact: true }).press('Enter')
    await expect(page).toHaveURL(/rule_id=e2e.groups.sql-concat/)
    await expect(groupRows(page)).toHaveCount(1)
    // The issue keeps its own summary: both rules' findings, the worst severity.
    await expect(groupRows(page).first()).toContainText('src/app/db.py:10')
    await expect(groupRows(page).first()).toContainText('2 findings')
    await expect(page.getByTestId('groups-ignored-filters')).toHaveCount(0)

    await page.getByLabel('Rule', { exact: true }).fill('')
    await page.getByLabel('CWE', { exact: true }).fill('CWE-79')
    await page.getByLabel('CWE', { exact: true }).press('Enter')
    await expect(page).toHaveURL(/cwe=CWE-79/)
    await expect(groupRows(page)).toHaveCount(1)
    await expect(groupRows(page).first()).toContainText('src/app/web.py:20')
    await groupRows(page).first().getByTestId('group-expand').click()
    await expect(page.locator('[data-testid="group-members"] tbody tr')).toHaveCount(1)
    await page.screenshot({ path: screenshotPath('grouped-filtered-expanded-1440'), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.screenshot({ path: screenshotPath('grouped-filtered-expanded-390'), fullPage: true })
    await page.setViewportSize({ width: 1440, height: 900 })
  })

  await test.step('the assignee filter offers another member and picks them', async () => {
    await page.goto(`/findings?project=${world.project.id}&view=flat`)
    await expect(findingRows(page)).toHaveCount(4)
    const assignee = page.getByTestId('filter-assignee')
    await assignee.click()
    const menu = page.locator('.n-base-select-menu').last()
    await expect(menu.getByText('Me', { exact: true })).toBeVisible()
    await expect(menu.getByText('Nobody', { exact: true })).toBeVisible()
    await expect(menu.getByText(world.colleague, { exact: true })).toBeVisible()
    await page.screenshot({ path: screenshotPath('flat-assignee-filter-open-1440'), fullPage: false })
    await page.keyboard.press('Escape')
    await choose(page, assignee, world.colleague)
    await expect(page).toHaveURL(new RegExp(`assignee=${world.colleagueId}`))
    await expect(findingRows(page)).toHaveCount(1)
    await expect(findingRows(page).first()).toContainText('e2e.groups.xss')
    await expect(findingRows(page).first()).toContainText(world.colleague)
    await page.getByTestId('view-grouped').click()
    await expect(groupRows(page)).toHaveCount(1)
    await expect(groupRows(page).first()).toContainText('src/app/web.py:20')

    await page.setViewportSize({ width: 390, height: 844 })
    await page.getByTestId('view-flat').click()
    await expect(findingRows(page)).toHaveCount(1)
    await page.getByTestId('more-filters').click()
    await page.getByTestId('filter-assignee').click()
    await expect(page.locator('.n-base-select-menu').last().getByText(world.colleague, { exact: true })).toBeVisible()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.screenshot({ path: screenshotPath('flat-assignee-filter-open-390'), fullPage: true })
  })
})
