// Project members in a real browser: the owner invites an address from the members tab, which
// says the invitation is on its way and lists nobody new; the invited person joins from the
// emailed link with their own account, with the role they were offered.
import { expect, request, test } from '@playwright/test'

import { choose, signIn, uniqueName } from './helpers'
import { PROJECT_INVITATION_LINK, apiKeyHeaders, linkTo, registerUser } from './mail'

test('invite a project member by email; they join from the link', async ({ page, browser, baseURL }) => {
  const owner = uniqueName('projowner')
  const colleague = uniqueName('projcolleague')
  const api = await request.newContext({ baseURL })
  for (const username of [owner, colleague]) await registerUser(api, username)
  const headers = await apiKeyHeaders(api, owner)
  const created = await api.post('/api/v1/projects/', { data: { name: uniqueName('Shared ') }, headers })
  expect(created.status(), await created.text()).toBe(201)
  const project = (await created.json()) as { id: number; name: string }
  await api.dispose()

  await test.step('the owner invites an address and sees a confirmation, not a new row', async () => {
    await signIn(page, owner)
    await page.goto(`/projects/${project.id}?tab=members`)
    await expect(page.getByRole('cell', { name: owner, exact: true })).toBeVisible()
    await page.getByLabel('Email').fill(`${colleague}@example.com`)
    await choose(page, page.locator('form .n-select'), 'Auditor — reads only')
    await page.getByTestId('invite-project-member').click()
    await expect(page.getByText(`An invitation to join is on its way to ${colleague}@example.com.`)).toBeVisible()
    await expect(page.getByRole('cell', { name: colleague, exact: true })).toHaveCount(0)
    await expect(page.getByLabel('Email')).toHaveValue('')
  })

  await test.step('the invited person joins from the emailed link', async () => {
    const link = new URL(await linkTo(`${colleague}@example.com`, PROJECT_INVITATION_LINK))
    const context = await browser.newContext({ baseURL })
    const colleaguePage = await context.newPage()
    await signIn(colleaguePage, colleague)
    await colleaguePage.goto(`${link.pathname}${link.search}`)
    await expect(colleaguePage.getByText('Join a project')).toBeVisible()
    await colleaguePage.getByTestId('accept-invitation').click()
    await expect(colleaguePage).toHaveURL(new RegExp(`/projects/${project.id}$`))
    await expect(colleaguePage.getByTestId('project-title')).toHaveText(project.name)
    await expect(colleaguePage.getByTestId('project-role')).toHaveText('auditor')
    await context.close()
  })

  await test.step('the owner now lists them as an auditor', async () => {
    await page.reload()
    await expect(page.getByRole('cell', { name: colleague, exact: true })).toBeVisible()
  })
})
