// Small helpers for driving Naive UI controls the way a person does (click, pick, type).
import { expect, type Locator, type Page } from '@playwright/test'

import { freshCode } from './totp'

/** Open a select and click the option with this label; multi-selects are closed afterwards. */
export async function choose(page: Page, select: Locator, option: string): Promise<void> {
  await select.click()
  const menu = page.locator('.n-base-select-menu').last()
  await menu.getByText(option, { exact: true }).click()
  if ((await select.locator('.n-base-selection--multiple').count()) > 0 || (await select.getAttribute('class'))?.includes('multiple')) {
    await page.keyboard.press('Escape')
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`
}

export const PASSWORD = 'correct-horse-battery-staple-42'

/** Authenticator app keys of the accounts the specs enrolled (staff must have a second
 * factor), with the last time step used: the server takes each step's code once. */
export const totpKeys = new Map<string, { secret: string; lastStep: number }>()

/** Enrol an authenticator app on the enrolment page (reading the key the page shows, as a
 * person would type it into an app); returns the recovery codes it shows once. */
export async function enrolTotp(page: Page, username: string): Promise<string[]> {
  const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '')
  const { code, step } = await freshCode(secret, 0)
  await page.getByLabel('Code from the app').fill(code)
  await page.getByTestId('totp-confirm').click()
  await expect(page.getByTestId('mfa-enrolled')).toBeVisible()
  totpKeys.set(username, { secret, lastStep: step })
  const codes = await page.getByTestId('recovery-code').allTextContents()
  await page.getByTestId('mfa-continue').click()
  return codes
}

/** Answer the two-factor challenge with a fresh code of the account's app. */
export async function answerTotp(page: Page, username: string): Promise<void> {
  const key = totpKeys.get(username)
  if (!key) throw new Error(`${username} has a second factor this spec did not enrol`)
  const { code, step } = await freshCode(key.secret, key.lastStep)
  key.lastStep = step
  await page.getByLabel('Code from your authenticator app').fill(code)
  await page.getByTestId('mfa-submit').click()
}

/** Sign in through the page; staff (who must have a second factor) enrol an authenticator app
 * the first time and answer its challenge afterwards. */
export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Username or email').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByTestId('login-submit').click()
  const signedIn = page.getByTestId('signed-in-as')
  const enrol = page.getByTestId('totp-secret')
  const challenge = page.getByTestId('mfa-submit')
  await expect(signedIn.or(enrol).or(challenge).first()).toBeVisible()
  if (await enrol.isVisible()) await enrolTotp(page, username)
  else if (await challenge.isVisible()) await answerTotp(page, username)
  await expect(signedIn).toContainText(username)
}

export function screenshotPath(name: string): string {
  return `test-results/${name}.png`
}
