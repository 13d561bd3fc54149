// The second sign-in step: a code completes the pending sign-in and goes on; a wrong code or
// an expired sign-in says so.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { ApiError } from '@/api/client'

const query: Record<string, string> = {}
const replace = vi.fn()
vi.mock('vue-router', () => ({
  useRoute: () => ({ query }),
  useRouter: () => ({ replace, push: vi.fn() }),
  createRouter: vi.fn(),
  createWebHistory: vi.fn(),
}))
vi.mock('@/api/mfa', () => ({ getMfaStatus: vi.fn(), answerChallenge: vi.fn(), challengeWebauthnOptions: vi.fn() }))

import * as mfaApi from '@/api/mfa'
import { useAuthStore } from '@/stores/useAuthStore'
import MfaChallengeView from '@/views/MfaChallengeView.vue'

const alice = { id: 1, username: 'alice', email: 'a@example.com', first_name: '', last_name: '', is_staff: false, date_joined: '', profile: {} }
const pendingStatus = { methods: ['totp', 'recovery_code'], totp_enabled: true, webauthn_credentials: [], recovery_codes_left: 10, required_reason: '', pending: 'mfa_required' }

function mountView() {
  return mount(MfaChallengeView, { global: { stubs: { RouterLink: true } } })
}

beforeEach(() => {
  setActivePinia(createPinia())
  for (const key of Object.keys(query)) delete query[key]
  replace.mockReset()
  vi.mocked(mfaApi.getMfaStatus).mockReset()
  vi.mocked(mfaApi.answerChallenge).mockReset()
})

describe('MfaChallengeView', () => {
  it('answers with the app code, signs in and goes to the page that asked', async () => {
    query.next = '/projects'
    vi.mocked(mfaApi.getMfaStatus).mockResolvedValue(pendingStatus as never)
    vi.mocked(mfaApi.answerChallenge).mockResolvedValue({ status: 'signed_in', user: alice, mfa_methods: [], recovery_codes: [] } as never)
    const wrapper = mountView()
    await flushPromises()

    await wrapper.get('#mfa-code').setValue(' 123456 ')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(mfaApi.answerChallenge).toHaveBeenCalledWith({ method: 'totp', code: '123456' })
    expect(useAuthStore().user?.username).toBe('alice')
    expect(replace).toHaveBeenCalledWith('/projects')
  })

  it('switches to a recovery code', async () => {
    vi.mocked(mfaApi.getMfaStatus).mockResolvedValue(pendingStatus as never)
    vi.mocked(mfaApi.answerChallenge).mockResolvedValue({ status: 'signed_in', user: alice, mfa_methods: [], recovery_codes: [] } as never)
    const wrapper = mountView()
    await flushPromises()

    await wrapper.get('[data-testid="mfa-use-recovery"]').trigger('click')
    await wrapper.get('#mfa-recovery').setValue('abcd-efgh-jkmn')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(mfaApi.answerChallenge).toHaveBeenCalledWith({ method: 'recovery_code', code: 'abcd-efgh-jkmn' })
  })

  it('shows the refusal of a wrong code and stays signed out', async () => {
    vi.mocked(mfaApi.getMfaStatus).mockResolvedValue(pendingStatus as never)
    vi.mocked(mfaApi.answerChallenge).mockRejectedValue(new ApiError(400, 'invalid_code', 'That code is not valid.'))
    const wrapper = mountView()
    await flushPromises()

    await wrapper.get('#mfa-code').setValue('000000')
    await wrapper.get('form').trigger('submit')
    await flushPromises()

    expect(wrapper.text()).toContain('That code is not valid.')
    expect(useAuthStore().isAuthenticated).toBe(false)
    expect(replace).not.toHaveBeenCalled()
  })

  it('says when there is no pending sign-in', async () => {
    vi.mocked(mfaApi.getMfaStatus).mockRejectedValue(new ApiError(401, 'not_authenticated', 'Sign in.'))
    const wrapper = mountView()
    await flushPromises()

    expect(wrapper.find('[data-testid="mfa-expired"]').exists()).toBe(true)
  })
})
