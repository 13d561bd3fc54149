// Project members: inviting by email confirms the invitation and adds no row until it is accepted.
import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider, NMessageProvider } from 'naive-ui'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

import { ApiError } from '@/api/client'

vi.mock('@/api/projects', () => ({
  listMembers: vi.fn(),
  inviteMember: vi.fn(),
  updateMember: vi.fn(),
  removeMember: vi.fn(),
}))

import * as projectsApi from '@/api/projects'
import MembersTab from '@/components/project/MembersTab.vue'

const member = (id: number, username: string, role: 'owner' | 'member' | 'auditor') => ({
  id,
  user: { id: id + 100, username, email: `${username}@example.com`, full_name: '' },
  role,
  created_at: '',
})

function mountTab(isOwner: boolean) {
  const Host = defineComponent({
    setup: () => () =>
      h(NMessageProvider, null, () => h(NDialogProvider, null, () => h(MembersTab, { projectId: 4, isOwner }))),
  })
  return mount(Host, { attachTo: document.body })
}

beforeEach(() => {
  vi.mocked(projectsApi.listMembers).mockReset()
  vi.mocked(projectsApi.inviteMember).mockReset()
  vi.mocked(projectsApi.listMembers).mockResolvedValue({ count: 2, results: [member(1, 'olivia', 'owner'), member(2, 'mia', 'member')] })
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('MembersTab', () => {
  it('says the invitation is on its way and adds no row before it is accepted', async () => {
    vi.mocked(projectsApi.inviteMember).mockResolvedValueOnce({ detail: 'An invitation to join is on its way to new@example.com.' })
    const wrapper = mountTab(true)
    await flushPromises()
    await wrapper.get('#member-email').setValue(' new@example.com ')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(projectsApi.inviteMember).toHaveBeenCalledWith(4, { email: 'new@example.com', role: 'member' })
    expect(document.body.textContent).toContain('An invitation to join is on its way to new@example.com.')
    expect(wrapper.findAll('tbody tr')).toHaveLength(2)
    expect(projectsApi.listMembers).toHaveBeenCalledTimes(1)
    expect((wrapper.get('#member-email').element as HTMLInputElement).value).toBe('')
    wrapper.unmount()
  })

  it('shows the API field error at the email and keeps what was typed', async () => {
    vi.mocked(projectsApi.inviteMember).mockRejectedValueOnce(
      new ApiError(400, 'invalid', 'Check the fields.', { email: ['Enter a valid email address.'] }),
    )
    const wrapper = mountTab(true)
    await flushPromises()
    const email = wrapper.get('#member-email')
    await email.setValue('nope')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(email.element.closest('.n-form-item')!.textContent).toContain('Enter a valid email address.')
    expect((email.element as HTMLInputElement).value).toBe('nope')
    wrapper.unmount()
  })

  it('offers no invitation form to those who are not owners', async () => {
    const wrapper = mountTab(false)
    await flushPromises()
    expect(wrapper.find('#member-email').exists()).toBe(false)
    expect(wrapper.findAll('button')).toHaveLength(0)
    wrapper.unmount()
  })
})
