// A configuration's notification webhook: the owner rotates its signing secret (shown once),
// sees the delivery log with the attempt a finished scan made, and Redeliver adds an attempt.
// The scan's notification runs with loopback allowed (SECULITE_TARGET_ALLOW) and reaches a real
// receiver started here, which checks the HMAC signature with the secret shown at creation.
// The web server keeps the default target policy, which refuses loopback: the redelivery is
// logged with the policy's refusal and never reaches the receiver.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import { expect, request, test } from '@playwright/test'

import { STATE_FILE, manageRunningAsync, type BackendHandle } from './backend'
import { screenshotPath, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

interface Received { verified: boolean; event: string; body: Record<string, unknown> }

/** Whether `header` (t=<unix time>,v1=<hex>) signs "<t>.<body>" with `secret`, as README's snippet checks. */
function verifies(secret: string, body: Buffer, header: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]))
  if (!parts.t || !parts.v1 || Math.abs(Date.now() / 1000 - Number(parts.t)) > 300) return false
  const expected = createHmac('sha256', secret).update(`${parts.t}.`).update(body).digest()
  const given = Buffer.from(parts.v1, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

async function startReceiver(secret: () => string, received: Received[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const verified = verifies(secret(), body, String(req.headers['x-seculite-signature'] ?? ''))
      received.push({ verified, event: String(req.headers['x-seculite-event'] ?? ''), body: JSON.parse(body.toString()) as Record<string, unknown> })
      res.writeHead(verified ? 204 : 401).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

test('rotate the signing secret, read the delivery log and redeliver', async ({ page, baseURL }) => {
  const received: Received[] = []
  let secret = ''
  const receiver = await startReceiver(() => secret, received)
  const { port } = receiver.address() as AddressInfo
  const username = uniqueName('hookowner')
  const api = await request.newContext({ baseURL })
  await registerUser(api, username)
  const headers = await apiKeyHeaders(api, username)
  const project = (await (await api.post('/api/v1/projects/', { data: { name: uniqueName('Hooks ') }, headers })).json()) as { id: number }
  const created = await api.post(`/api/v1/projects/${project.id}/scan-configurations/`, {
    data: { name: 'Nightly', notify_on_completion: true, notify_webhook_url: `http://127.0.0.1:${port}/hooks/seculite`, notify_webhook_format: 'slack' },
    headers,
  })
  expect(created.status(), await created.text()).toBe(201)
  const configuration = (await created.json()) as { id: number; notify_webhook_secret: string | null }
  expect(configuration.notify_webhook_secret).toBeTruthy()
  secret = configuration.notify_webhook_secret ?? ''

  // A scan of the configuration ends: the notification service sends the webhook, with
  // loopback allowed for this process only.
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  await manageRunningAsync(backend, [
    'shell',
    '-c',
    [
      'from django.conf import settings',
      'settings.SECULITE_TARGET_ALLOW = ["127.0.0.1/32"]',
      'from apps.scans.models import Scan',
      'from apps.notifications.services import scan_notify',
      `scan = Scan.objects.create(project_id=${project.id}, configuration_id=${configuration.id}, status="completed", trigger="manual", summary={"total": 0, "new": 0, "existing": 0, "resolved": 0})`,
      'scan_notify(scan_id=scan.pk)',
    ].join('; '),
  ])
  expect(received).toHaveLength(1)
  expect(received[0].verified).toBe(true)
  expect(received[0].event).toBe('scan.completed')
  expect(received[0].body).toHaveProperty('blocks')  // the Slack format chosen above

  await signIn(page, username)
  await page.goto(`/projects/${project.id}/configurations/${configuration.id}`)
  await expect(page.getByTestId('config-hook-format')).toContainText('Slack incoming webhook')
  await expect(page.getByTestId('webhook-secret-alert')).toHaveCount(0)

  await test.step('the delivery log shows the first attempt', async () => {
    const message = page.getByTestId('webhook-message')
    await expect(message).toHaveCount(1)
    await expect(message.getByTestId('webhook-message-status')).toHaveText('sent')
    await expect(message).toContainText('scan.completed')
    await expect(message.getByTestId('webhook-attempt')).toHaveCount(1)
    await expect(message.getByTestId('webhook-attempt-outcome')).toHaveText('HTTP 204')
  })

  await test.step('Redeliver adds an attempt', async () => {
    await page.getByRole('button', { name: 'Redeliver' }).click()
    const attempts = page.getByTestId('webhook-message').getByTestId('webhook-attempt')
    await expect(attempts).toHaveCount(2)
    await expect(attempts.first()).toContainText(`#2 · Redelivered by ${username}`)
    await expect(attempts.first().getByTestId('webhook-attempt-outcome')).toContainText('Refused by the target network policy')
    expect(received).toHaveLength(1)  // the refusal happened before any connection
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
  receiver.close()
})
