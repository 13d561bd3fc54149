// A CI key from the profile page: limited to one project with the import scope, it reads that
// project, does not see the user's other project, and cannot create projects.
import { expect, request, test } from '@playwright/test'

import { choose, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

test('create a one-project key on the profile page and use it', async ({ page, baseURL }) => {
  const username = uniqueName('keyowner')
  const api = await request.newContext({ baseURL })
  await registerUser(api, username)
  const headers = await apiKeyHeaders(api, username)
  const projects: { id: number; name: string }[] = []
  for (const name of [uniqueName('Shop '), uniqueName('Other ')]) {
    const created = await api.post('/api/v1/projects/', { data: { name }, headers })
    expect(created.status(), await created.text()).toBe(201)
    projects.push((await created.json()) as { id: number; name: string })
  }
  const [shop, other] = projects as [{ id: number; name: string }, { id: number; name: string }]

  let key = ''
  await test.step('the user creates a key for one project with the import scope', async () => {
    await signIn(page, username)
    await page.goto('/profile')
    await page.locator('#key-name').fill('ci-pipeline')
    await page.getByTestId('key-reach-project').click()
    await choose(page, page.getByTestId('key-project'), shop.name)
    await page.getByTestId('key-scope-import').click()
    await expect(page.getByTestId('key-scope-read')).toBeChecked()
    await expect(page.getByTestId('key-scope-read')).toBeDisabled()
    await page.getByRole('button', { name: 'Create key' }).click()
    key = (await page.getByTestId('new-api-key').textContent()) ?? ''
    expect(key).toMatch(/^sl_/)
    const row = page.getByRole('row').filter({ hasText: 'ci-pipeline' })
    await expect(row.getByTestId('key-reach')).toContainText(shop.name)
    await expect(row.getByTestId('key-reach')).toContainText('import')
    await expect(page.getByRole('row').filter({ hasText: 'e2e' }).getByTestId('key-reach')).toHaveText('All your projects')
  })

  await test.step('the key reads its project only and cannot create one', async () => {
    const ci = { Authorization: `Token ${key}` }
    expect((await api.get(`/api/v1/projects/${shop.id}/`, { headers: ci })).status()).toBe(200)
    expect((await api.get(`/api/v1/projects/${other.id}/`, { headers: ci })).status()).toBe(404)
    const listed = (await (await api.get('/api/v1/projects/', { headers: ci })).json()) as { results: { id: number }[] }
    expect(listed.results.map((project) => project.id)).toEqual([shop.id])
    const refused = await api.post('/api/v1/projects/', { data: { name: uniqueName('Nope ') }, headers: ci })
    expect(refused.status()).toBe(403)
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      `This API key is limited to project "${shop.name}" (read, import).`,
    )
  })
  await api.dispose()
})
