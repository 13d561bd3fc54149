// The accept page: an organization link and a project link each join the right thing.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { ApiError } from '@/api/client'

const query: Record<string, string> = {}
const push = vi.fn()
vi.mock('vue-router', () => ({ useRoute: () => ({ query }), useRouter: () => ({ push }) }))
vi.mock('@/api/organizations', () => ({ acceptOrganizationInvitation: vi.fn() }))
vi.mock('@/api/projects', () => ({ acceptProjectInvitation: vi.fn() }))

import * as organizationsApi from '@/api/organizations'
import * as projectsApi from '@/api/projects'
import AcceptInvitationView from '@/views/AcceptInvitationView.vue'

beforeEach(() => {
  setActivePinia(createPinia())
  for (const key of Object.keys(query)) delete query[key]
  push.mockReset()
  vi.mocked(organizationsApi.acceptOrganizationInvitation).mockReset()
  vi.mocked(projectsApi.acceptProjectInvitation).mockReset()
})

async function clickJoin() {
  const wrapper = mount(AcceptInvitationView)
  await wrapper.get('[data-testid="accept-invitation"]').trigger('click')
  await flushPromises()
  return wrapper
}

describe('AcceptInvitationView', () => {
  it('joins a project from a project link and opens the project', async () => {
    Object.assign(query, { kind: 'project', token: 'secret' })
    vi.mocked(projectsApi.acceptProjectInvitation).mockResolvedValueOnce({
      id: 1, project: 7, role: 'auditor', created_at: '', user: { id: 2, username: 'a', email: 'a@example.com', full_name: '' },
    })
    const wrapper = await clickJoin()

    expect(wrapper.text()).toContain('Join a project')
    expect(projectsApi.acceptProjectInvitation).toHaveBeenCalledWith('secret')
    expect(organizationsApi.acceptOrganizationInvitation).not.toHaveBeenCalled()
    expect(push).toHaveBeenCalledWith({ name: 'project', params: { id: 7 } })
  })

  it('joins an organization from an organization link', async () => {
    Object.assign(query, { token: 'secret' })
    vi.mocked(organizationsApi.acceptOrganizationInvitation).mockResolvedValueOnce({
      id: 1, organization: 3, role: 'member', created_at: '', updated_at: '', user: { id: 2, username: 'a', email: 'a@example.com', full_name: '' },
    })
    await clickJoin()

    expect(projectsApi.acceptProjectInvitation).not.toHaveBeenCalled()
    expect(push).toHaveBeenCalledWith({ name: 'organization', params: { id: 3 } })
  })

  it('shows why a project link was refused', async () => {
    Object.assign(query, { kind: 'project', token: 'secret' })
    vi.mocked(projectsApi.acceptProjectInvitation).mockRejectedValueOnce(
      new ApiError(403, 'invitation_for_another_address', 'This invitation was sent to another email address.'),
    )
    const wrapper = await clickJoin()

    expect(wrapper.get('[role="alert"]').text()).toContain('another email address')
    expect(push).not.toHaveBeenCalled()
  })
})
