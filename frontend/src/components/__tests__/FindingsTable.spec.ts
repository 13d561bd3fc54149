// The findings table: "branch only" tags, keyset paging through the API's next/previous links
// (reset whenever the filter, sort or page size changes), counts the API only estimated, and
// bulk triage of everything matching the filter on top of that; assignment to anyone the API
// offers for the selection, dismissal in people's words; rule, CWE and overdue cells.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider, NSelect } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, reactive } from 'vue'

import { ApiError, type Query } from '@/api/client'
import type { FindingsPage } from '@/api/findings'
import type { Finding } from '@/api/types'

vi.mock('@/api/findings', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@/api/findings')>()),
  listFindings: vi.fn(),
  bulkTriage: vi.fn(),
  listBulkAssignees: vi.fn(),
}))

import * as findingsApi from '@/api/findings'
import FindingsTable from '@/components/FindingsTable.vue'

const finding = (id: number, title: string, onDefaultBranch = true) =>
  ({ id, title, severity: 'high', status: 'new', project: { id: 4, name: 'Shop' }, tool: null, assignee: null, file_path: 'a.py', line_start: 1, on_default_branch: onDefaultBranch }) as unknown as Finding

function page(over: Partial<FindingsPage> = {}): FindingsPage {
  return { count: 2, count_exact: true, next: null, previous: null, results: [finding(1, 'On main'), finding(2, 'Only on the branch', false)], ...over }
}
const NEXT = 'http://testserver/api/v1/findings/?cursor=cD0xMjM%3D&project=4'
const PREVIOUS = 'http://testserver/api/v1/findings/?cursor=cj0xJnA9OTk%3D&project=4'

/** The table inside a host that keeps its paging state the way the pages do (v-model). */
function mountTable(options: { filters?: Query; canTriage?: boolean; cursor?: string } = {}) {
  const state = reactive({ filters: options.filters ?? { project: 4 }, cursor: options.cursor as string | undefined, ordering: '-severity_rank', pageSize: 25 })
  const Host = defineComponent({
    setup: () => () =>
      h(NMessageProvider, null, () =>
        h(FindingsTable, {
          filters: state.filters,
          cursor: state.cursor,
          ordering: state.ordering,
          pageSize: state.pageSize,
          canTriage: options.canTriage ?? false,
          'onUpdate:cursor': (value: string | undefined) => (state.cursor = value),
          'onUpdate:ordering': (value: string) => (state.ordering = value),
          'onUpdate:pageSize': (value: number) => (state.pageSize = value),
        }),
      ),
  })
  const wrapper = mount(Host, { global: { stubs: { RouterLink: RouterLinkStub } } })
  return { wrapper, state }
}
const lastQuery = () => vi.mocked(findingsApi.listFindings).mock.lastCall?.[0]

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(findingsApi.listFindings).mockResolvedValue(page())
  vi.mocked(findingsApi.listBulkAssignees).mockResolvedValue([])
})

describe('FindingsTable', () => {
  it('tags a finding only other refs have seen as "branch only"', async () => {
    const { wrapper } = mountTable({ filters: { scan: 3 } })
    await flushPromises()
    expect(wrapper.get('[data-finding-id="1"]').find('[data-testid="branch-only"]').exists()).toBe(false)
    expect(wrapper.get('[data-finding-id="2"] [data-testid="branch-only"]').text()).toBe('branch only')
  })
})

