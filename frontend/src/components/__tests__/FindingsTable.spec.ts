// The findings table marks findings only other refs than the default branch have seen.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

import type { Finding } from '@/api/types'

vi.mock('@/api/findings', () => ({ listFindings: vi.fn(), bulkTriage: vi.fn(), findingsExportUrl: () => '', FINDINGS_EXPORT_FORMATS: [] }))
vi.mock('@/api/projects', () => ({ listMembers: vi.fn() }))

import * as findingsApi from '@/api/findings'
import FindingsTable from '@/components/FindingsTable.vue'

const finding = (id: number, title: string, onDefaultBranch: boolean) =>
  ({ id, title, severity: 'high', status: 'new', project: { id: 4, name: 'Shop' }, tool: null, assignee: null, file_path: 'a.py', line_start: 1, on_default_branch: onDefaultBranch }) as unknown as Finding

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(findingsApi.listFindings).mockResolvedValue({ count: 2, results: [finding(1, 'On main', true), finding(2, 'Only on the branch', false)] })
})

describe('FindingsTable', () => {
  it('tags a finding only other refs have seen as "branch only"', async () => {
    const Host = defineComponent({ setup: () => () => h(NMessageProvider, null, () => h(FindingsTable, { filters: { scan: 3 } })) })
    const wrapper = mount(Host, { global: { stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    expect(wrapper.get('[data-finding-id="1"]').find('[data-testid="branch-only"]').exists()).toBe(false)
    expect(wrapper.get('[data-finding-id="2"] [data-testid="branch-only"]').text()).toBe('branch only')
  })
})
