// Report import and compare in a real browser against the real backend and worker: a member
// drops a real Semgrep report on the project page (default branch), then picks a changed copy
// of it with the file input for a feature branch, watches both scans finish, and compares the
// branch with main: exactly the planted finding is new, exactly the removed one is fixed.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

import { expect, request, test, type Page } from '@playwright/test'

import { BACKEND_DIR } from './backend'
import { screenshotPath, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

const SAMPLE = join(BACKEND_DIR, 'apps', 'tools', 'tests', 'samples', 'semgrep', 'many.json')

interface SemgrepResult {
  check_id: string
  path: string
  start: { line: number; col: number; offset?: number }
  end: { line: number; col: number; offset?: number }
  extra: { message: string; severity: string; lines?: string; [key: string]: unknown }
}

/** The branch's report: the sample without its `js-innerhtml` result, plus one new ERROR. */
function branchReport(main: { results: SemgrepResult[] }): { results: SemgrepResult[]; [key: string]: unknown } {
  const kept = main.results.filter((result) => !result.check_id.endsWith('js-innerhtml'))
  expect(kept).toHaveLength(main.results.length - 1)
  const template = main.results.find((result) => result.check_id.endsWith('python-eval-exec'))!
  const planted: SemgrepResult = {
    ...template,
    path: '/scan/root/python/new_feature.py',
    start: { line: 7, col: 5 },
    end: { line: 7, col: 30 },
    extra: { ...template.extra, lines: 'eval(request.args["expr"])' },
  }
  return { ...main, results: [...kept, planted] }
}

/** Open a select and click an option of its menu (the open one: several selects of the form
 * keep their menus in the page). */
async function choose(page: Page, testId: string, option: string): Promise<void> {
  await page.getByTestId(testId).click()
  await page.locator('.n-base-select-menu:visible').getByText(option, { exact: true }).click()
}

/** The format list is long (and virtual): type to filter it, then pick, as a person would. */
async function pickFormat(page: Page, name: string): Promise<void> {
  await page.getByTestId('import-format').click()
  await page.locator('#import-format').fill(name)
  await page.locator('.n-base-select-menu:visible').getByText(name, { exact: true }).click()
}

async function openImport(page: Page): Promise<void> {
  await page.getByTestId('import-report').click()
  await expect(page.getByRole('dialog')).toBeVisible()
  // The formats come from the server, each saying what it expects.
  await expect(page.getByTestId('import-format')).toBeVisible()
}

test('import a Semgrep report by drag and drop, a branch report by file input, and compare them', async ({ page, baseURL }) => {
  const owner = uniqueName('importer')
  const api = await request.newContext({ baseURL })
  await registerUser(api, owner)
  const headers = await apiKeyHeaders(api, owner)
  const created = await api.post('/api/v1/projects/', { data: { name: uniqueName('Imports ') }, headers })
  expect(created.status(), await created.text()).toBe(201)
  const project = (await created.json()) as { id: number; name: string }
  await api.dispose()

  const mainText = await readFile(SAMPLE, 'utf8')
  const mainReport = JSON.parse(mainText) as { results: SemgrepResult[] }
  await signIn(page, owner)
  await page.goto(`/projects/${project.id}`)

  let mainScanUrl = ''
  await test.step('drop the report on the import area, see what the formats expect', async () => {
    await openImport(page)
    const dataTransfer = await page.evaluateHandle((text) => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([text], 'many.json', { type: 'application/json' }))
      return transfer
    }, mainText)
    await page.getByTestId('import-drop').dispatchEvent('drop', { dataTransfer })
    await expect(page.getByTestId('import-chosen')).toContainText('many.json')

    await pickFormat(page, 'SecuLite generic JSON')
    await expect(page.getByTestId('generic-schema-link')).toHaveAttribute('href', '/api/v1/imports/formats/generic/schema/')
    await pickFormat(page, 'Semgrep JSON')
    await expect(page.getByTestId('import-format-help')).toContainText('semgrep --json')

    // No target yet: "New target" is preselected.
    await page.getByLabel("New target's name").fill('shop')
    await page.getByLabel('Repository URL').fill('https://git.example.com/acme/shop.git')
    await page.screenshot({ path: screenshotPath('import-modal'), fullPage: false })
  })

  await test.step('a malformed commit is refused at its field, in view', async () => {
    await page.getByLabel('Commit (optional)').fill('not-a-commit')
    await page.getByTestId('import-submit').click()
    const commitItem = page.locator('.n-form-item').filter({ has: page.getByLabel('Commit (optional)') })
    const feedback = commitItem.locator('.n-form-item-feedback--error')
    await expect(feedback).toBeVisible()
    await expect(feedback).toBeInViewport()
    await expect(page).toHaveURL(new RegExp(`/projects/${project.id}`))
    await page.getByLabel('Commit (optional)').fill('')
  })

  await test.step('import it for the default branch and watch the scan finish', async () => {
    await page.getByTestId('import-submit').click()
    await expect(page).toHaveURL(/\/scans\/\d+$/)
    mainScanUrl = page.url()
    await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', 'completed', { timeout: 120_000 })
    await expect(page.getByTestId('scan-trigger')).toContainText('Import')
    await expect(page.getByTestId('scan-report-name')).toHaveText('many.json')
    await expect(page.getByTestId('scan-report-format')).toHaveText('Semgrep JSON')
    await expect(page.getByTestId('default-branch-tag')).toBeVisible()
    await expect(page.getByTestId('scan-summary')).toContainText('new')
  })

  await test.step('import the branch report with the file input', async () => {
    await page.goto(`/projects/${project.id}`)
    await openImport(page)
    await page.getByTestId('import-file').setInputFiles({
      name: 'semgrep-feature.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(branchReport(mainReport))),
    })
    // The name says which tool wrote it: the format is picked already.
    await expect(page.getByTestId('import-format-help')).toContainText('semgrep --json')
    // The server's 400 shows at its field: "shop" exists with another type.
    await choose(page, 'import-target', 'New target…')
    await page.getByLabel("New target's name").fill('shop')
    await choose(page, 'import-target-type', 'URL')
    await page.getByLabel('URL', { exact: true }).fill('https://shop.example.com/')
    await page.getByTestId('import-submit').click()
    const typeItem = page.locator('.n-form-item').filter({ has: page.getByTestId('import-target-type') })
    await expect(typeItem.locator('.n-form-item-feedback--error')).toContainText('git_repository')
    await expect(typeItem.locator('.n-form-item-feedback--error')).toBeInViewport()
    await expect(page.getByTestId('import-error')).toBeVisible()
    await choose(page, 'import-target', 'shop (Git repository)')
    await page.getByLabel('Ref (optional)').fill('feature/login')
    await page.getByLabel('Commit (optional)').fill('abcdef1234567')
    await page.getByTestId('import-submit').click()
    await expect(page).toHaveURL(/\/scans\/\d+$/)
    await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', 'completed', { timeout: 120_000 })
    const scanRef = page.getByTestId('scan-ref').first()
    await expect(scanRef).toContainText('feature/login')
    await expect(scanRef).toContainText('abcdef1')
    await expect(scanRef.getByTestId('default-branch-tag')).toHaveCount(0)
  })

  await test.step('compare the branch with main: one new, one fixed', async () => {
    await page.getByTestId('compare-link').click()
    await expect(page).toHaveURL(/\/scans\/\d+\/compare$/)
    await expect(page.getByTestId('compare-title')).toContainText('compared with main')
    await expect(page.getByTestId('count-new')).toHaveText('1')
    await expect(page.getByTestId('count-fixed')).toHaveText('1')
    await expect(page.getByTestId('count-unchanged')).not.toHaveText('0')
    const newRows = page.getByTestId('compare-new').locator('tbody tr')
    await expect(newRows).toHaveCount(1)
    await expect(newRows.first()).toContainText('new_feature.py:7')
    await expect(newRows.first().getByTestId('branch-only')).toBeVisible()
    const fixedRows = page.getByTestId('compare-fixed').locator('tbody tr')
    await expect(fixedRows).toHaveCount(1)
    await expect(fixedRows.first()).toContainText('ui.js')
    await expect(page.getByTestId('compare-base-scan-info')).toContainText(`#${mainScanUrl.split('/').pop()}`)
    await page.screenshot({ path: screenshotPath('compare'), fullPage: true })

    // The new finding opens from the compare view.
    await newRows.first().locator('a.title').click()
    await expect(page).toHaveURL(/\/findings\/\d+$/)
    await expect(page.getByTestId('branch-only')).toBeVisible()
    await page.goBack()
  })

  await test.step('a base without a completed scan: everything is new', async () => {
    await page.getByLabel('Base ref').fill('develop')
    await page.getByTestId('compare-submit').click()
    await expect(page).toHaveURL(/compare\?base=develop$/)
    await expect(page.getByTestId('compare-no-base')).toContainText('No completed scan of develop yet: everything is new.')
    await expect(page.getByTestId('count-fixed')).toHaveText('0')
  })

  await test.step('the scans tab lists both imports with their reports and refs', async () => {
    await page.goto(`/projects/${project.id}?tab=scans`)
    const rows = page.getByTestId('scans-table').locator('tbody tr[data-trigger="import"]')
    await expect(rows).toHaveCount(2)
    await expect(rows.filter({ hasText: 'semgrep-feature.json' })).toContainText('feature/login')
    await expect(rows.filter({ hasText: 'many.json · Semgrep JSON' }).getByTestId('default-branch-tag')).toBeVisible()
  })
})
