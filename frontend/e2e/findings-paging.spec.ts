// Paging the findings list by the API's cursor links in a real browser: next and previous, a
// page that lives in the URL and survives a visit to a finding and the back button, and a new
// filter that starts again from the first page.
import { expect, request, test, type Page } from '@playwright/test'

import { SAMPLE_PROJECT } from './backend'
import { choose, signIn, uniqueName } from './helpers'
import { apiKeyHeaders, registerUser } from './mail'

const FINDINGS = 60

/** A Semgrep report of `count` distinct findings: a third each ERROR (high), WARNING, INFO. */
function semgrepReport(count: number): string {
  const results = Array.from({ length: count }, (_, i) => ({
    check_id: `e2e.rules.paging-${i % 5}`,
    path: `src/module${i}.py`,
    start: { line: i + 1, col: 1 },
    end: { line: i + 1, col: 20 },
    extra: { message: `Paging finding ${i}`, severity: ['ERROR', 'WARNING', 'INFO'][i % 3], lines: `call_${i}(user_input)` },
  }))
  return JSON.stringify({ version: '1.85.0', errors: [], results })
}

const rowIds = (page: Page) =>
  page.locator('[data-testid="findings-table"] tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-finding-id')))

/** Click a pager button and wait for rows other than `before`. */
async function turn(page: Page, button: 'pager-next' | 'pager-previous' | 'pager-first', before: Array<string | null>): Promise<Array<string | null>> {
  await page.getByTestId(button).click()
  await expect.poll(async () => (await rowIds(page))[0]).not.toBe(before[0])
  return rowIds(page)
}

test('page the findings list forwards and back by cursor', async ({ page, baseURL }) => {
  const owner = uniqueName('pager')
  const api = await request.newContext({ baseURL })
  await registerUser(api, owner)
  const headers = await apiKeyHeaders(api, owner)
  const created = await api.post('/api/v1/projects/', { data: { name: uniqueName('Paged ') }, headers })
  expect(created.ok(), await created.text()).toBeTruthy()
  const project = await created.json()
  const imported = await api.post(`/api/v1/projects/${project.id}/imports/`, {
    headers,
    multipart: {
      format: 'semgrep',
      target_name: 'app',
      target_type: 'codebase_path',
      target_identifier: SAMPLE_PROJECT,
      file: { name: 'semgrep.json', mimeType: 'application/json', buffer: Buffer.from(semgrepReport(FINDINGS)) },
    },
  })
  expect(imported.status(), await imported.text()).toBe(202)
  const scan = await imported.json()
  await expect
    .poll(async () => (await (await api.get(`/api/v1/scans/${scan.id}/status/`, { headers })).json()).status, { timeout: 120_000 })
    .toBe('completed')
  await api.dispose()

  await signIn(page, owner)
  // The flat list of findings (the list shows issue groups by default).
  await page.goto(`/findings?view=flat&project=${project.id}`)
  await expect(page.getByTestId('findings-count')).toHaveText(`${FINDINGS} findings`)
  const first = await rowIds(page)
  expect(first).toHaveLength(25)
  await expect(page.getByTestId('pager-previous')).toBeDisabled()

  const second = await turn(page, 'pager-next', first)
  await expect(page).toHaveURL(/[?&]cursor=/)
  expect(second).toHaveLength(25)
  expect(second.filter((id) => first.includes(id))).toEqual([])

  const third = await turn(page, 'pager-next', second)
  expect(third).toHaveLength(FINDINGS - 50)
  expect(new Set([...first, ...second, ...third]).size).toBe(FINDINGS)
  await expect(page.getByTestId('pager-next')).toBeDisabled()

  expect(await turn(page, 'pager-previous', third)).toEqual(second)
  // (Reached backwards: its cursor differs from the one "Next" gave, its rows do not.)
  const secondUrl = page.url()

  // The page is in the URL: a finding and back shows the same one.
  await page.locator('[data-testid="findings-table"] a.title').first().click()
  await expect(page.getByTestId('finding-title')).toBeVisible()
  await page.goBack()
  await expect(page).toHaveURL(secondUrl)
  await expect.poll(() => rowIds(page)).toEqual(second)

  expect(await turn(page, 'pager-first', second)).toEqual(first)
  await expect(page).not.toHaveURL(/cursor=/)

  // A new filter starts from the first page.
  await turn(page, 'pager-next', first)
  await choose(page, page.getByTestId('filter-severity'), 'High')
  await page.keyboard.press('Escape')
  await expect(page).toHaveURL(/severity=high/)
  await expect(page).not.toHaveURL(/cursor=/)
  await expect(page.getByTestId('findings-count')).toHaveText(`${FINDINGS / 3} findings`)
  await expect(page.getByTestId('pager-next')).toBeDisabled()
})
