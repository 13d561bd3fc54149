// A project's findings tab: grouped by issue by default with the findings page's switch, every
// filter passed to the grouped list, no project column either way, and the assignee filter
// offering the project's people.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider, NSelect } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, reactive } from 'vue'

type Query = Record<string, string>
const route = reactive<{ query: Query }>({ query: {} })
const replace = vi.fn(async ({ query }: { query: Query }) => {
  route.query = query
})
vi.mock('vue-router', () => ({ useRoute: () => route, useRouter: () => ({ replace, push: vi.fn() }) }))
vi.mock('@/api/findings', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@/api/findings')>()),
  listFindings: vi.fn(),
  listSavedFilters: vi.fn(),
  listBulkAssignees: vi.fn(),
}))
vi.mock('@/api/issueGroups', () => ({ listIssueGroups: vi.fn(), listIssueGroupFindings: vi.fn(), triageIssueGroup: vi.fn() }))
vi.mock('@/api/projects', () => ({ listTargets: vi.fn(), listProjects: vi.fn() }))
vi.mock('@/api/scans', () => ({ listTools: vi.fn() }))

import * as findingsApi from '@/api/findings'
import * as groupsApi from '@/api/issueGroups'
import * as projectsApi from '@/api/projects'
import * as scansApi from '@/api/scans'
import type { Finding, IssueGroup } from '@/api/types'
import FindingsTab from '@/components/project/FindingsTab.vue'

const group = {
  id: 7, project: { id: 3, name: 'Shop' }, title: 'SQL injection', severity: 'high', severity_rank: 4, status: 'new',
  is_open: true, member_count: 2, open_count: 2, tools: ['bandit', 'semgrep'], representative: 11,
  file_path: 'app/views.py', line_start: 41, cwe: 89, package_name: '', url: '', last_seen_at: null,
} as IssueGroup
const finding = { id: 11, title: 'SQL by semgrep', severity: 'high', status: 'new', project: { id: 3, name: 'Shop' }, tool: null, assignee: null } as unknown as Finding

function mountTab() {
  const Host = defineComponent({ setup: () => () => h(NMessageProvider, null, () => h(FindingsTab, { projectId: 3, canTriage: true })) })
  return mount(Host, { global: { stubs: { RouterLink: RouterLinkStub } } })
}

beforeEach(() => {
  vi.clearAllMocks()
  setActivePinia(createPinia())
  route.query = { tab: 'findings' }
  vi.mocked(groupsApi.listIssueGroups).mockResolvedValue({ count: 1, count_exact: true, next: null, previous: null, results: [group] })
  vi.mocked(findingsApi.listFindings).mockResolvedValue({ count: 1, count_exact: true, next: null, previous: null, results: [finding] })
  vi.mocked(findingsApi.listSavedFilters).mockResolvedValue([])
  vi.mocked(findingsApi.listBulkAssignees).mockResolvedValue([{ id: 9, username: 'bob', email: 'b@x', full_name: 'Bob B' }])
  vi.mocked(projectsApi.listTargets).mockResolvedValue({ count: 0, results: [] } as never)
  vi.mocked(scansApi.listTools).mockResolvedValue({ count: 0, results: [] })
})

describe('FindingsTab', () => {
  it('shows the project’s issue groups by default, filtered like the flat list, without a project column', async () => {
    route.query = { tab: 'findings', rule_id: 'B608', cwe: '89' }
    const wrapper = mountTab()
    await flushPromises()
    expect(vi.mocked(groupsApi.listIssueGroups).mock.lastCall?.[0]).toEqual({ rule_id: 'B608', cwe: '89', state: 'open', project: 3, page_size: 25 })
    expect(wrapper.get('[data-testid="view-grouped"]').attributes('aria-pressed')).toBe('true')
    const headers = wrapper.findAll('[data-testid="issue-groups-table"] > thead th').map((th) => th.text())
    expect(headers).toContain('Tools that agree')
    expect(headers).not.toContain('Project')
    expect(findingsApi.listFindings).not.toHaveBeenCalled()
  })

  it('switches to every finding and back, keeping the tab and the filters', async () => {
    route.query = { tab: 'findings', cwe: '89' }
    const wrapper = mountTab()
    await flushPromises()
    await wrapper.get('[data-testid="view-flat"]').trigger('click')
    await flushPromises()
    expect(route.query).toEqual({ tab: 'findings', cwe: '89', view: 'flat' })
    expect(vi.mocked(findingsApi.listFindings).mock.lastCall?.[0]).toEqual({ cwe: '89', state: 'open', project: 3, page_size: 25 })
    expect(wrapper.find('[data-testid="issue-groups-table"]').exists()).toBe(false)
    const headers = wrapper.findAll('[data-testid="findings-table"] th').map((th) => th.text())
    expect(headers).toContain('Rule')
    expect(headers).not.toContain('Project')
    await wrapper.get('[data-testid="view-grouped"]').trigger('click')
    await flushPromises()
    expect(route.query).toEqual({ tab: 'findings', cwe: '89' })
    expect(wrapper.find('[data-testid="issue-groups-table"]').exists()).toBe(true)
  })

  it('offers me, nobody and the project’s people as assignees, filtering by the user id', async () => {
    const wrapper = mountTab()
    await flushPromises()
    expect(findingsApi.listBulkAssignees).toHaveBeenCalledWith({ filter: { project: '3' }, any_project: true })
    const select = wrapper.get('[data-testid="filter-assignee"]').findComponent(NSelect)
    expect((select.props('options') as Array<{ value: string; label: string }>).map((o) => [o.value, o.label])).toEqual([
      ['me', 'Me'],
      ['none', 'Nobody'],
      ['9', 'Bob B (bob)'],
    ])
    select.vm.$emit('update:value', '9')
    await flushPromises()
    expect(route.query).toEqual({ tab: 'findings', assignee: '9' })
    expect(vi.mocked(groupsApi.listIssueGroups).mock.lastCall?.[0]).toEqual({ assignee: '9', state: 'open', project: 3, page_size: 25 })
  })
})