describe('FindingsTable paging', () => {
  it('asks for the first page by keyset: no page number, no cursor, the server’s default order', async () => {
    mountTable()
    await flushPromises()
    expect(lastQuery()).toEqual({ project: 4, page_size: 25 })
  })

  it('follows the next link’s cursor, and the previous link’s back', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValueOnce(page({ next: NEXT })).mockResolvedValueOnce(page({ previous: PREVIOUS }))
    const { wrapper, state } = mountTable()
    await flushPromises()
    expect(wrapper.get('[data-testid="pager-previous"]').attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="pager-next"]').trigger('click')
    await flushPromises()
    expect(state.cursor).toBe('cD0xMjM=')
    expect(lastQuery()).toEqual({ project: 4, page_size: 25, cursor: 'cD0xMjM=' })
    expect(wrapper.get('[data-testid="pager-next"]').attributes('disabled')).toBeDefined()

    await wrapper.get('[data-testid="pager-previous"]').trigger('click')
    await flushPromises()
    expect(state.cursor).toBe('cj0xJnA9OTk=')
    expect(lastQuery()).toEqual({ project: 4, page_size: 25, cursor: 'cj0xJnA9OTk=' })
  })

  it('goes back to the first page when the previous link carries no cursor, or on "First page"', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ previous: 'http://testserver/api/v1/findings/?project=4' }))
    const { wrapper, state } = mountTable({ cursor: 'cD0xMjM=' })
    await flushPromises()
    await wrapper.get('[data-testid="pager-previous"]').trigger('click')
    await flushPromises()
    expect(state.cursor).toBeUndefined()
    expect(lastQuery()).toEqual({ project: 4, page_size: 25 })

    state.cursor = 'cD0xMjM='
    await flushPromises()
    await wrapper.get('[data-testid="pager-first"]').trigger('click')
    await flushPromises()
    expect(state.cursor).toBeUndefined()
    expect(lastQuery()).toEqual({ project: 4, page_size: 25 })
  })

  it('offers no "First page" on the first page reached backwards (a cursor, no previous link)', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ next: NEXT, previous: null }))
    const { wrapper } = mountTable({ cursor: 'cj0xJnA9OTk=' })
    await flushPromises()
    expect(wrapper.find('[data-testid="pager-first"]').exists()).toBe(false)
    expect(wrapper.get('[data-testid="pager-previous"]').attributes('disabled')).toBeDefined()
  })

  it('starts again from the first page when the filter changes', async () => {
    const { state } = mountTable({ cursor: 'cD0xMjM=' })
    await flushPromises()
    expect(lastQuery()).toMatchObject({ cursor: 'cD0xMjM=' })
    state.filters = { project: 4, severity: 'high' }
    await flushPromises()
    expect(state.cursor).toBeUndefined()
    expect(lastQuery()).toEqual({ project: 4, severity: 'high', page_size: 25 })
  })

  it('starts again from the first page when the sort or the page size changes', async () => {
    const { wrapper, state } = mountTable({ cursor: 'cD0xMjM=' })
    await flushPromises()
    await wrapper.get('th[aria-sort] button').trigger('click') // Severity: worst first → least severe first
    await flushPromises()
    expect(state.ordering).toBe('severity_rank')
    expect(state.cursor).toBeUndefined()
    expect(lastQuery()).toEqual({ project: 4, page_size: 25, ordering: 'severity_rank' })

    state.cursor = 'cD0xMjM='
    await flushPromises()
    wrapper.get('[data-testid="page-size"]').findComponent(NSelect).vm.$emit('update:value', 100)
    await flushPromises()
    expect(state.pageSize).toBe(100)
    expect(state.cursor).toBeUndefined()
    expect(lastQuery()).toEqual({ project: 4, page_size: 100, ordering: 'severity_rank' })
  })

  it('offers the first page when a later page has come up empty (its findings triaged away)', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValueOnce(page({ count: 0, results: [], previous: PREVIOUS })).mockResolvedValueOnce(page())
    const { wrapper, state } = mountTable({ cursor: 'cD0xMjM=' })
    await flushPromises()
    await wrapper.get('[data-testid="pager-back-to-first"]').trigger('click')
    await flushPromises()
    expect(state.cursor).toBeUndefined()
    expect(wrapper.findAll('tbody tr')).toHaveLength(2)
  })

  it('says where findings come from when there are none: the project\'s scans, or the projects', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ count: 0, results: [] }))
    const inProject = mountTable({ filters: { project: 4 } })
    await flushPromises()
    expect(inProject.wrapper.get('[data-testid="empty-findings-next"]').findComponent(RouterLinkStub).props('to')).toBe('/projects/4?tab=configurations')
    const everywhere = mountTable({ filters: {} })
    await flushPromises()
    expect(everywhere.wrapper.get('[data-testid="empty-findings-next"]').findComponent(RouterLinkStub).props('to')).toBe('/projects')
  })

  it('drops a cursor the API refuses and shows the first page', async () => {
    vi.mocked(findingsApi.listFindings)
      .mockRejectedValueOnce(new ApiError(400, 'invalid', 'Invalid input.', { cursor: ['Invalid cursor.'] }))
      .mockResolvedValueOnce(page())
    const { wrapper, state } = mountTable({ cursor: 'tampered' })
    await flushPromises()
    expect(state.cursor).toBeUndefined()
    expect(lastQuery()).toEqual({ project: 4, page_size: 25 })
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    expect(wrapper.findAll('tbody tr')).toHaveLength(2)
  })
})

describe('FindingsTable counts', () => {
  it('gives an exact count in full', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ count: 1234, count_exact: true, next: NEXT }))
    const { wrapper } = mountTable()
    await flushPromises()
    expect(wrapper.get('[data-testid="findings-count"]').text()).toBe('1,234 findings')
  })

  it('says "about" when the API only estimated the count', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ count: 123_456, count_exact: false, next: NEXT }))
    const { wrapper } = mountTable()
    await flushPromises()
    expect(wrapper.get('[data-testid="findings-count"]').text()).toBe('about 123,000 findings')
    expect(wrapper.get('caption').text()).toBe('Findings, about 123,000 in total')
  })
})

