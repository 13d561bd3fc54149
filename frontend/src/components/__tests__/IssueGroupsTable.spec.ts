// The grouped findings list: one row per issue, expandable to its findings, triaged as a whole.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider, NSelect } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

vi.mock('@/api/issueGroups', () => ({ listIssueGroups: vi.fn(), listIssueGroupFindings: vi.fn(), triageIssueGroup: vi.fn() }))
vi.mock('@/api/findings', async (importOriginal) => ({ ...(await importOriginal<typeof import('@/api/findings')>()), listBulkAssignees: vi.fn() }))

import * as groupsApi from '@/api/issueGroups'
import * as findingsApi from '@/api/findings'
import type { Finding, IssueGroup } from '@/api/types'
import IssueGroupsTable from '@/components/IssueGroupsTable.vue'

const group = {
  id: 7, project: { id: 1, name: 'Shop' }, title: 'SQL injection', severity: 'high', severity_rank: 4, status: 'new',
  is_open: true, member_count: 2, open_count: 2, tools: ['bandit', 'semgrep'], representative: 11,
  file_path: 'app/views.py', line_start: 41, cwe: 89, package_name: '', url: '', last_seen_at: null,
} as IssueGroup
const members = [
  { id: 11, title: 'SQL by semgrep', severity: 'high', status: 'new', rule_id: 'sql', cwe: 89, file_path: 'app/views.py', line_start: 41, tool: { id: 1, slug: 'semgrep', name: 'Semgrep' } },
  { id: 12, title: 'SQL by bandit', severity: 'medium', status: 'new', rule_id: 'B608', cwe: 89, file_path: 'app/views.py', line_start: 41, tool: { id: 2, slug: 'bandit', name: 'Bandit' } },
] as unknown as Finding[]

function mountTable(filters: Record<string, string> = {}) {
  const Host = defineComponent({ setup: () => () => h(NMessageProvider, null, () => h(IssueGroupsTable, { filters, canTriage: true })) })
  return mount(Host, { global: { stubs: { RouterLink: RouterLinkStub } } })
}

beforeEach(() => {
  vi.clearAllMocks()
  setActivePinia(createPinia())
  vi.mocked(groupsApi.listIssueGroups).mockResolvedValue({ count: 1, count_exact: true, next: null, previous: null, results: [group] })
  vi.mocked(groupsApi.listIssueGroupFindings).mockResolvedValue({ count: 2, count_exact: true, next: null, previous: null, results: members })
  vi.mocked(findingsApi.listBulkAssignees).mockResolvedValue([{ id: 9, username: 'bob', email: 'b@x', full_name: 'Bob B' }])
})

describe('IssueGroupsTable', () => {
  it('shows one row per group with its tools and count, asking with every filter of the flat list', async () => {
    const filters = { project: '1', status: 'new,confirmed', search: 'sql', rule_id: 'B608', cwe: '89', assignee: '9', overdue: 'true' }
    const wrapper = mountTable(filters)
    await flushPromises()
    expect(vi.mocked(groupsApi.listIssueGroups).mock.lastCall?.[0]).toEqual({ ...filters, page_size: 25 })
    const row = wrapper.get('tr[data-group-id="7"]')
    expect(row.text()).toContain('SQL injection')
    expect(row.text()).toContain('2 findings')
    expect(row.findAll('[data-testid="group-tool"]').map((tag) => tag.text())).toEqual(['bandit', 'semgrep'])
    expect(wrapper.find('[data-testid="groups-ignored-filters"]').exists()).toBe(false)
  })

  it('expands a group to its findings', async () => {
    const wrapper = mountTable()
    await flushPromises()
    await wrapper.get('[data-testid="group-expand"]').trigger('click')
    await flushPromises()
    expect(groupsApi.listIssueGroupFindings).toHaveBeenCalledWith(7)
    const rows = wrapper.findAll('[data-testid="group-members"] tbody tr')
    expect(rows.map((r) => r.attributes('data-finding-id'))).toEqual(['11', '12'])
    // The flat list's cells: the rule with its tool below, the CWE on its own.
    expect(wrapper.findAll('[data-testid="group-members"] th').map((th) => th.text())).toEqual(['Severity', 'Title', 'Status', 'Rule', 'CWE', 'Location'])
    expect(rows[1].get('td.rule span').attributes('title')).toBe('B608')
    expect(rows[1].get('td.rule').text()).toContain('Bandit')
    expect(rows[1].get('td.loc').text()).toBe('app/views.py:41')
  })

  it('triages the group, asking for a reason first where one is needed', async () => {
    vi.mocked(groupsApi.triageIssueGroup).mockResolvedValue({ matched: 2, status_changed: 2, assigned: 0, unchanged: 0, group: { ...group, status: 'false_positive', is_open: false } })
    const wrapper = mountTable()
    await flushPromises()
    await wrapper.get('[data-testid="group-triage"]').trigger('click')
    await flushPromises()
    expect(findingsApi.listBulkAssignees).toHaveBeenCalledWith({ filter: { project: '1' } })
    wrapper.get('[data-testid="group-triage-status"]').findComponent(NSelect).vm.$emit('update:value', 'false_positive')
    await flushPromises()
    await wrapper.get('[data-testid="group-triage-apply"]').trigger('click')
    expect(wrapper.text()).toContain('Give a reason for this status.')
    expect(groupsApi.triageIssueGroup).not.toHaveBeenCalled()
    await wrapper.get('input[aria-label="Reason"]').setValue('Parameterised by the ORM')
    await wrapper.get('[data-testid="group-triage-apply"]').trigger('click')
    await flushPromises()
    expect(groupsApi.triageIssueGroup).toHaveBeenCalledWith(7, { status: 'false_positive', reason: 'Parameterised by the ORM' })
    expect(groupsApi.listIssueGroups).toHaveBeenCalledTimes(2)
  })
})
