// The backend's outgoing email, as the file backend writes it: one message per delimiter line.
// Registration and invitations speak through email, so the specs follow the links in it.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { expect, type APIRequestContext } from '@playwright/test'

import { STATE_FILE, type BackendHandle } from './backend'
import { PASSWORD } from './helpers'

function mailDir(): string {
  const backend = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as BackendHandle
  return join(backend.varDir, 'mail')
}

/** Every message sent to `address` so far, oldest first (headers and body as text). */
export function mailsTo(address: string): string[] {
  const dir = mailDir()
  if (!existsSync(dir)) return []
  const wanted = address.toLowerCase()
  return readdirSync(dir)
    .sort()
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split(/^-{79}$/m))
    .filter((message) => /^To: (.*)$/im.exec(message)?.[1].toLowerCase().includes(wanted))
}

/** The newest link matching `pattern` in a message to `address`, waiting for it to arrive. */
export async function linkTo(address: string, pattern: RegExp): Promise<string> {
  let link: string | undefined
  await expect
    .poll(
      () => {
        link = mailsTo(address)
          .map((message) => pattern.exec(message)?.[0])
          .filter(Boolean)
          .pop()
        return link
      },
      { message: `a link matching ${pattern} emailed to ${address}`, timeout: 15_000 },
    )
    .toBeTruthy()
  return link as string
}

export const ACTIVATION_LINK = /https?:\/\/\S+\/activate\?uid=[\w-]+&token=[\w-]+/
export const INVITATION_LINK = /https?:\/\/\S+\/invitations\/accept\?token=[\w-]+/

/** Register `username` (email `<username>@example.com`) and activate it from the email. */
export async function registerUser(api: APIRequestContext, username: string, password = PASSWORD): Promise<void> {
  const email = `${username}@example.com`
  const registered = await api.post('/api/v1/auth/register/', { data: { username, email, password } })
  expect(registered.status(), await registered.text()).toBe(202)
  const link = new URL(await linkTo(email, ACTIVATION_LINK))
  const activated = await api.post('/api/v1/auth/register/confirm/', {
    data: { uid: link.searchParams.get('uid'), token: link.searchParams.get('token') },
  })
  expect(activated.status(), await activated.text()).toBe(200)
}

/** Sign `api` in and create an API key, the way a script gets one (sign-in itself issues none);
 * returns the headers that authenticate with it. */
export async function apiKeyHeaders(api: APIRequestContext, username: string, password = PASSWORD): Promise<Record<string, string>> {
  const login = await api.post('/api/v1/auth/login/', { data: { username, password } })
  expect(login.status(), await login.text()).toBe(200)
  const csrf = (await api.storageState()).cookies.find((cookie) => cookie.name === 'csrftoken')?.value ?? ''
  const created = await api.post('/api/v1/api-keys/', { data: { name: 'e2e' }, headers: { 'X-CSRFToken': csrf } })
  expect(created.status(), await created.text()).toBe(201)
  return { Authorization: `Token ${(await created.json()).key as string}` }
}

export const PROJECT_INVITATION_LINK = /https?:\/\/\S+\/invitations\/accept\?kind=project&token=[\w-]+/

/** Accept the newest organization (or project) invitation emailed to `<username>@example.com`,
 * as that user. */
export async function acceptInvitation(api: APIRequestContext, username: string, kind: 'organization' | 'project' = 'organization'): Promise<void> {
  const headers = await apiKeyHeaders(api, username)
  const pattern = kind === 'project' ? PROJECT_INVITATION_LINK : INVITATION_LINK
  const token = new URL(await linkTo(`${username}@example.com`, pattern)).searchParams.get('token')
  const accepted = await api.post(`/api/v1/${kind === 'project' ? 'projects' : 'organizations'}/invitations/accept/`, { data: { token }, headers })
  expect(accepted.status(), await accepted.text()).toBe(201)
}
