// Single sign-on in a real browser: the sign-in page's provider button, the OpenID Connect
// provider's own login page (e2e/idp/oidc-idp.mjs, oidc-provider from npm), back to the app
// signed in; a refusal shown on the sign-in page; the profile's connected accounts; and a
// staff account, linked by its verified e-mail, that must enrol TOTP after the provider and
// answers it the next time.
import { mkdirSync, readFileSync } from 'node:fs'

import { expect, test, type Page } from '@playwright/test'

import { IDP_ACCOUNTS, IDP_PASSWORD, IDP_URL, STATE_FILE, manageRunning, type BackendHandle } from './backend'
import { answerTotp, enrolTotp } from './helpers'

const SHOTS = process.env.SECULITE_SHOTS_DIR ?? 'test-results/shots'

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 })
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true })
  }
  await page.setViewportSize({ width: 1400, height: 900 })
}

async function throughTheProvider(page: Page, username: string): Promise<void> {
  await page.goto('/login')
  await page.getByTestId('sso-test-idp').click()
  // The identity provider's own page, on its own origin.
  await page.waitForURL(`${IDP_URL}/interaction/**`)
  await expect(page.getByRole('heading', { name: 'Test identity provider' })).toBeVisible()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(IDP_PASSWORD)
  await page.getByRole('button', { name: 'Sign in to the IdP' }).click()
}

test('signs in through the OpenID Connect provider and shows the connected account', async ({ page }) => {
  await page.goto('/login')
  await expect(page.getByTestId('sso-test-idp')).toHaveText('Sign in with Test IdP')
  await shoot(page, 'sso-sign-in-page')

  await throughTheProvider(page, 'sso-alice')

  // A new account, made on first sign-in from the provider's verified e-mail.
  await expect(page.getByTestId('signed-in-as')).toContainText('sso-alice')
  await page.goto('/profile')
  const card = page.getByTestId('connected-accounts')
  await expect(card.getByTestId('connection-test-idp')).toContainText('Test IdP')
  await card.scrollIntoViewIfNeeded()
  await shoot(page, 'sso-profile-connected-accounts')
})

test('a refused sign-in comes back to the sign-in page with the reason', async ({ page }) => {
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  const bob = IDP_ACCOUNTS.find((account) => account.username === 'sso-bob')!
  // An existing account with the address the provider does not vouch for.
  manageRunning(backend, [
    'shell',
    '-c',
    `from django.contrib.auth.models import User; User.objects.get_or_create(username="bob-local", defaults={"email": "${bob.email}"})`,
  ])

  await throughTheProvider(page, 'sso-bob')

  await page.waitForURL('**/login?sso_error=email_unverified')
  await expect(page.getByTestId('sso-error')).toContainText('does not vouch for the address')
  await expect(page.getByTestId('signed-in-as')).toHaveCount(0)
  await shoot(page, 'sso-error')
})

test('a staff account signs in through the provider, enrols TOTP, then answers it', async ({ page }) => {
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  const carol = IDP_ACCOUNTS.find((account) => account.username === 'sso-carol')!
  manageRunning(backend, [
    'shell',
    '-c',
    `from django.contrib.auth.models import User; User.objects.create_user("carol-admin", "${carol.email}", is_staff=True)`,
  ])

  // The provider vouches for the address: linked to the staff account, which must enrol.
  await throughTheProvider(page, 'sso-carol')
  await page.waitForURL('**/login/two-factor/setup')
  // Nothing but the enrolment until then.
  expect([401, 403]).toContain((await page.request.get('/api/v1/projects/')).status())
  const codes = await enrolTotp(page, 'carol-admin')
  expect(codes).toHaveLength(10)
  await expect(page.getByTestId('signed-in-as')).toContainText('carol-admin')

  // Next time: the provider, then the code from the app.
  // (Still signed in at the provider, as people usually are: it sends the browser straight back.)
  await page.getByTestId('sign-out').click()
  await page.waitForURL('**/login')
  await page.getByTestId('sso-test-idp').click()
  await page.waitForURL('**/login/two-factor')
  await shoot(page, 'sso-mfa-challenge')
  await answerTotp(page, 'carol-admin')
  await expect(page.getByTestId('signed-in-as')).toContainText('carol-admin')
})
