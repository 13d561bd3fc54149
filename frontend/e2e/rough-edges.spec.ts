// The web app's rough edges (issue 13, part 4), in a real browser against the real backend and
// worker: "Run again" shows the new scan, forms scroll to their first error, presets and
// target-type filtering, the organization choice, the phone layout, placeholders, the
// registration message and empty states with a next step.
import { readFileSync } from 'node:fs'

import { expect, request, test, type APIRequestContext, type Page } from '@playwright/test'

import { SAMPLE_PROJECT, STATE_FILE, manageRunning, type BackendHandle } from './backend'
import { PASSWORD, choose, signIn, uniqueName } from './helpers'
import { ACTIVATION_LINK, apiKeyHeaders, linkTo, registerUser } from './mail'

interface Seeded {
  username: string
  headers: Record<string, string>
  projectId: number
  targetId: number
  configurationId: number
  scanId: number
}

/** A user with a project, the sample project as a codebase target, a Bandit configuration and
 * one finished scan of it (all through the API, as a script would). */
async function seed(api: APIRequestContext): Promise<Seeded> {
  const username = uniqueName('rough')
  await registerUser(api, username)
  const headers = await apiKeyHeaders(api, username)
  const project = await (await api.post('/api/v1/projects/', { data: { name: uniqueName('Rough ') }, headers })).json()
  const target = await api.post(`/api/v1/projects/${project.id}/targets/`, {
    data: { name: 'vulnerable-app', asset_type: 'codebase_path', identifier: SAMPLE_PROJECT },
    headers,
  })
  expect(target.status(), await target.text()).toBe(201)
  const targetId = (await target.json()).id as number
  const configuration = await api.post(`/api/v1/projects/${project.id}/scan-configurations/`, {
    data: { name: 'Bandit only', targets: [targetId], tools: [{ tool: 'bandit', overrides: {} }] },
    headers,
  })
  expect(configuration.status(), await configuration.text()).toBe(201)
  const configurationId = (await configuration.json()).id as number
  const started = await api.post(`/api/v1/projects/${project.id}/scan-configurations/${configurationId}/start/`, { headers })
  expect(started.status(), await started.text()).toBeLessThan(300)
  const scanId = (await started.json()).id as number
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scanId}/status/`, { headers })).json()).status, { timeout: 120_000 })
    .toMatch(/^completed/)
  return { username, headers, projectId: project.id, targetId, configurationId, scanId }
}

test('"Run again" on a scan page shows the new scan without a reload', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const seeded = await seed(api)
  await api.dispose()

  await signIn(page, seeded.username)
  await page.goto(`/scans/${seeded.scanId}`)
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Scan #${seeded.scanId}`)
  await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', /^completed/)
  await page.getByTestId('rescan').click()

  await expect(page).not.toHaveURL(new RegExp(`/scans/${seeded.scanId}$`))
  const newId = Number(/\/scans\/(\d+)$/.exec(page.url())?.[1])
  expect(newId).toBeGreaterThan(seeded.scanId)
  // The page shows the new scan: its number, and it runs to its own end.
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Scan #${newId}`)
  await expect(page.getByRole('navigation', { name: 'Breadcrumb' })).toContainText(`Scan #${newId}`)
  await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', /^completed/, { timeout: 120_000 })
  await expect(page.getByTestId('scan-summary')).toContainText('0 new')
})

test('saving an incomplete configuration at the bottom of the form shows the first error in view', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const username = uniqueName('form')
  await registerUser(api, username)
  const headers = await apiKeyHeaders(api, username)
  const project = await (await api.post('/api/v1/projects/', { data: { name: uniqueName('Form ') }, headers })).json()
  await api.dispose()

  await page.setViewportSize({ width: 1280, height: 720 })
  await signIn(page, username)
  await page.goto(`/projects/${project.id}/configurations/new`)
  // Two tools with their option forms make the page several screens long.
  await page.locator('[data-tool="semgrep"] .n-checkbox').click()
  await page.locator('[data-tool="bandit"] .n-checkbox').click()
  const save = page.getByTestId('save-configuration')
  await save.scrollIntoViewIfNeeded()
  const name = page.getByLabel('Name', { exact: true })
  await expect(name).not.toBeInViewport()

  await save.click()
  const nameError = page.locator('.n-form-item').filter({ has: page.locator('#config-name') }).locator('.n-form-item-feedback--error')
  await expect(nameError).toBeVisible()
  await expect(nameError).toBeInViewport()
  await expect(name).toBeFocused()
})

