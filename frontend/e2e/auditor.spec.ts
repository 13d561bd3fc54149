// An auditor reads everything in a project and finds no control that would change it.
import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { signIn, uniqueName } from './helpers'
import { acceptInvitation, apiKeyHeaders, registerUser } from './mail'

const WRITE_WORDS =
  /\b(add|new|save|delete|remove|run|clone|cancel scan|edit|create|invite|revoke|comment|assign|apply status|set status|change status)\b/i

/** Visible buttons and links that would change data, by their accessible text. The findings
 * filter bar is left out: filtering, and saving a view of one's own, change no project's data. */
async function writeControls(page: Page): Promise<string[]> {
  const labels = await page
    .locator('main button:visible:not([role="tab"]), main [role="button"]:visible, main a:visible')
    .evaluateAll((els) =>
      els.filter((el) => !el.closest('form[aria-label="Filter findings"]')).map((el) => (el.getAttribute('aria-label') || el.textContent || '').trim()),
    )
  return labels.filter((label) => WRITE_WORDS.test(label))
}

async function setUp(api: APIRequestContext, baseURL: string | undefined) {
  const owner = uniqueName('owner')
  const auditor = uniqueName('auditor')
  for (const username of [owner, auditor]) await registerUser(api, username)
  const headers = await apiKeyHeaders(api, owner)
  const post = async (path: string, data: object) => {
    const response = await api.post(`/api/v1${path}`, { data, headers })
    expect(response.ok(), `${path}: ${await response.text()}`).toBeTruthy()
    return response.json()
  }
  const project = await post('/projects/', { name: uniqueName('Audited ') })
  const target = await post(`/projects/${project.id}/targets/`, { name: 'app', asset_type: 'codebase_path', identifier: SAMPLE_PROJECT })
  await post(`/projects/${project.id}/target-groups/`, { name: 'all', targets: [target.id] })
  const config = await post(`/projects/${project.id}/scan-configurations/`, { name: 'Bandit only', targets: [target.id], tools: [{ tool: 'bandit', overrides: {} }] })
  const scan = await post(`/projects/${project.id}/scan-configurations/${config.id}/start/`, {})
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 120_000 })
    .toBe('completed')
  await post(`/projects/${project.id}/members/`, { email: `${auditor}@example.com`, role: 'auditor' })
  // A plain member of an organization (which owns no project here) reads it but changes nothing.
  const organization = await post('/organizations/', { name: uniqueName('Audited org ') })
  await post(`/organizations/${organization.id}/members/`, { email: `${auditor}@example.com`, role: 'member' })
  // Invited by email, the auditor joins both by accepting the links with their own account.
  const auditorApi = await request.newContext({ baseURL })
  await acceptInvitation(auditorApi, auditor, 'project')
  await acceptInvitation(auditorApi, auditor)
  await auditorApi.dispose()
  const findings = await (await api.get(`/api/v1/findings/?project=${project.id}`, { headers })).json()
  expect(findings.count).toBeGreaterThan(0)
  return { auditor, project, config, scan, organization, finding: findings.results[0] }
}

test('an auditor finds no control that changes data', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const world = await setUp(api, baseURL)
  await api.dispose()

  await signIn(page, world.auditor)

  await page.goto(`/projects/${world.project.id}`)
  await expect(page.getByTestId('project-role')).toHaveText('auditor')
  for (const tab of ['Targets', 'Target groups', 'Members', 'Scan configurations', 'Scans', 'Findings']) {
    await page.getByRole('tab', { name: tab }).click()
    await expect(page.getByRole('tabpanel')).not.toContainText('Loading')
    await page.waitForLoadState('networkidle')
    expect(await writeControls(page), `${tab} tab`).toEqual([])
  }
  await expect(page.locator('[data-testid="findings-table"] input[type="checkbox"]')).toHaveCount(0)
  // Besides the filters, only the page-size picker of the pager is a select here.
  await expect(page.locator('main .n-select:not(.n-select--disabled):not(.pager .n-select):not(form[aria-label="Filter findings"] .n-select)')).toHaveCount(0)

  await page.goto(`/projects/${world.project.id}/configurations/${world.config.id}`)
  await expect(page.getByText('You can read this configuration')).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(await writeControls(page), 'configuration page').toEqual([])
  await expect(page.locator('main input:not([disabled]):not([type="date"]):not([type="datetime-local"])')).toHaveCount(0)

  await page.goto(`/scans/${world.scan.id}`)
  await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', 'completed')
  await page.waitForLoadState('networkidle')
  expect(await writeControls(page), 'scan page').toEqual([])
  await expect(page.locator('[data-testid="findings-table"] input[type="checkbox"]')).toHaveCount(0)

  await page.goto(`/findings/${world.finding.id}`)
  await expect(page.getByTestId('finding-title')).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(await writeControls(page), 'finding page').toEqual([])
  await expect(page.getByTestId('status-form')).toHaveCount(0)
  await expect(page.locator('main textarea')).toHaveCount(0)

  await page.goto('/findings')
  await expect(page.getByTestId('issue-groups-table')).toBeVisible()
  await expect(page.getByTestId('group-triage')).toHaveCount(0)
  await page.getByTestId('view-flat').click()
  await expect(page.getByTestId('findings-table')).toBeVisible()
  await expect(page.locator('[data-testid="findings-table"] input[type="checkbox"]')).toHaveCount(0)
  await expect(page.getByTestId('bulk-bar')).toHaveCount(0)

  await page.goto(`/organizations/${world.organization.id}`)
  await expect(page.getByTestId('organization-role')).toHaveText('member')
  await expect(page.getByTestId('organization-members')).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(await writeControls(page), 'organization page').toEqual([])
  await expect(page.locator('main .n-select, main input')).toHaveCount(0)

  // Staff pages are not offered, and their addresses lead back to the dashboard.
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0)
  await page.goto('/manage/users')
  await expect(page.getByTestId('dashboard')).toBeVisible()
})
