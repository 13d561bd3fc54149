// A configuration's notification webhook: the owner rotates its signing secret (shown once),
// sees the delivery log with the attempt a finished scan made, and Redeliver adds an attempt.
// The webhook points at a loopback address the target policy refuses, so nothing leaves the
// machine and each attempt is logged with the policy's refusal.
import { readFileSync } from 'node:fs'

import { expect, request, test } from '@playwright/test'

import { STATE_FILE, manageRunning, type BackendHandle } from './backend'
import { screenshotPath, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

test('rotate the signing secret, read the delivery log and redeliver', async ({ page, baseURL }) => {
  const username = uniqueName('hookowner')
  const api = await request.newContext({ baseURL })
  await registerUser(api, username)
  const headers = await apiKeyHeaders(api, username)
  const project = (await (await api.post('/api/v1/projects/', { data: { name: uniqueName('Hooks ') }, headers })).json()) as { id: number }
  const created = await api.post(`/api/v1/projects/${project.id}/scan-configurations/`, {
    data: { name: 'Nightly', notify_on_completion: true, notify_webhook_url: 'http://127.0.0.1:9/hooks/seculite', notify_webhook_format: 'slack' },
    headers,
  })
  expect(created.status(), await created.text()).toBe(201)
  const configuration = (await created.json()) as { id: number; notify_webhook_secret: string | null }
  expect(configuration.notify_webhook_secret).toBeTruthy()

  // A scan of the configuration ends: the worker's notification service sends the webhook.
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  manageRunning(backend, [
    'shell',
    '-c',
    [
      'from apps.scans.models import Scan',
      'from apps.notifications.services import scan_notify',
      `scan = Scan.objects.create(project_id=${project.id}, configuration_id=${configuration.id}, status="completed", trigger="manual", summary={"total": 0, "new": 0, "existing": 0, "resolved": 0})`,
      'scan_notify(scan_id=scan.pk)',
    ].join('; '),
  ])

  await signIn(page, username)
  await page.goto(`/projects/${project.id}/configurations/${configuration.id}`)
  await expect(page.getByTestId('config-hook-format')).toContainText('Slack incoming webhook')
  await expect(page.getByTestId('webhook-secret-alert')).toHaveCount(0)

  await test.step('the delivery log shows the first attempt', async () => {
    const message = page.getByTestId('webhook-message')
    await expect(message).toHaveCount(1)
    await expect(message.getByTestId('webhook-message-status')).toHaveText('failed')
    await expect(message).toContainText('scan.completed')
    await expect(message.getByTestId('webhook-attempt')).toHaveCount(1)
    await expect(message.getByTestId('webhook-attempt-outcome')).toContainText('Refused by the target network policy')
  })

  await test.step('Redeliver adds an attempt', async () => {
    await page.getByRole('button', { name: 'Redeliver' }).click()
    const attempts = page.getByTestId('webhook-message').getByTestId('webhook-attempt')
    await expect(attempts).toHaveCount(2)
    await expect(attempts.first()).toContainText(`#2 · Redelivered by ${username}`)
  })

  await test.step('rotating shows a new secret once', async () => {
    await page.getByTestId('rotate-webhook-secret').click()
    await page.locator('.n-popconfirm').getByRole('button', { name: 'Confirm' }).click()
    const secret = page.getByTestId('webhook-secret')
    await expect(secret).toHaveText(/^[A-Za-z0-9_-]{43}$/)
    expect(await secret.textContent()).not.toBe(configuration.notify_webhook_secret)
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.getByTestId('webhook-secret-alert').scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('hW-configuration-webhook-1440'), fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: screenshotPath('hW-configuration-webhook-390'), fullPage: true })
    await page.getByTestId('webhook-secret-alert').screenshot({ path: screenshotPath('hW-webhook-secret-390') })
    await page.locator('.n-card').filter({ hasText: 'Recent deliveries' }).screenshot({ path: screenshotPath('hW-webhook-deliveries-390') })
    await page.reload()
    await expect(page.getByTestId('webhook-message')).toHaveCount(1)
    await expect(page.getByTestId('webhook-secret-alert')).toHaveCount(0)
  })
  await api.dispose()
})