test('the configuration editor filters tools by the kind of target and offers presets', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const seeded = await seed(api)
  await api.dispose()

  await signIn(page, seeded.username)
  await page.goto(`/projects/${seeded.projectId}/configurations/new`)
  const tools = page.getByTestId('tool-list')
  await expect(tools.locator('[data-tool="zap_baseline"]')).toBeVisible()
  await choose(page, page.getByTestId('config-targets'), 'vulnerable-app (Local codebase path)')
  await page.keyboard.press('Escape')

  // A codebase target: only code tools are listed, and the code presets are offered.
  await expect(page.getByTestId('tool-kind').locator('[data-kind="code"] input')).toBeChecked()
  await expect(tools.locator('[data-tool="zap_baseline"]')).toHaveCount(0)
  await expect(tools.locator('[data-tool="trivy_image"]')).toHaveCount(0)
  await expect(tools.locator('[data-tool="semgrep"]')).toBeVisible()
  await expect(page.getByTestId('tools-hidden')).toContainText('hidden')
  const presets = page.getByTestId('tool-presets')
  await expect(presets.locator('[data-preset="web-baseline"]')).toHaveCount(0)

  await presets.locator('[data-preset="code"]').click()
  for (const slug of ['semgrep', 'bandit']) {
    await expect(tools.locator(`[data-tool="${slug}"] .n-checkbox`)).toHaveAttribute('aria-checked', 'true')
  }
  await expect(page.locator('.n-message').filter({ hasText: 'Added' })).toContainText('Semgrep')

  // Another kind shows its own tools and presets; picked tools stay listed.
  await page.getByTestId('tool-kind').getByText(/^Web/).click()
  await expect(tools.locator('[data-tool="zap_baseline"]')).toBeVisible()
  await expect(tools.locator('[data-tool="semgrep"]')).toBeVisible()
  await expect(presets.locator('[data-preset="web-baseline"]')).toBeVisible()
})

test('a project is created in an organization and moved out of it again', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const username = uniqueName('orgowner')
  await registerUser(api, username)
  const headers = await apiKeyHeaders(api, username)
  const orgName = uniqueName('Acme ')
  const org = await api.post('/api/v1/organizations/', { data: { name: orgName }, headers })
  expect(org.status(), await org.text()).toBe(201)
  await api.dispose()

  await signIn(page, username)
  await page.goto('/projects')
  const projectName = uniqueName('Team app ')
  await page.getByTestId('new-project').first().click()
  await page.getByLabel('Name', { exact: true }).fill(projectName)
  await choose(page, page.getByTestId('project-organization'), orgName)
  await page.getByTestId('create-project').click()
  await expect(page.getByTestId('project-title')).toHaveText(projectName)
  await expect(page.getByTestId('project-owner')).toHaveText(orgName)

  await page.getByTestId('edit-project').click()
  await choose(page, page.getByTestId('project-organization'), 'Personal (yours)')
  await page.getByTestId('save-project').click()
  await expect(page.getByTestId('project-owner')).toHaveCount(0)
  await expect(page.getByTestId('project-role')).toHaveText('owner')
})

test('registration ends with a message on the sign-in page, and empty pages say what to do next', async ({ page }) => {
  const username = uniqueName('newbie')
  await page.goto('/register')
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Email').fill(`${username}@example.com`)
  await page.getByLabel('Password (12+ characters)').fill(PASSWORD)
  await page.getByLabel('Repeat the password').fill(PASSWORD)
  await page.getByTestId('register-submit').click()
  await expect(page.getByTestId('register-sent')).toContainText('sign in')
  const link = new URL(await linkTo(`${username}@example.com`, ACTIVATION_LINK))
  await page.goto(`${link.pathname}${link.search}`)
  await page.getByTestId('activation-done').getByRole('link', { name: 'Sign in' }).click()
  await expect(page.getByTestId('login-activated')).toContainText('Your account is ready')

  await page.getByLabel('Username or email').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByTestId('login-submit').click()
  await expect(page.getByTestId('dashboard')).toBeVisible()

  // No projects: the empty list offers to create one, and the new project's empty tabs lead on.
  await page.goto('/projects')
  await page.getByTestId('empty-new-project').click()
  await page.getByLabel('Name', { exact: true }).fill('First project')
  await page.getByTestId('create-project').click()
  await expect(page.getByTestId('project-title')).toHaveText('First project')
  await expect(page.getByTestId('empty-add-target')).toBeVisible()
  await page.getByRole('tab', { name: 'Scans' }).click()
  await page.getByTestId('empty-run-scan').click()
  await expect(page).toHaveURL(/tab=configurations/)
  await page.getByTestId('empty-new-configuration').click()
  await expect(page).toHaveURL(/\/configurations\/new$/)
})

