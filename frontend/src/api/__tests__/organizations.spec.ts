// The organizations API module: the paths, methods and bodies it sends.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import {
  inviteOrganizationMember,
  createOrganization,
  deleteOrganization,
  listOrganizationMembers,
  listOrganizations,
  removeOrganizationMember,
  updateOrganization,
  updateOrganizationMember,
} from '@/api/organizations'

const fetchMock = vi.fn()

function sent(index = 0): { url: string; method: string; body: unknown } {
  const [url, init] = fetchMock.mock.calls[index] as [string, RequestInit]
  return { url, method: String(init.method), body: init.body ? JSON.parse(String(init.body)) : undefined }
}

beforeEach(() => {
  fetchMock.mockReset()
  fetchMock.mockImplementation(async () => new Response(JSON.stringify({ count: 0, results: [] }), { status: 200, headers: { 'Content-Type': 'application/json' } }))
  vi.stubGlobal('fetch', fetchMock)
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('organizations api', () => {
  it('lists, creates, edits and deletes organizations', async () => {
    await listOrganizations()
    await createOrganization({ name: 'Acme', description: '' })
    await updateOrganization(5, { name: 'Acme Security' })
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }))
    await deleteOrganization(5)

    expect(sent(0)).toMatchObject({ url: '/api/v1/organizations/?page_size=500', method: 'GET' })
    expect(sent(1)).toEqual({ url: '/api/v1/organizations/', method: 'POST', body: { name: 'Acme', description: '' } })
    expect(sent(2)).toEqual({ url: '/api/v1/organizations/5/', method: 'PATCH', body: { name: 'Acme Security' } })
    expect(sent(3)).toMatchObject({ url: '/api/v1/organizations/5/', method: 'DELETE' })
  })

  it('lists, invites, re-roles and removes members', async () => {
    await listOrganizationMembers(5)
    await inviteOrganizationMember(5, { email: 'bob@example.com', role: 'member' })
    await updateOrganizationMember(5, 8, 'admin')
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }))
    await removeOrganizationMember(5, 8)

    expect(sent(0)).toMatchObject({ url: '/api/v1/organizations/5/members/?page_size=500', method: 'GET' })
    expect(sent(1)).toEqual({ url: '/api/v1/organizations/5/members/', method: 'POST', body: { email: 'bob@example.com', role: 'member' } })
    expect(sent(2)).toEqual({ url: '/api/v1/organizations/5/members/8/', method: 'PATCH', body: { role: 'admin' } })
    expect(sent(3)).toMatchObject({ url: '/api/v1/organizations/5/members/8/', method: 'DELETE' })
  })
})
