// The web app's rough edges (issue 13, part 4), in a real browser against the real backend and
// worker: "Run again" shows the new scan, forms scroll to their first error, presets and
// target-type filtering, the organization choice, the phone layout, placeholders, the
// registration message and empty states with a next step.
import { expect, request, test, type APIRequestContext } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

interface Seeded {
  username: string
  projectId: number
  targetId: number
  configurationId: number
  scanId: number
}

/** A user with a project, the sample project as a codebase target, a Bandit configuration and
 * one finished scan of it (all through the API, as a script would). */
async function seed(api: APIRequestContext): Promise<Seeded> {
  const username = uniqueName('rough')
  await registerUser(api, username)
  const headers = await apiKeyHeaders(api, username)
  const project = await (await api.post('/api/v1/projects/', { data: { name: uniqueName('Rough ') }, headers })).json()
  const target = await api.post(`/api/v1/projects/${project.id}/targets/`, {
    data: { name: 'vulnerable-app', asset_type: 'codebase_path', identifier: SAMPLE_PROJECT },
    headers,
  })
  expect(target.status(), await target.text()).toBe(201)
  const targetId = (await target.json()).id as number
  const configuration = await api.post(`/api/v1/projects/${project.id}/scan-configurations/`, {
    data: { name: 'Bandit only', targets: [targetId], tools: [{ tool: 'bandit', overrides: {} }] },
    headers,
  })
  expect(configuration.status(), await configuration.text()).toBe(201)
  const configurationId = (await configuration.json()).id as number
  const started = await api.post(`/api/v1/projects/${project.id}/scan-configurations/${configurationId}/start/`, { headers })
  expect(started.status(), await started.text()).toBeLessThan(300)
  const scanId = (await started.json()).id as number
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scanId}/status/`, { headers })).json()).status, { timeout: 120_000 })
    .toMatch(/^completed/)
  return { username, projectId: project.id, targetId, configurationId, scanId }
}

test('"Run again" on a scan page shows the new scan without a reload', async ({ page, baseURL }) => {
  const api = await request.newContext({ baseURL })
  const seeded = await seed(api)
  await api.dispose()

  await signIn(page, seeded.username)
  await page.goto(`/scans/${seeded.scanId}`)
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Scan #${seeded.scanId}`)
  await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', /^completed/)
  await page.getByTestId('rescan').click()

  await expect(page).not.toHaveURL(new RegExp(`/scans/${seeded.scanId}$`))
  const newId = Number(/\/scans\/(\d+)$/.exec(page.url())?.[1])
  expect(newId).toBeGreaterThan(seeded.scanId)
  // The page shows the new scan: its number, and it runs to its own end.
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Scan #${newId}`)
  await expect(page.getByRole('navigation', { name: 'Breadcrumb' })).toContainText(`Scan #${newId}`)
  await expect(page.getByTestId('scan-status')).toHaveAttribute('data-status', /^completed/, { timeout: 120_000 })
  await expect(page.getByTestId('scan-summary')).toContainText('0 new')
})
