// The profile's two-factor card: its state, and changes that ask for the password first.
import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('naive-ui', async (importOriginal) => {
  const { defineComponent, h } = await import('vue')
  return {
    ...(await importOriginal<typeof import('naive-ui')>()),
    useMessage: () => ({ success: vi.fn(), warning: vi.fn(), error: vi.fn() }),
    // In place, not teleported: the dialog's form is then inside the wrapper.
    NModal: defineComponent({ props: { show: Boolean }, setup: (props, { slots }) => () => (props.show ? h('div', { class: 'modal' }, slots.default?.()) : null) }),
  }
})
vi.mock('@/api/mfa', () => ({
  getMfaStatus: vi.fn(),
  removeTotp: vi.fn(),
  removeWebauthn: vi.fn(),
  regenerateRecoveryCodes: vi.fn(),
  webauthnRegister: vi.fn(),
  webauthnRegisterOptions: vi.fn(),
}))

import * as mfaApi from '@/api/mfa'
import TwoFactorCard from '@/components/TwoFactorCard.vue'

const on = {
  methods: ['totp', 'recovery_code'],
  totp_enabled: true,
  webauthn_credentials: [],
  recovery_codes_left: 7,
  required_reason: 'staff',
  pending: '',
}

beforeEach(() => {
  vi.mocked(mfaApi.getMfaStatus).mockReset().mockResolvedValue(on as never)
  vi.mocked(mfaApi.regenerateRecoveryCodes).mockReset()
  vi.mocked(mfaApi.removeTotp).mockReset()
})

function mountCard() {
  return mount(TwoFactorCard, { global: { stubs: { RouterLink: { template: '<a><slot /></a>' } } } })
}

describe('TwoFactorCard', () => {
  it('shows the state, why it is required and the codes left', async () => {
    const wrapper = mountCard()
    await flushPromises()

    expect(wrapper.get('[data-testid="two-factor-state"]').text()).toBe('On')
    expect(wrapper.text()).toContain('Required for staff accounts.')
    expect(wrapper.get('[data-testid="recovery-left"]').text()).toBe('7 left')
    expect(wrapper.find('[data-testid="totp-setup"]').exists()).toBe(false)
  })

  it('offers to set up the app when there is no factor', async () => {
    vi.mocked(mfaApi.getMfaStatus).mockResolvedValue({ ...on, methods: [], totp_enabled: false, recovery_codes_left: 0, required_reason: '' } as never)
    const wrapper = mountCard()
    await flushPromises()

    expect(wrapper.get('[data-testid="two-factor-state"]').text()).toBe('Off')
    expect(wrapper.find('[data-testid="totp-setup"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="recovery-left"]').exists()).toBe(false)
  })

  it('asks for the password before new recovery codes, then shows them once', async () => {
    vi.mocked(mfaApi.regenerateRecoveryCodes).mockResolvedValue({ recovery_codes: ['aaaa-bbbb-cccc', 'dddd-eeee-ffff'] })
    const wrapper = mountCard()
    await flushPromises()

    await wrapper.get('[data-testid="recovery-regenerate"]').trigger('click')
    await wrapper.get('#mfa-reauth').setValue('my password')
    await wrapper.get('.modal form').trigger('submit')
    await flushPromises()

    expect(mfaApi.regenerateRecoveryCodes).toHaveBeenCalledWith({ password: 'my password' })
    expect(wrapper.findAll('[data-testid="recovery-code"]').map((li) => li.text())).toEqual(['aaaa-bbbb-cccc', 'dddd-eeee-ffff'])
  })

  it('sends a six-digit answer as an app code', async () => {
    vi.mocked(mfaApi.removeTotp).mockResolvedValue(undefined)
    const wrapper = mountCard()
    await flushPromises()

    await wrapper.get('[data-testid="totp-remove"]').trigger('click')
    await wrapper.get('#mfa-reauth').setValue('123456')
    await wrapper.get('.modal form').trigger('submit')
    await flushPromises()

    expect(mfaApi.removeTotp).toHaveBeenCalledWith({ code: '123456' })
  })
})
