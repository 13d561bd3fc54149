// Small helpers for driving Naive UI controls the way a person does (click, pick, type).
import { expect, type Locator, type Page } from '@playwright/test'

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

export async function signIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Username or email').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByTestId('login-submit').click()
  await expect(page.getByTestId('signed-in-as')).toContainText(username)
}

export function screenshotPath(name: string): string {
  return `test-results/${name}.png`
}
