// Two-factor sign-in in a real browser: a staff account must enrol an authenticator app after
// its password (the key read off the page, codes computed as an app would), then signs in with
// a code, then with a recovery code (which works once), turns on its organization's 2FA policy
// and finds all of it in the audit log.
import { readFileSync } from 'node:fs'

import { expect, request, test, type Page } from '@playwright/test'

import { STATE_FILE, manageRunning, type BackendHandle } from './backend'
import { PASSWORD, answerTotp, totpKeys, uniqueName } from './helpers'
import { registerUser } from './mail'
import { freshCode } from './totp'

const SHOTS = process.env.SECULITE_SHOTS_DIR ?? 'test-results/shots'

async function shoot(page: Page, name: string): Promise<void> {
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 })
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true })
  }
  await page.setViewportSize({ width: 1400, height: 900 })
}

async function passwordStep(page: Page, username: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Username or email').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByTestId('login-submit').click()
}

async function signOut(page: Page): Promise<void> {
  await page.getByTestId('sign-out').click()
  await page.waitForURL(/\/login(\?|$)/)
}

test('staff enrol TOTP, sign in with a code and a recovery code, and audit it all', async ({ page, baseURL }) => {
  const admin = uniqueName('mfaadmin')
  const api = await request.newContext({ baseURL })
  await registerUser(api, admin)
  await api.dispose()
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  manageRunning(backend, ['shell', '-c', `from django.contrib.auth.models import User; User.objects.filter(username="${admin}").update(is_staff=True)`])

  // The password alone: staff must set up a second factor before anything else.
  await passwordStep(page, admin)
  await page.waitForURL(/\/login\/two-factor\/setup/)
  await expect(page.getByTestId('mfa-reason')).toContainText('Staff accounts must use two-factor authentication')
  await expect(page.getByTestId('totp-qr')).toBeVisible()
  const refused = await page.request.get('/api/v1/projects/')
  expect(refused.status()).toBe(401)
  await shoot(page, 'mfa-enrol')
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '')
  expect(secret).toMatch(/^[A-Z2-7]{32}$/)

  // Enrol: the recovery codes are shown once, then the session is signed in.
  await page.getByLabel('Code from the app').fill('000000')
  await page.getByTestId('totp-confirm').click()
  await expect(page.getByRole('alert').filter({ hasText: 'not valid' })).toBeVisible()
  const { code, step } = await freshCode(secret, 0)
  await page.getByLabel('Code from the app').fill(code)
  await page.getByTestId('totp-confirm').click()
  await expect(page.getByTestId('mfa-enrolled')).toBeVisible()
  totpKeys.set(admin, { secret, lastStep: step })
  const recoveryCodes = await page.getByTestId('recovery-code').allTextContents()
  expect(recoveryCodes).toHaveLength(10)
  await shoot(page, 'mfa-recovery-codes')
  await page.getByTestId('mfa-continue').click()
  await expect(page.getByTestId('signed-in-as')).toContainText(admin)

  // Sign in again with a code from the app.
  await signOut(page)
  await passwordStep(page, admin)
  await page.waitForURL(/\/login\/two-factor(\?|$)/)
  await shoot(page, 'mfa-challenge')
  await answerTotp(page, admin)
  await expect(page.getByTestId('signed-in-as')).toContainText(admin)

  // And with a recovery code, which works once.
  await signOut(page)
  await passwordStep(page, admin)
  await page.getByTestId('mfa-use-recovery').click()
  await page.getByLabel('Recovery code').fill(recoveryCodes[0])
  await page.getByTestId('mfa-submit').click()
  await expect(page.getByTestId('signed-in-as')).toContainText(admin)
  await page.goto('/profile')
  await expect(page.getByTestId('two-factor-state')).toHaveText('On')
  await expect(page.getByTestId('recovery-left')).toHaveText('9 left')
  await page.getByTestId('two-factor-card').scrollIntoViewIfNeeded()
  await shoot(page, 'mfa-profile-card')
  await signOut(page)
  await passwordStep(page, admin)
  await page.getByTestId('mfa-use-recovery').click()
  await page.getByLabel('Recovery code').fill(recoveryCodes[0])
  await page.getByTestId('mfa-submit').click()
  await expect(page.getByRole('alert').filter({ hasText: 'not valid' })).toBeVisible()
  await answerTotpAfterSwitch(page, admin)

  // An organization's owner (with a factor of their own) requires 2FA of its members.
  const csrf = (await page.context().cookies()).find((cookie) => cookie.name === 'csrftoken')?.value ?? ''
  const created = await page.request.post('/api/v1/organizations/', { data: { name: uniqueName('MFA Org ') }, headers: { 'X-CSRFToken': csrf } })
  expect(created.status(), await created.text()).toBe(201)
  await page.goto(`/organizations/${(await created.json()).id as number}`)
  const policy = page.getByTestId('require-mfa')
  await expect(policy).toHaveAttribute('aria-checked', 'false')
  await policy.click()
  await expect(policy).toHaveAttribute('aria-checked', 'true')
  await shoot(page, 'mfa-organization-policy')

  // The audit log lists all of it.
  await page.getByTestId('nav-audit').click()
  await page.waitForURL('**/audit')
  const rows = page.getByTestId('audit-row').filter({ hasText: admin })
  for (const action of ['mfa_enrolled', 'sign_in', 'sign_out', 'recovery_code_used', 'mfa_challenge_failed', 'organization_policy_changed']) {
    await expect(rows.and(page.locator(`[data-action="${action}"]`)).first()).toBeVisible()
  }
  await expect(rows.and(page.locator('[data-action="sign_in"]')).first()).toContainText('password with authenticator app')
  await shoot(page, 'audit-log')
  await page.getByTestId('audit-action').click()
  await page.locator('.n-base-select-menu').getByText('Recovery code used', { exact: true }).click()
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('audit-row')).toHaveCount(1)
  const download = page.waitForEvent('download')
  await page.getByTestId('audit-export').click()
  const exported = JSON.parse(readFileSync(await (await download).path(), 'utf8')) as { action: string; actor_username: string }[]
  expect(exported.map((event) => event.action)).toEqual(['recovery_code_used'])
  expect(exported[0].actor_username).toBe(admin)
})

async function answerTotpAfterSwitch(page: Page, username: string): Promise<void> {
  await page.getByTestId('mfa-use-totp').click()
  await answerTotp(page, username)
  await expect(page.getByTestId('signed-in-as')).toContainText(username)
}
