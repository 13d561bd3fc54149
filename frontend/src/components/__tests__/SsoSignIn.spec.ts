// The sign-in page's SSO part: a button per provider that starts the provider's flow, the
// refusal reason from `?sso_error=`, the password form hidden when passwords are off, and the
// hand-over to the app or the second-factor pages when the provider sent the browser back.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'

vi.mock('@/api/sso', () => ({ listSsoProviders: vi.fn(), startSso: vi.fn() }))
vi.mock('@/api/auth', () => ({ getMe: vi.fn(), login: vi.fn(), logout: vi.fn() }))

import * as authApi from '@/api/auth'
import * as ssoApi from '@/api/sso'
import LoginView from '@/views/LoginView.vue'
import { ssoErrorMessage, ssoNextPath } from '@/utils/sso'

const PROVIDERS = [
  { id: 'okta', name: 'Okta', kind: 'oidc' as const, start_url: '/api/v1/auth/sso/providers/okta/start/' },
  { id: 'corp', name: 'Corporate SAML', kind: 'saml' as const, start_url: '/api/v1/auth/sso/providers/corp/start/' },
]

async function mountAt(path: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/login', component: LoginView },
      { path: '/', component: { template: '<p>home</p>' } },
      { path: '/login/two-factor', component: { template: '<p>two-factor</p>' } },
      { path: '/login/two-factor/setup', component: { template: '<p>setup</p>' } },
      { path: '/forgot-password', component: { template: '<p>forgot</p>' } },
      { path: '/register', component: { template: '<p>register</p>' } },
    ],
  })
  await router.push(path)
  await router.isReady()
  const wrapper = mount(LoginView, { global: { plugins: [router] }, attachTo: document.body })
  await flushPromises()
  return { wrapper, router }
}

const assign = vi.fn()

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(ssoApi.listSsoProviders).mockReset().mockResolvedValue({ providers: PROVIDERS, local_passwords: true })
  vi.mocked(ssoApi.startSso).mockReset().mockResolvedValue({ redirect_url: '/accounts/sso/okta/start/?token=t1' })
  vi.mocked(authApi.getMe).mockReset().mockResolvedValue({ id: 1, username: 'alice' } as never)
  assign.mockReset()
  vi.stubGlobal('location', { ...window.location, assign })
})
afterEach(() => {
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
})

describe('LoginView single sign-on', () => {
  it('shows a button per provider that starts its flow in this browser', async () => {
    const { wrapper } = await mountAt('/login')
    expect(wrapper.get('[data-testid="sso-okta"]').text()).toBe('Sign in with Okta')
    expect(wrapper.find('[data-testid="sso-corp"]').exists()).toBe(true)
    expect(wrapper.find('#login-password').exists()).toBe(true)

    await wrapper.get('[data-testid="sso-okta"]').trigger('click')
    await flushPromises()

    expect(ssoApi.startSso).toHaveBeenCalledWith('okta', 'login')
    expect(assign).toHaveBeenCalledWith('/accounts/sso/okta/start/?token=t1')
  })

  it('says why the provider sign-in was refused', async () => {
    const { wrapper } = await mountAt('/login?sso_error=email_unverified')
    expect(wrapper.get('[data-testid="sso-error"]').text()).toContain('does not vouch for the address')
  })

  it('hides the password form when local passwords are off, except for break-glass', async () => {
    vi.mocked(ssoApi.listSsoProviders).mockResolvedValue({ providers: PROVIDERS, local_passwords: false })
    const { wrapper } = await mountAt('/login')
    expect(wrapper.find('#login-password').exists()).toBe(false)
    expect(wrapper.text()).not.toContain('Create an account')

    await wrapper.get('[data-testid="break-glass"]').trigger('click')

    expect(wrapper.find('#login-password').exists()).toBe(true)
  })

  it.each([
    ['signed_in', '/'],
    ['mfa_required', '/login/two-factor'],
    ['mfa_enrolment_required', '/login/two-factor/setup'],
  ])('after the provider (%s) goes on to %s', async (status, path) => {
    const { router } = await mountAt(`/login?sso=done&status=${status}`)
    expect(router.currentRoute.value.path).toBe(path)
    expect(vi.mocked(authApi.getMe).mock.calls.length).toBe(status === 'signed_in' ? 1 : 0)
  })
})

describe('sso utils', () => {
  it('maps codes to messages, unknown ones to the generic message', () => {
    expect(ssoErrorMessage('replayed')).toContain('already used')
    expect(ssoErrorMessage('something-else')).toContain('Single sign-on failed')
    expect(ssoErrorMessage(undefined)).toBeNull()
    expect(ssoNextPath('weird')).toBe('/')
  })
})
