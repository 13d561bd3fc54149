// The main journey, in a real browser against the real backend and a real worker running
// Semgrep and Bandit on the sample vulnerable project.
import { readFile } from 'node:fs/promises'

import { expect, test } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { PASSWORD, choose, screenshotPath, uniqueName } from './helpers'
import { ACTIVATION_LINK, linkTo } from './mail'

test('register, scan the sample project, triage a finding, filter, sign out', async ({ page }) => {
  const username = uniqueName('alice')

  await test.step('register', async () => {
    await page.goto('/register')
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Email').fill(`${username}@example.com`)
    await page.getByLabel('First name').fill('Alice')
    await page.getByLabel('Last name').fill('Example')
    // The server's password rules show at the field.
    await page.getByLabel('Password (12+ characters)').fill('short')
    await page.getByLabel('Repeat the password').fill('short')
    await page.getByTestId('register-submit').click()
    await expect(page.locator('.n-form-item-feedback--error, .n-form-item-feedback-wrapper').filter({ hasText: /too short|at least 12/i }).first()).toBeVisible()
    await page.getByLabel('Password (12+ characters)').fill(PASSWORD)
    await page.getByLabel('Repeat the password').fill(PASSWORD)
    await page.getByTestId('register-submit').click()
    // The answer is the same for every address; the activation link comes by email.
    await expect(page.getByTestId('register-sent')).toContainText('We sent an email')
    const link = new URL(await linkTo(`${username}@example.com`, ACTIVATION_LINK))
    await page.goto(`${link.pathname}${link.search}`)
    await expect(page.getByTestId('activation-done')).toContainText('Your account is active')
    await page.getByRole('link', { name: 'Sign in' }).first().click()
    await expect(page).toHaveURL(/\/login/)
  })

  await test.step('sign in', async () => {
    await page.getByLabel('Username or email').fill(username)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByTestId('login-submit').click()
    await expect(page.getByTestId('dashboard')).toBeVisible()
    await expect(page.getByTestId('signed-in-as')).toContainText('Alice')
  })

  const projectName = uniqueName('Shop ')
  await test.step('create a project', async () => {
    await page.getByRole('link', { name: 'Projects' }).click()
    await page.getByTestId('new-project').click()
    await page.getByLabel('Name', { exact: true }).fill(projectName)
    await page.getByTestId('create-project').click()
    await expect(page.getByTestId('project-title')).toHaveText(projectName)
  })

  await test.step('add the sample project as a codebase target', async () => {
    await page.getByTestId('add-target').click()
    await choose(page, page.getByTestId('target-type'), 'Local codebase path')
    await page.getByLabel('Name', { exact: true }).fill('vulnerable-app')
    await page.getByLabel('Absolute path on the worker').fill(SAMPLE_PROJECT)
    await page.getByTestId('save-target').click()
    await expect(page.getByTestId('targets-table')).toContainText('vulnerable-app')
  })

  await test.step('create a configuration with Semgrep and Bandit and run it', async () => {
    await page.getByRole('tab', { name: 'Scan configurations' }).click()
    await page.getByTestId('new-configuration').click()
    await page.getByLabel('Name', { exact: true }).fill('Code checks')
    await choose(page, page.getByTestId('config-targets'), 'vulnerable-app (Local codebase path)')
    await page.keyboard.press('Escape')
    await page.locator('[data-tool="semgrep"] .n-checkbox').click()
    await page.locator('[data-tool="bandit"] .n-checkbox').click()
    // Each tool's options are a form generated from its schema.
    await expect(page.locator('[data-tool="bandit"] [data-field="severity_level"]')).toBeVisible()
    await expect(page.locator('[data-tool="semgrep"] [data-field="rulesets"]')).toBeVisible()
    await page.getByTestId('save-and-run').click()
    await expect(page).toHaveURL(/\/scans\/\d+$/)
  })

  await test.step('watch the scan finish without reloading', async () => {
    const url = page.url()
    await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', 'completed', { timeout: 170_000 })
    expect(page.url()).toBe(url)
    const results = page.getByTestId('tool-results')
    await expect(results.locator('tr[data-tool="Semgrep"] [data-status]')).toHaveAttribute('data-status', /completed|no_findings/)
    await expect(results.locator('tr[data-tool="Bandit"] [data-status]')).toHaveAttribute('data-status', /completed|no_findings/)
    await expect(page.getByTestId('scan-summary')).toContainText('new')
    await page.screenshot({ path: screenshotPath('scan-page'), fullPage: true })
  })

  await test.step('open a high-severity finding and mark it a false positive', async () => {
    const high = page.locator('[data-testid="findings-table"] tr').filter({ has: page.locator('[data-severity="high"]') }).first()
    await expect(high).toBeVisible()
    const title = (await high.locator('a.title').textContent())?.trim() ?? ''
    await high.locator('a.title').click()
    await expect(page.getByTestId('finding-title')).toHaveText(title)
    await expect(page.locator('[data-severity="high"]').first()).toBeVisible()

    await choose(page, page.getByTestId('status-select'), 'False positive')
    await page.getByTestId('status-submit').click()
    await expect(page.getByTestId('status-form')).toContainText('Say why this finding is a false positive')
    await page.getByLabel('Reason (required)').fill('Test fixture, never deployed.')
    await page.getByTestId('status-submit').click()
    await expect(page.locator('[data-status="false_positive"]').first()).toBeVisible()

    const history = page.getByTestId('finding-history')
    await expect(history).toContainText('changed the status from New to False positive')
    await expect(history).toContainText('Test fixture, never deployed.')
  })

  await test.step('the dashboard shows the results', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click()
    await expect(page.getByTestId('recent-scans')).toContainText('Code checks')
    // The new-vs-resolved chart first; the metrics' charts follow it.
    await expect(page.locator('canvas').first()).toBeVisible()
    await page.screenshot({ path: screenshotPath('dashboard'), fullPage: true })
  })

  await test.step('filter the findings list by severity', async () => {
    await page.getByRole('link', { name: 'Findings' }).click()
    await expect(page.getByTestId('issue-groups-table')).toBeVisible()
    await page.getByTestId('view-flat').click()
    await expect(page.getByTestId('findings-table')).toBeVisible()
    await choose(page, page.getByTestId('filter-severity'), 'High')
    await page.keyboard.press('Escape')
    await expect(page).toHaveURL(/severity=high/)
    const rows = page.locator('[data-testid="findings-table"] tbody tr')
    await expect(rows.first()).toBeVisible()
    const severities = await rows.locator('[data-severity]').evaluateAll((els) => els.map((el) => el.getAttribute('data-severity')))
    expect(severities.length).toBeGreaterThan(0)
    expect(new Set(severities)).toEqual(new Set(['high']))
    // The CSV export follows the filter: every high finding, and only those.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('findings-export').getByRole('link', { name: 'CSV' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^seculite-findings-.*\.csv$/)
    const [header, ...lines] = (await readFile(await download.path(), 'utf-8')).trim().split('\r\n')
    expect(header.split(',').slice(0, 4)).toEqual(['id', 'project', 'project_id', 'severity'])
    expect(new Set(lines.map((line) => line.split(',')[3]))).toEqual(new Set(['high']))
    await expect(page.getByTestId('findings-count')).toHaveText(`${lines.length} findings`)
    // The filter survives a reload: it lives in the URL.
    await page.reload()
    await expect(page.locator('[data-testid="findings-table"] tbody tr').first()).toBeVisible()
    await page.screenshot({ path: screenshotPath('findings-list'), fullPage: true })
  })

  await test.step('sign out', async () => {
    await page.getByTestId('sign-out').click()
    await expect(page).toHaveURL(/\/login/)
    await page.goto('/findings?severity=high')
    await expect(page).toHaveURL(/\/login\?next=/)
    // Signing in again leads back to the page that asked for it.
    await page.getByLabel('Username or email').fill(username)
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByTestId('login-submit').click()
    await expect(page).toHaveURL(/\/findings\?severity=high$/)
    await page.getByTestId('sign-out').click()
    await expect(page).toHaveURL(/\/login/)
  })
})
