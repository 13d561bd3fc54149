// Organizations and target editing in a real browser: create an organization, invite a colleague
// (who joins from the emailed link), make them an admin, and rename a target of a project the
// organization owns.
import { expect, request, test } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { choose, signIn, uniqueName } from './helpers'
import { INVITATION_LINK, apiKeyHeaders, linkTo, registerUser } from './mail'

test('create an organization, invite a member, change their role, edit a target', async ({ page, browser, baseURL }) => {
  const owner = uniqueName('orgowner')
  const colleague = uniqueName('colleague')
  const api = await request.newContext({ baseURL })
  for (const username of [owner, colleague]) await registerUser(api, username)

  await signIn(page, owner)
  const orgName = uniqueName('Acme ')

  await test.step('create an organization', async () => {
    await page.getByRole('link', { name: 'Organizations' }).click()
    await page.getByTestId('new-organization').click()
    await page.getByLabel('Name', { exact: true }).fill(orgName)
    await page.getByLabel('Description').fill('Security team')
    await page.getByTestId('create-organization').click()
    await expect(page.getByTestId('organization-title')).toHaveText(orgName)
    await expect(page.getByTestId('organization-role')).toHaveText('owner')
    await expect(page.getByTestId('organization-description')).toHaveText('Security team')
  })
  const orgId = Number(new URL(page.url()).pathname.split('/').pop())

  await test.step('invite a member by email; they join from the link', async () => {
    await page.getByLabel('Email').fill(`${colleague}@example.com`)
    await page.getByTestId('add-organization-member').click()
    await expect(page.getByText(`An invitation to join is on its way to ${colleague}@example.com.`)).toBeVisible()
    await expect(page.locator(`tr[data-member="${colleague}"]`)).toHaveCount(0)

    const link = new URL(await linkTo(`${colleague}@example.com`, INVITATION_LINK))
    const colleagueContext = await browser.newContext({ baseURL })
    const colleaguePage = await colleagueContext.newPage()
    await signIn(colleaguePage, colleague)
    await colleaguePage.goto(`${link.pathname}${link.search}`)
    await colleaguePage.getByTestId('accept-invitation').click()
    await expect(colleaguePage).toHaveURL(new RegExp(`/organizations/${orgId}$`))
    await expect(colleaguePage.getByTestId('organization-role')).toHaveText('member')
    await colleagueContext.close()
  })

  await test.step('make the new member an admin', async () => {
    await page.reload()
    const row = page.locator(`tr[data-member="${colleague}"]`)
    await expect(row).toContainText(`${colleague}@example.com`)
    await expect(row.getByTestId('member-role')).toContainText('member')

    await choose(page, row.getByTestId('member-role'), 'admin')
    await expect(row.getByTestId('member-role')).toContainText('admin')
    await page.reload()
    await expect(page.locator(`tr[data-member="${colleague}"]`).getByTestId('member-role')).toContainText('admin')
    await expect(page.locator(`tr[data-member="${owner}"]`)).toContainText('(you)')
  })

  const headers = await apiKeyHeaders(api, owner)
  const created = await api.post('/api/v1/projects/', { data: { name: uniqueName('Org project '), organization: orgId }, headers })
  expect(created.ok(), await created.text()).toBeTruthy()
  const project = await created.json()
  const target = await api.post(`/api/v1/projects/${project.id}/targets/`, { data: { name: 'app', asset_type: 'codebase_path', identifier: SAMPLE_PROJECT, metadata: { exclude_paths: ['tests/**'] } }, headers })
  expect(target.ok(), await target.text()).toBeTruthy()
  await api.dispose()

  await test.step("open the organization's project and rename its target", async () => {
    await page.reload()
    await page.getByTestId('organization-projects').getByRole('link', { name: project.name }).click()
    await expect(page.getByTestId('project-title')).toHaveText(project.name)
    await page.getByRole('tab', { name: 'Targets' }).click()
    const row = page.locator('tr[data-target="app"]')
    await row.getByTestId('edit-target').click()
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('app')
    await expect(page.getByLabel('Absolute path on the worker')).toHaveValue(SAMPLE_PROJECT)
    await page.getByLabel('Name', { exact: true }).fill('app-renamed')
    const patch = page.waitForRequest((r) => r.method() === 'PATCH' && r.url().includes(`/targets/`))
    await page.getByTestId('save-target').click()
    expect((await patch).postDataJSON()).toEqual({ name: 'app-renamed' })
    await expect(page.locator('tr[data-target="app-renamed"]')).toContainText('tests/**')
    await expect(page.locator('tr[data-target="app"]')).toHaveCount(0)
  })
})
