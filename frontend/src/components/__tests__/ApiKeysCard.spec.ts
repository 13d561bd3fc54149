// The API keys card: a key for every project or for one project with scopes, and each key's
// reach in the table.
import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('naive-ui', async (importOriginal) => ({
  ...(await importOriginal<typeof import('naive-ui')>()),
  useMessage: () => ({ success: vi.fn(), warning: vi.fn(), error: vi.fn() }),
  useDialog: () => ({ warning: vi.fn() }),
}))
vi.mock('@/api/auth', () => ({ listApiKeys: vi.fn(), createApiKey: vi.fn(), revokeApiKey: vi.fn() }))
vi.mock('@/api/projects', () => ({ listProjects: vi.fn() }))

import * as authApi from '@/api/auth'
import * as projectsApi from '@/api/projects'
import ApiKeysCard from '@/components/ApiKeysCard.vue'

const baseKey = {
  prefix: 'abc123',
  created_at: '2026-12-01T10:00:00Z',
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
  is_active: true,
}

function page<T>(results: T[]) {
  return { count: results.length, next: null, previous: null, results }
}

beforeEach(() => {
  vi.mocked(authApi.listApiKeys).mockReset().mockResolvedValue(
    page([
      { ...baseKey, id: 1, name: 'laptop', project: null, project_name: null, scopes: [] },
      { ...baseKey, id: 2, name: 'ci', project: 7, project_name: 'Web shop', scopes: ['read', 'import'] },
    ]) as never,
  )
  vi.mocked(authApi.createApiKey).mockReset().mockResolvedValue({ ...baseKey, id: 3, name: 'new', key: 'sl_x_y' } as never)
  vi.mocked(projectsApi.listProjects).mockReset().mockResolvedValue(
    page([
      { id: 7, name: 'Web shop', role: 'owner' },
      { id: 8, name: 'Audit only', role: 'auditor' },
    ]) as never,
  )
})

async function mountCard() {
  const wrapper = mount(ApiKeysCard, { attachTo: document.body })
  await flushPromises()
  return wrapper
}

function scopeBox(wrapper: ReturnType<typeof mount>, scope: string) {
  return wrapper.get(`[data-testid="key-scope-${scope}"]`)
}

describe('ApiKeysCard', () => {
  it('shows which project and scopes each key reaches', async () => {
    const wrapper = await mountCard()
    const reach = wrapper.findAll('[data-testid="key-reach"]').map((cell) => cell.text())
    expect(reach[0]).toBe('All your projects')
    expect(reach[1]).toContain('Web shop')
    expect(reach[1]).toContain('read')
    expect(reach[1]).toContain('import')
    wrapper.unmount()
  })

  it('creates a key for every project by default', async () => {
    const wrapper = await mountCard()
    await wrapper.get('#key-name').setValue('laptop 2')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(authApi.createApiKey).toHaveBeenCalledWith({ name: 'laptop 2', expires_at: null, project: null, scopes: [] })
    expect(wrapper.get('[data-testid="new-api-key"]').text()).toBe('sl_x_y')
    wrapper.unmount()
  })

  it('creates a key limited to one project with the scopes picked, read coming with import', async () => {
    const wrapper = await mountCard()
    await wrapper.get('#key-name').setValue('ci')
    await wrapper.get('[data-testid="key-reach-project"] input').setValue(true)
    ;(wrapper.vm as unknown as { newKey: { project: number | null } }).newKey.project = 7
    await flushPromises()
    await scopeBox(wrapper, 'import').trigger('click')
    expect(scopeBox(wrapper, 'read').classes()).toContain('n-checkbox--disabled')
    expect(scopeBox(wrapper, 'read').classes()).toContain('n-checkbox--checked')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(authApi.createApiKey).toHaveBeenCalledWith({ name: 'ci', expires_at: null, project: 7, scopes: ['read', 'import'] })
    wrapper.unmount()
  })

  it('offers read only in a project where the user is an auditor', async () => {
    const wrapper = await mountCard()
    await wrapper.get('[data-testid="key-reach-project"] input').setValue(true)
    ;(wrapper.vm as unknown as { newKey: { project: number | null } }).newKey.project = 8
    await flushPromises()
    expect(scopeBox(wrapper, 'import').classes()).toContain('n-checkbox--disabled')
    expect(scopeBox(wrapper, 'scan').classes()).toContain('n-checkbox--disabled')
    expect(wrapper.text()).toContain('auditor')
    wrapper.unmount()
  })

  it('asks for a project before sending a one-project key', async () => {
    const wrapper = await mountCard()
    await wrapper.get('#key-name').setValue('ci')
    await wrapper.get('[data-testid="key-reach-project"] input').setValue(true)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(authApi.createApiKey).not.toHaveBeenCalled()
    expect(wrapper.text()).toContain('Pick a project.')
    wrapper.unmount()
  })
})
