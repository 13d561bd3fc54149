// In-app notifications in a real browser against the real backend and worker: a member's bell
// counts the imported scan that completed in their project and the finding another user
// assigned to them through the API; opening one marks it read, "Mark all read" clears the
// rest; the preferences card sits on the profile page. Screenshots at 1440 and 390 px.
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'

import { expect, request, test, type Page } from '@playwright/test'

import { BACKEND_DIR, SAMPLE_PROJECT } from './backend'
import { screenshotPath, signIn, uniqueName } from './helpers'
import { acceptInvitation, apiKeyHeaders, registerUser } from './mail'

const SAMPLE = join(BACKEND_DIR, 'apps', 'tools', 'tests', 'samples', 'semgrep', 'many.json')

async function noSidewaysScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }))
  expect(widths.scroll, `page is ${widths.scroll}px wide in a ${widths.inner}px window`).toBeLessThanOrEqual(widths.inner)
}

test('the bell counts a scan and an assignment by another user, and clears when read', async ({ page, baseURL }) => {
  const owner = uniqueName('lead')
  const member = uniqueName('dev')
  const ownerApi = await request.newContext({ baseURL })
  const memberApi = await request.newContext({ baseURL })
  await registerUser(ownerApi, owner)
  await registerUser(memberApi, member)
  const headers = await apiKeyHeaders(ownerApi, owner)

  const created = await ownerApi.post('/api/v1/projects/', { data: { name: uniqueName('Bells ') }, headers })
  expect(created.status(), await created.text()).toBe(201)
  const project = (await created.json()) as { id: number; name: string }
  const invited = await ownerApi.post(`/api/v1/projects/${project.id}/members/`, {
    data: { email: `${member}@example.com`, role: 'member' },
    headers,
  })
  expect(invited.status(), await invited.text()).toBe(202)
  await acceptInvitation(memberApi, member, 'project')
  const memberHeaders = await apiKeyHeaders(memberApi, member)
  const me = (await (await memberApi.get('/api/v1/auth/me/', { headers: memberHeaders })).json()) as { id: number }

  await test.step('the owner imports a report: the scan ends and the member is told', async () => {
    const imported = await ownerApi.post(`/api/v1/projects/${project.id}/imports/`, {
      headers,
      multipart: {
        format: 'semgrep',
        target_name: 'app',
        target_type: 'codebase_path',
        target_identifier: SAMPLE_PROJECT,
        file: { name: 'many.json', mimeType: 'application/json', buffer: Buffer.from(await readFile(SAMPLE, 'utf8')) },
      },
    })
    expect(imported.status(), await imported.text()).toBe(202)
    const scan = (await imported.json()) as { id: number }
    await expect
      .poll(async () => (await (await ownerApi.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 90_000 })
      .toBe('completed')
    await expect
      .poll(async () => (await (await memberApi.get('/api/v1/notifications/unread-count/', { headers: memberHeaders })).json()).unread, { timeout: 30_000 })
      .toBe(1)
  })

  await page.setViewportSize({ width: 1440, height: 900 })
  await signIn(page, member)
  const bell = page.getByTestId('notification-bell')
  const count = page.getByTestId('notification-count')
  await expect(count).toHaveText('1')

  let findingId = 0
  await test.step('the owner assigns a finding to the member through the API; the badge counts it', async () => {
    const listed = await ownerApi.get(`/api/v1/findings/?project=${project.id}&page_size=5`, { headers })
    const finding = ((await listed.json()).results as Array<{ id: number; title: string }>)[0]
    findingId = finding.id
    const assigned = await ownerApi.post(`/api/v1/findings/${finding.id}/assign/`, { data: { assignee: me.id }, headers })
    expect(assigned.status(), await assigned.text()).toBe(200)
    // The bell polls on navigation (and every 30 s): moving to another page shows it.
    await page.getByRole('link', { name: 'Projects' }).click()
    await expect(count).toHaveText('2')
    await expect(bell).toHaveAttribute('aria-label', 'Notifications, 2 unread')
  })

  await test.step('the panel lists both, unread, with links', async () => {
    await bell.click()
    const panel = page.getByTestId('notification-panel')
    await expect(panel).toBeVisible()
    const items = panel.getByTestId('notification-item')
    await expect(items).toHaveCount(2)
    await expect(items.nth(0)).toContainText(`${owner} assigned you a finding`)
    await expect(items.nth(0).getByRole('link')).toHaveAttribute('href', `/findings/${findingId}`)
    await expect(items.nth(1)).toContainText(`of ${project.name} completed`)
    await page.screenshot({ path: screenshotPath('notifications-bell-open-1440') })
  })

  await test.step('opening one marks it read and follows its link', async () => {
    await page.getByTestId('notification-item').nth(0).getByRole('link').click()
    await expect(page).toHaveURL(new RegExp(`/findings/${findingId}$`))
    await expect(count).toHaveText('1')
  })

  await test.step('"Mark all read" clears the badge, for good', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await bell.click()
    await expect(page.getByTestId('notification-panel')).toBeVisible()
    await noSidewaysScroll(page)
    await page.screenshot({ path: screenshotPath('notifications-bell-open-390') })
    await page.getByTestId('notifications-mark-all').click()
    await expect(count).toHaveCount(0)
    await expect(bell).toHaveAttribute('aria-label', 'Notifications, none unread')
    await page.reload()
    await expect(page.getByTestId('notification-bell')).toBeVisible()
    await expect(page.getByTestId('notification-count')).toHaveCount(0)
    const unread = await (await memberApi.get('/api/v1/notifications/unread-count/', { headers: memberHeaders })).json()
    expect(unread).toEqual({ unread: 0 })
  })

  await test.step('the preferences card: turn off assignments in the app', async () => {
    await page.goto('/profile')
    const card = page.getByTestId('notification-preferences')
    await expect(card).toBeVisible()
    await expect(card.getByTestId('pref-sla_breach')).toContainText('App only')
    await noSidewaysScroll(page)
    await card.screenshot({ path: screenshotPath('notifications-preferences-390') })
    await page.screenshot({ path: screenshotPath('notifications-profile-390'), fullPage: true })
    await page.setViewportSize({ width: 1440, height: 900 })
    await card.getByTestId('pref-finding_assigned-in_app').click()
    await card.getByTestId('pref-save').click()
    await expect(page.getByText('Notification settings saved.')).toBeVisible()
    await card.screenshot({ path: screenshotPath('notifications-preferences-1440') })
    await page.screenshot({ path: screenshotPath('notifications-profile-1440'), fullPage: true })
    const saved = await (await memberApi.get('/api/v1/notifications/preferences/', { headers: memberHeaders })).json()
    const assigned = (saved.events as Array<{ event: string; in_app: boolean }>).find((e) => e.event === 'finding_assigned')
    expect(assigned?.in_app).toBe(false)
  })

  await ownerApi.dispose()
  await memberApi.dispose()
})
