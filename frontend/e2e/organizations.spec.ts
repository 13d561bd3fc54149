// Organizations and target editing in a real browser: create an organization, add a colleague,
// make them an admin, and rename a target of a project the organization owns.
import { expect, request, test } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { PASSWORD, choose, signIn, uniqueName } from './helpers'

test('create an organization, add a member, change their role, edit a target', async ({ page, baseURL }) => {
  const owner = uniqueName('orgowner')
  const colleague = uniqueName('colleague')
  const api = await request.newContext({ baseURL })
  for (const username of [owner, colleague]) {
    const registered = await api.post('/api/v1/auth/register/', { data: { username, email: `${username}@example.com`, password: PASSWORD } })
    expect(registered.status()).toBe(201)
  }

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

  await test.step('add a member by email, then make them an admin', async () => {
    await page.getByLabel('Email').fill(`${colleague}@example.com`)
    await page.getByTestId('add-organization-member').click()
    const row = page.locator(`tr[data-member="${colleague}"]`)
    await expect(row).toContainText(`${colleague}@example.com`)
    await expect(row.getByTestId('member-role')).toContainText('member')

    await choose(page, row.getByTestId('member-role'), 'admin')
    await expect(row.getByTestId('member-role')).toContainText('admin')
    await page.reload()
    await expect(page.locator(`tr[data-member="${colleague}"]`).getByTestId('member-role')).toContainText('admin')
    await expect(page.locator(`tr[data-member="${owner}"]`)).toContainText('(you)')
  })

  const login = await api.post('/api/v1/auth/login/', { data: { username: owner, password: PASSWORD } })
  const headers = { Authorization: `Token ${(await login.json()).token as string}` }
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
