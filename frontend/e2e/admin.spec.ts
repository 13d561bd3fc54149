// A platform administrator: users, tools (switch one off and on again), and system health
// with the real worker answering.
import { readFileSync } from 'node:fs'

import { expect, request, test } from '@playwright/test'

import { STATE_FILE, manageRunning, type BackendHandle } from './backend'
import { signIn, uniqueName } from './helpers'
import { registerUser } from './mail'

test('staff manage users and tools and see the system health', async ({ page, baseURL }) => {
  const admin = uniqueName('admin')
  const api = await request.newContext({ baseURL })
  await registerUser(api, admin)
  await api.dispose()
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  manageRunning(backend, ['shell', '-c', `from django.contrib.auth.models import User; User.objects.filter(username="${admin}").update(is_staff=True)`])

  await signIn(page, admin)
  await page.getByRole('link', { name: 'Users' }).click()
  await page.waitForURL('**/manage/users')
  await expect(page.locator('main table.plain')).toContainText(admin)

  await page.getByRole('link', { name: 'Tools' }).click()
  const bandit = page.locator('tr[data-tool="bandit"]')
  await expect(bandit).toContainText('Yes')
  const toggle = bandit.getByRole('switch')
  await expect(toggle).toHaveAttribute('aria-checked', 'true')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-checked', 'false')
  await page.reload()
  await expect(page.locator('tr[data-tool="bandit"]').getByRole('switch')).toHaveAttribute('aria-checked', 'false')
  await page.locator('tr[data-tool="bandit"]').getByRole('switch').click()
  await expect(page.locator('tr[data-tool="bandit"]').getByRole('switch')).toHaveAttribute('aria-checked', 'true')

  await page.getByRole('link', { name: 'System health' }).click()
  await expect(page.locator('[data-status="ok"]')).toBeVisible()
  await expect(page.getByTestId('workers-health')).toContainText('1 answering', { timeout: 20_000 })
})