/** Whether the page scrolls sideways (the document is wider than the window). */
async function pageWidth(page: Page): Promise<{ scroll: number; inner: number }> {
  return page.evaluate(() => ({ scroll: document.scrollingElement?.scrollWidth ?? 0, inner: window.innerWidth }))
}

async function noFillerPlaceholders(page: Page, where: string): Promise<void> {
  const filler = await page.locator('[placeholder="Please Input"], [placeholder="Please Select"]').count()
  expect(filler, `"Please Input" on ${where}`).toBe(0)
  await expect(page.locator('body')).not.toContainText(/Please (Input|Select)/)
}

test('every page fits a phone (390 px) without sideways scrolling or filler placeholders', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const seeded = await seed(api)
  const org = await (await api.post('/api/v1/organizations/', { data: { name: uniqueName('Phone org ') }, headers: seeded.headers })).json()
  const findings = await (await api.get(`/api/v1/findings/?project=${seeded.projectId}`, { headers: seeded.headers })).json()
  const findingId = findings.results[0].id as number
  await api.dispose()
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  manageRunning(backend, ['shell', '-c', `from django.contrib.auth.models import User; User.objects.filter(username="${seeded.username}").update(is_staff=True)`])

  await page.setViewportSize({ width: 390, height: 844 })
  for (const path of ['/login', '/register', '/forgot-password']) {
    await page.goto(path)
    await expect(page.locator('.auth-card')).toBeVisible()
    const { scroll, inner } = await pageWidth(page)
    expect(scroll, path).toBeLessThanOrEqual(inner)
    await noFillerPlaceholders(page, path)
  }
  await signIn(page, seeded.username)

  // The navigation folds into a menu.
  const nav = page.getByRole('navigation', { name: 'Main' })
  await expect(nav).toBeHidden()
  await page.getByTestId('menu-button').click()
  await nav.getByRole('link', { name: 'Projects' }).click()
  await expect(page).toHaveURL(/\/projects$/)
  await expect(nav).toBeHidden()

  const pages: Array<[string, string]> = [
    ['/', '[data-testid="dashboard"]'],
    ['/projects', '.grid'],
    [`/projects/${seeded.projectId}?tab=targets`, '[data-testid="targets-table"]'],
    [`/projects/${seeded.projectId}?tab=groups`, 'section[aria-label="Target groups"]'],
    [`/projects/${seeded.projectId}?tab=members`, 'section[aria-label="Members"]'],
    [`/projects/${seeded.projectId}?tab=configurations`, '[data-testid="configurations-table"]'],
    [`/projects/${seeded.projectId}?tab=scans`, '[data-testid="scans-table"]'],
    [`/projects/${seeded.projectId}?tab=findings`, '[data-testid="issue-groups-table"]'],
    [`/projects/${seeded.projectId}?tab=findings&view=flat`, '[data-testid="findings-table"]'],
    [`/projects/${seeded.projectId}/configurations/new`, '[data-testid="tool-list"]'],
    [`/projects/${seeded.projectId}/configurations/${seeded.configurationId}`, '[data-testid="tool-list"]'],
    [`/scans/${seeded.scanId}`, '[data-testid="tool-results"]'],
    [`/scans/${seeded.scanId}/compare`, 'h1'],
    ['/findings', '[data-testid="issue-groups-table"]'],
    ['/findings?view=flat', '[data-testid="findings-table"]'],
    [`/findings/${findingId}`, '[data-testid="finding-title"]'],
    ['/organizations', '.page'],
    [`/organizations/${org.id}`, 'h1'],
    ['/profile', 'h1'],
    ['/manage/users', 'table'],
    ['/manage/tools', 'table'],
    ['/manage/health', 'h1'],
  ]
  const wide: string[] = []
  for (const [path, ready] of pages) {
    await page.goto(path)
    await expect(page.locator(ready).first()).toBeVisible()
    await page.waitForLoadState('networkidle')
    const { scroll, inner } = await pageWidth(page)
    if (scroll > inner) wide.push(`${path}: ${scroll} px`)
    await noFillerPlaceholders(page, path)
  }
  expect(wide, 'pages wider than a 390 px phone').toEqual([])

  // Dialogs fit too, and their inputs carry examples.
  await page.goto('/projects')
  await page.getByTestId('new-project').click()
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('placeholder', /e\.g\./)
  await noFillerPlaceholders(page, 'the new-project dialog')
  await page.keyboard.press('Escape')
  await page.goto(`/projects/${seeded.projectId}?tab=targets`)
  await page.getByTestId('add-target').click()
  await noFillerPlaceholders(page, 'the add-target form')
  expect((await pageWidth(page)).scroll).toBeLessThanOrEqual(390)
})
