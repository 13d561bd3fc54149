// A finding you can act on: after a real Semgrep and Checkov scan of the sample project, the
// finding page shows numbered code around the flagged lines (Checkov's included, whose report
// has no code), the rule's documentation links, the tool's raw fields as tool details, and on
// a phone the page does not scroll sideways.
import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { screenshotPath, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

interface FindingRow {
  id: number
  rule_id: string
  file_path: string
  line_start: number | null
}

async function scannedProject(api: APIRequestContext, owner: string): Promise<FindingRow[]> {
  await registerUser(api, owner)
  const headers = await apiKeyHeaders(api, owner)
  const post = async (path: string, data: object) => {
    const response = await api.post(`/api/v1${path}`, { data, headers })
    expect(response.ok(), `${path}: ${await response.text()}`).toBeTruthy()
    return response.json()
  }
  const project = await post('/projects/', { name: uniqueName('Actionable ') })
  const target = await post(`/projects/${project.id}/targets/`, { name: 'app', asset_type: 'codebase_path', identifier: SAMPLE_PROJECT })
  const config = await post(`/projects/${project.id}/scan-configurations/`, {
    name: 'Semgrep and Checkov',
    targets: [target.id],
    tools: [
      { tool: 'semgrep', overrides: {} },
      { tool: 'checkov', overrides: {} },
    ],
  })
  const scan = await post(`/projects/${project.id}/scan-configurations/${config.id}/start/`, {})
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 170_000 })
    .toBe('completed')
  const listed = await api.get(`/api/v1/findings/?project=${project.id}&page_size=200`, { headers })
  expect(listed.ok()).toBeTruthy()
  return (await listed.json()).results as FindingRow[]
}

async function noSidewaysScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }))
  expect(widths.scroll, `page is ${widths.scroll}px wide in a ${widths.inner}px window`).toBeLessThanOrEqual(widths.inner)
}

test('a finding page shows highlighted code, documentation links and fits a phone', async ({ page, baseURL }) => {
  const owner = uniqueName('actor')
  const api = await request.newContext({ baseURL })
  const findings = await scannedProject(api, owner)
  await api.dispose()
  const sql = findings.find((f) => f.rule_id === 'python-sql-string-formatting')
  const checkov = findings.find((f) => f.rule_id.startsWith('CKV_') && f.file_path.endsWith('.tf') && f.line_start)
  expect(sql, 'the SQL injection Semgrep finds in the sample').toBeTruthy()
  expect(checkov, 'a Checkov finding in the sample’s Terraform').toBeTruthy()

  await page.setViewportSize({ width: 1440, height: 900 })
  await signIn(page, owner)

  await test.step('Semgrep: code with line numbers, the flagged line marked, the rule’s docs', async () => {
    await page.goto(`/findings/${sql!.id}`)
    const code = page.getByTestId('code-context')
    await expect(code).toBeVisible()
    const flagged = code.locator('[data-flagged="true"]')
    await expect(flagged.first()).toHaveAttribute('data-line', String(sql!.line_start))
    await expect(flagged.first()).toContainText('execute')
    // Lines around the flagged one, numbered.
    await expect(code.locator(`[data-line="${sql!.line_start! - 1}"]`)).toBeVisible()
    await expect(code).toContainText(`Line ${sql!.line_start} flagged`)
    // The flagged line stands out from the others.
    const [flaggedColour, plainColour] = await Promise.all([
      flagged.first().evaluate((el) => getComputedStyle(el).backgroundColor),
      code.locator(`[data-line="${sql!.line_start! - 1}"]`).evaluate((el) => getComputedStyle(el).backgroundColor),
    ])
    expect(flaggedColour).not.toBe(plainColour)

    const docs = page.getByTestId('finding-references')
    const cheatSheet = 'https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html'
    const link = docs.locator(`a[href="${cheatSheet}"]`)
    await expect(link).toBeVisible()
    expect(await link.evaluate((el) => el.tagName)).toBe('A')
    await expect(link).toHaveAttribute('target', '_blank')
    await expect(page.getByTestId('finding-remediation')).toContainText('query parameters')
    await expect(page.getByText('The tool gave no remediation advice')).toHaveCount(0)
    // A code tool's raw fields are tool details, not a request/response.
    await expect(page.getByTestId('finding-tool-details')).toContainText('Column start')
    await expect(page.getByText('Request / response')).toHaveCount(0)
    await page.screenshot({ path: screenshotPath('finding-page-1440'), fullPage: true })
  })

  await test.step('Checkov: its report has no code, the page shows it from the tree', async () => {
    await page.goto(`/findings/${checkov!.id}`)
    const code = page.getByTestId('code-context')
    await expect(code).toBeVisible()
    await expect(code.locator('[data-flagged="true"]').first()).toHaveAttribute('data-line', String(checkov!.line_start))
    const docs = page.getByTestId('finding-references')
    await expect(docs.locator('a[href^="https://www.checkov.io/5.Policy%20Index/terraform.html"]')).toBeVisible()
  })

  await test.step('on a phone the page keeps its width; long lines scroll inside the code', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`/findings/${sql!.id}`)
    await expect(page.getByTestId('code-context')).toBeVisible()
    await page.waitForLoadState('networkidle')
    await noSidewaysScroll(page)
    const block = page.getByTestId('code-context').locator('pre')
    const overflow = await block.evaluate((el) => getComputedStyle(el).overflowX)
    expect(['auto', 'scroll']).toContain(overflow)
    await page.screenshot({ path: screenshotPath('finding-page-390'), fullPage: true })
    await page.goto(`/findings/${checkov!.id}`)
    await expect(page.getByTestId('code-context')).toBeVisible()
    await page.waitForLoadState('networkidle')
    await noSidewaysScroll(page)
  })
})
