// Organization members: the controls each caller role gets, and inviting a member by email.
import { flushPromises, mount } from '@vue/test-utils'
import { NDialogProvider, NMessageProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

vi.mock('@/api/organizations', () => ({
  listOrganizationMembers: vi.fn(),
  inviteOrganizationMember: vi.fn(),
  updateOrganizationMember: vi.fn(),
  removeOrganizationMember: vi.fn(),
}))

import { ApiError } from '@/api/client'
import * as organizationsApi from '@/api/organizations'
import OrganizationMembers from '@/components/organization/OrganizationMembers.vue'

const member = (id: number, username: string, role: 'owner' | 'admin' | 'member') => ({
  id,
  user: { id: id + 100, username, email: `${username}@example.com`, full_name: '' },
  role,
  created_at: '',
  updated_at: '',
})

function mountMembers(callerRole: string | null) {
  const Host = defineComponent({
    setup: () => () =>
      h(NMessageProvider, null, () => h(NDialogProvider, null, () => h(OrganizationMembers, { organizationId: 5, callerRole }))),
  })
  return mount(Host, { attachTo: document.body })
}

function row(wrapper: ReturnType<typeof mountMembers>, username: string) {
  return wrapper.get(`tr[data-member="${username}"]`)
}

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(organizationsApi.listOrganizationMembers).mockReset()
  vi.mocked(organizationsApi.inviteOrganizationMember).mockReset()
  vi.mocked(organizationsApi.listOrganizationMembers).mockResolvedValue({
    count: 3,
    results: [member(1, 'olivia', 'owner'), member(2, 'adam', 'admin'), member(3, 'mia', 'member')],
  })
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('OrganizationMembers', () => {
  it('offers a plain member no control at all', async () => {
    const wrapper = mountMembers('member')
    await flushPromises()
    expect(wrapper.findAll('tr[data-member]')).toHaveLength(3)
    expect(wrapper.findAll('button')).toHaveLength(0)
    expect(wrapper.findAll('[data-testid="member-role"]')).toHaveLength(0)
    expect(wrapper.find('#organization-member-email').exists()).toBe(false)
    wrapper.unmount()
  })

  it('lets an admin manage admins and members but not owners', async () => {
    const wrapper = mountMembers('admin')
    await flushPromises()
    expect(row(wrapper, 'olivia').find('[data-testid="member-role"]').exists()).toBe(false)
    expect(row(wrapper, 'olivia').find('button').exists()).toBe(false)
    for (const name of ['adam', 'mia']) {
      expect(row(wrapper, name).find('[data-testid="member-role"]').exists()).toBe(true)
      expect(row(wrapper, name).get('button').text()).toBe('Remove')
    }
    expect(wrapper.find('#organization-member-email').exists()).toBe(true)
    wrapper.unmount()
  })

  it('lets an owner manage owners too', async () => {
    const wrapper = mountMembers('owner')
    await flushPromises()
    expect(row(wrapper, 'olivia').find('[data-testid="member-role"]').exists()).toBe(true)
    expect(row(wrapper, 'olivia').get('button').text()).toBe('Remove')
    wrapper.unmount()
  })

  it('invites by email and shows the API field error at the email', async () => {
    vi.mocked(organizationsApi.inviteOrganizationMember).mockRejectedValueOnce(
      new ApiError(400, 'invalid', 'Check the fields.', { email: ['Enter a valid email address.'] }),
    )
    const wrapper = mountMembers('admin')
    await flushPromises()
    const email = wrapper.get('#organization-member-email')
    await email.setValue(' nobody@example.com ')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(organizationsApi.inviteOrganizationMember).toHaveBeenCalledWith(5, { email: 'nobody@example.com', role: 'member' })
    expect(email.element.closest('.n-form-item')!.textContent).toContain('Enter a valid email address.')
    expect(wrapper.get('[role="alert"]').text()).toBe('Check the fields.')
    wrapper.unmount()
  })

  it('says the invitation is on its way and adds no row before it is accepted', async () => {
    vi.mocked(organizationsApi.inviteOrganizationMember).mockResolvedValueOnce({ detail: 'An invitation to join is on its way to new@example.com.' })
    const wrapper = mountMembers('admin')
    await flushPromises()
    await wrapper.get('#organization-member-email').setValue('new@example.com')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(document.body.textContent).toContain('An invitation to join is on its way to new@example.com.')
    expect(wrapper.findAll('tr[data-member]')).toHaveLength(3)
    expect((wrapper.get('#organization-member-email').element as HTMLInputElement).value).toBe('')
    wrapper.unmount()
  })
})