describe('FindingsTable bulk triage of everything matching', () => {
  it('offers all about N matching an estimated count and posts the filter, never the cursor', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ count: 123_456, count_exact: false, next: NEXT }))
    vi.mocked(findingsApi.bulkTriage).mockResolvedValue({ matched: 123_456, status_changed: 123_456, assigned: 0, unchanged: 0 } as Awaited<ReturnType<typeof findingsApi.bulkTriage>>)
    const { wrapper } = mountTable({ filters: { project: 4, severity: 'high' }, canTriage: true, cursor: 'cD0xMjM=' })
    await flushPromises()
    await wrapper.get('input[aria-label="Select every finding on this page"]').setValue(true)
    const selectAll = wrapper.get('[data-testid="select-all-matching"]')
    expect(selectAll.text()).toBe('Select all about 123,000 matching the filter')
    await selectAll.trigger('click')
    expect(wrapper.get('[data-testid="bulk-bar"] strong').text()).toBe('All about 123,000 matching selected')

    wrapper.get('[data-testid="bulk-bar"]').findComponent(NSelect).vm.$emit('update:value', 'confirmed')
    await flushPromises()
    await wrapper.get('[data-testid="bulk-apply"]').trigger('click')
    await flushPromises()
    expect(findingsApi.bulkTriage).toHaveBeenCalledWith({ filter: { project: 4, severity: 'high' }, status: 'confirmed', reason: '' })
  })

  it('offers all N matching an exact count', async () => {
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ count: 40, count_exact: true, next: NEXT }))
    const { wrapper } = mountTable({ canTriage: true })
    await flushPromises()
    await wrapper.get('input[aria-label="Select every finding on this page"]').setValue(true)
    expect(wrapper.get('[data-testid="bulk-bar"] strong').text()).toBe('2 selected')
    await wrapper.get('[data-testid="select-all-matching"]').trigger('click')
    expect(wrapper.get('[data-testid="bulk-bar"] strong').text()).toBe('All 40 matching selected')
  })
})

describe('FindingsTable columns and bulk assignment', () => {
  it('shows rule and CWE columns, a cut path with its whole in the title, and an overdue badge', async () => {
    const late = { ...finding(3, 'Late'), rule_id: 'python.django.security.injection.sql', cwe: 89, file_path: 'very/long/path/to/some/module.py', due_date: '2020-01-01' } as unknown as Finding
    const notYet = { ...finding(4, 'Not yet'), due_date: '2999-01-01' } as unknown as Finding
    vi.mocked(findingsApi.listFindings).mockResolvedValue(page({ results: [late, notYet] }))
    const { wrapper } = mountTable()
    await flushPromises()
    const headers = wrapper.findAll('th').map((th) => th.text())
    expect(headers).toEqual(expect.arrayContaining(['Rule', 'CWE', 'Due']))
    const row = wrapper.get('tr[data-finding-id="3"]')
    expect(row.text()).toContain('CWE-89')
    expect(row.get('td.rule span').attributes('title')).toBe('python.django.security.injection.sql')
    expect(row.get('td.loc').attributes('title')).toBe('very/long/path/to/some/module.py:1')
    expect(row.find('[data-testid="overdue-badge"]').exists()).toBe(true)
    expect(wrapper.get('tr[data-finding-id="4"]').find('[data-testid="overdue-badge"]').exists()).toBe(false)
  })

  it('offers the members the API lists for the selection and assigns to one', async () => {
    vi.mocked(findingsApi.listBulkAssignees).mockResolvedValue([{ id: 9, username: 'bob', email: 'b@x', full_name: 'Bob B' }])
    vi.mocked(findingsApi.bulkTriage).mockResolvedValue({ matched: 1, status_changed: 0, assigned: 1, unchanged: 0 } as Awaited<ReturnType<typeof findingsApi.bulkTriage>>)
    const { wrapper } = mountTable({ canTriage: true })
    await flushPromises()
    await wrapper.get('input[aria-label="Select On main"]').setValue(true)
    await flushPromises()
    expect(findingsApi.listBulkAssignees).toHaveBeenLastCalledWith({ ids: [1] })
    const assignee = wrapper.get('[data-testid="bulk-assignee"]').findComponent(NSelect)
    expect((assignee.props('options') as Array<{ label: string }>).map((o) => o.label)).toContain('Bob B (bob)')
    assignee.vm.$emit('update:value', '9')
    await flushPromises()
    await wrapper.get('[data-testid="bulk-apply"]').trigger('click')
    await flushPromises()
    expect(findingsApi.bulkTriage).toHaveBeenCalledWith({ ids: [1], reason: '', assignee: 9 })
  })

  it('dismisses in people’s words, an accepted risk with its last day', async () => {
    vi.mocked(findingsApi.bulkTriage).mockResolvedValue({ matched: 1, status_changed: 1, assigned: 0, unchanged: 0 } as Awaited<ReturnType<typeof findingsApi.bulkTriage>>)
    const { wrapper } = mountTable({ canTriage: true })
    await flushPromises()
    await wrapper.get('input[aria-label="Select On main"]').setValue(true)
    wrapper.get('[data-testid="bulk-status"]').findComponent(NSelect).vm.$emit('update:value', 'dismiss:accepted_risk')
    await flushPromises()
    await wrapper.get('input[aria-label="Reason"]').setValue('Until the rewrite')
    await wrapper.get('[data-testid="bulk-until"]').setValue('2031-01-31')
    await wrapper.get('[data-testid="bulk-apply"]').trigger('click')
    await flushPromises()
    expect(findingsApi.bulkTriage).toHaveBeenCalledWith({ ids: [1], reason: 'Until the rewrite', dismissal_reason: 'accepted_risk', accepted_until: '2031-01-31' })
  })
})
