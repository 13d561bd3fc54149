// Registration speaks through email: the same answer for every address, then the emailed link
// activates the account.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'

vi.mock('@/api/auth', () => ({
  register: vi.fn(),
  confirmRegistration: vi.fn(),
}))

import * as authApi from '@/api/auth'
import { ApiError } from '@/api/client'
import ActivateView from '@/views/ActivateView.vue'
import RegisterView from '@/views/RegisterView.vue'

async function mountAt(component: object, path: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/register', component: RegisterView },
      { path: '/activate', component: ActivateView },
      { path: '/login', component: { template: '<p>login</p>' } },
    ],
  })
  await router.push(path)
  await router.isReady()
  return mount(component, { global: { plugins: [router] }, attachTo: document.body })
}

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(authApi.register).mockReset()
  vi.mocked(authApi.confirmRegistration).mockReset()
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('RegisterView', () => {
  it('shows the server answer and no form once sent', async () => {
    vi.mocked(authApi.register).mockResolvedValue({ detail: 'Thanks. We sent an email to the address you gave.' })
    const wrapper = await mountAt(RegisterView, '/register')
    await wrapper.get('#register-username').setValue('bob')
    await wrapper.get('#register-email').setValue('bob@example.com')
    await wrapper.get('#register-password').setValue('correct-horse-battery')
    await wrapper.get('#register-confirm').setValue('correct-horse-battery')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(authApi.register).toHaveBeenCalledWith({ username: 'bob', email: 'bob@example.com', password: 'correct-horse-battery', first_name: '', last_name: '' })
    expect(wrapper.get('[data-testid="register-sent"]').text()).toContain('We sent an email')
    expect(wrapper.find('form').exists()).toBe(false)
    wrapper.unmount()
  })
})

describe('ActivateView', () => {
  it('activates from the link and offers sign-in', async () => {
    vi.mocked(authApi.confirmRegistration).mockResolvedValue({ detail: 'Your account is active. You can sign in now.' })
    const wrapper = await mountAt(ActivateView, '/activate?uid=MQ&token=abc-123')
    await flushPromises()

    expect(authApi.confirmRegistration).toHaveBeenCalledWith({ uid: 'MQ', token: 'abc-123' })
    expect(wrapper.get('[data-testid="activation-done"]').text()).toContain('Your account is active')
    wrapper.unmount()
  })

  it('says when the link is used or expired', async () => {
    vi.mocked(authApi.confirmRegistration).mockRejectedValue(new ApiError(400, 'invalid_token', 'This link is invalid or has expired.'))
    const wrapper = await mountAt(ActivateView, '/activate?uid=MQ&token=old')
    await flushPromises()

    expect(wrapper.get('[role="alert"]').text()).toBe('This link is invalid or has expired.')
    wrapper.unmount()
  })

  it('calls nothing for an incomplete link', async () => {
    const wrapper = await mountAt(ActivateView, '/activate?uid=MQ')
    await flushPromises()

    expect(authApi.confirmRegistration).not.toHaveBeenCalled()
    expect(wrapper.text()).toContain('This link is incomplete')
    wrapper.unmount()
  })
})
