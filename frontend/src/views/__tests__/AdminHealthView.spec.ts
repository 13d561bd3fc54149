// The health page tells staff whether tool runs are sandboxed or run with reduced isolation.
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('@/api/findings', () => ({ getHealth: vi.fn(), getWorkersHealth: vi.fn() }))
vi.mock('@/stores/useToolsStore', () => ({
  useToolsStore: () => ({ tools: [], load: vi.fn().mockResolvedValue(undefined) }),
}))

import * as findingsApi from '@/api/findings'
import AdminHealthView from '@/views/AdminHealthView.vue'

function workersReport(toolIsolation: Record<string, unknown>) {
  return { ok: true, workers: ['w1@host'], tool_isolation: toolIsolation }
}

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(findingsApi.getHealth).mockResolvedValue({
    status: 'ok',
    database: { ok: true },
    broker: { ok: true },
    tool_isolation: { ok: true, isolation: 'sandboxed' },
  } as never)
})

describe('AdminHealthView', () => {
  it('says tool runs are sandboxed when the workers report it', async () => {
    vi.mocked(findingsApi.getWorkersHealth).mockResolvedValue(
      workersReport({ ok: true, isolation: 'sandboxed', reason: '' }) as never,
    )
    const wrapper = mount(AdminHealthView)
    await flushPromises()
    const line = wrapper.get('[data-testid="tool-isolation"]')
    expect(line.attributes('data-isolation')).toBe('sandboxed')
    expect(line.text()).toContain('sandboxed')
  })

  it('says isolation is reduced, and why', async () => {
    vi.mocked(findingsApi.getWorkersHealth).mockResolvedValue(
      workersReport({ ok: false, isolation: 'reduced', reason: 'bwrap: No permissions to create new namespace' }) as never,
    )
    const wrapper = mount(AdminHealthView)
    await flushPromises()
    const line = wrapper.get('[data-testid="tool-isolation"]')
    expect(line.attributes('data-isolation')).toBe('reduced')
    expect(line.text()).toContain('reduced isolation')
    expect(line.text()).toContain('No permissions to create new namespace')
  })
})
