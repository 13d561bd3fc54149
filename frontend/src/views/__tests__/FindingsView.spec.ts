// The findings page keeps its paging in the URL: the cursor of the page shown, dropped whenever
// the filter, sort or page size changes, and followed as it is when back/forward restores a URL.
// It asks for open findings unless the open/closed switch says otherwise, and saved filters
// replace the URL's filters.
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
  bulkTriage: vi.fn(),
  listSavedFilters: vi.fn(),
  saveFilter: vi.fn(),
  listBulkAssignees: vi.fn(),
}))
vi.mock('@/api/projects', () => ({ listTargets: vi.fn(), listMembers: vi.fn(), listProjects: vi.fn() }))
vi.mock('@/api/scans', () => ({ listTools: vi.fn() }))

import * as findingsApi from '@/api/findings'
import type { Finding } from '@/api/types'
import * as projectsApi from '@/api/projects'
import * as scansApi from '@/api/scans'
import FindingsView from '@/views/FindingsView.vue'

const NEXT = 'http://testserver/api/v1/findings/?cursor=bmV4dA%3D%3D&severity=high'
const row = { id: 1, title: 'SQL injection', severity: 'high', status: 'new', project: { id: 1, name: 'Shop' }, tool: null, assignee: null } as unknown as Finding
const lastQuery = () => vi.mocked(findingsApi.listFindings).mock.lastCall?.[0]

function mountView() {
  const Host = defineComponent({ setup: () => () => h(NMessageProvider, null, () => h(FindingsView)) })
  return mount(Host, { global: { stubs: { RouterLink: RouterLinkStub } } })
}

beforeEach(() => {
  setActivePinia(createPinia())
  route.query = {}
  replace.mockClear()
  vi.mocked(findingsApi.listFindings).mockResolvedValue({ count: 50_000, count_exact: false, next: NEXT, previous: null, results: [row] })
  vi.mocked(projectsApi.listProjects).mockResolvedValue({ count: 0, results: [] })
  vi.mocked(scansApi.listTools).mockResolvedValue({ count: 0, results: [] })
  vi.mocked(findingsApi.listSavedFilters).mockResolvedValue([])
  vi.mocked(findingsApi.listBulkAssignees).mockResolvedValue([])
})

describe('FindingsView paging in the URL', () => {
  it('shows the page the URL’s cursor points at, and moves it on "Next"', async () => {
    route.query = { view: 'flat', severity: 'high', cursor: 'c3' }
    const wrapper = mountView()
    await flushPromises()
    expect(lastQuery()).toEqual({ severity: 'high', state: 'open', page_size: 25, cursor: 'c3' })
    await wrapper.get('[data-testid="pager-next"]').trigger('click')
    await flushPromises()
    expect(replace).toHaveBeenLastCalledWith({ query: { view: 'flat', severity: 'high', cursor: 'bmV4dA==' } })
    expect(lastQuery()).toEqual({ severity: 'high', state: 'open', page_size: 25, cursor: 'bmV4dA==' })
  })

  it('drops the cursor (and an old page number) when the filter changes', async () => {
    route.query = { view: 'flat', severity: 'high', cursor: 'c3', page: '7' }
    const wrapper = mountView()
    await flushPromises()
    wrapper.get('[data-testid="filter-severity"]').findComponent(NSelect).vm.$emit('update:value', ['critical'])
    await flushPromises()
    expect(replace).toHaveBeenCalledTimes(1)
    expect(route.query).toEqual({ view: 'flat', severity: 'critical' })
    expect(lastQuery()).toEqual({ severity: 'critical', state: 'open', page_size: 25 })
  })

  it('drops the cursor in the same step as a new sort', async () => {
    route.query = { view: 'flat', cursor: 'c3' }
    const wrapper = mountView()
    await flushPromises()
    await wrapper.get('th[aria-sort] button').trigger('click')
    await flushPromises()
    expect(replace).toHaveBeenCalledTimes(1)
    expect(route.query).toEqual({ view: 'flat', ordering: 'severity_rank' })
    expect(lastQuery()).toEqual({ state: 'open', page_size: 25, ordering: 'severity_rank' })
  })

  it('follows a URL that back/forward restores, filter and cursor together', async () => {
    route.query = { view: 'flat', severity: 'high', cursor: 'c3' }
    mountView()
    await flushPromises()
    route.query = { view: 'flat', severity: 'critical', cursor: 'c9' }
    await flushPromises()
    expect(replace).not.toHaveBeenCalled()
    expect(lastQuery()).toEqual({ severity: 'critical', state: 'open', page_size: 25, cursor: 'c9' })
  })
})

describe('FindingsView open/closed switch and saved filters', () => {
  it('asks for open findings by default, and keeps only another choice in the URL', async () => {
    route.query = { view: 'flat' }
    const wrapper = mountView()
    await flushPromises()
    expect(lastQuery()).toEqual({ state: 'open', page_size: 25 })
    await wrapper.get('[data-testid="state-all"] input').setValue(true)
    await flushPromises()
    expect(route.query).toEqual({ view: 'flat', state: 'all' })
    expect(lastQuery()).toEqual({ page_size: 25 })
    await wrapper.get('[data-testid="state-closed"] input').setValue(true)
    await flushPromises()
    expect(lastQuery()).toEqual({ state: 'closed', page_size: 25 })
    await wrapper.get('[data-testid="state-open"] input').setValue(true)
    await flushPromises()
    expect(route.query).toEqual({ view: 'flat' })
  })

  it('applies a saved filter in place of the current filters', async () => {
    vi.mocked(findingsApi.listSavedFilters).mockResolvedValue([
      { id: 4, name: 'Closed criticals', query: 'state=closed&severity=critical', created_at: '2026-01-01T00:00:00Z' },
    ])
    route.query = { view: 'flat', tool: 'bandit', cursor: 'c3' }
    const wrapper = mountView()
    await flushPromises()
    wrapper.get('[data-testid="saved-filter-select"]').findComponent(NSelect).vm.$emit('update:value', 4)
    await flushPromises()
    expect(route.query).toEqual({ view: 'flat', state: 'closed', severity: 'critical' })
    expect(lastQuery()).toEqual({ state: 'closed', severity: 'critical', page_size: 25 })
  })

  it('saves the current view under a name', async () => {
    vi.mocked(findingsApi.saveFilter).mockResolvedValue({ id: 5, name: 'Mine', query: 'assignee=me', created_at: '' })
    route.query = { assignee: 'me', cursor: 'c3' }
    const wrapper = mountView()
    await flushPromises()
    await wrapper.get('input[aria-label="Name for the saved filter"]').setValue('Mine')
    await wrapper.get('[data-testid="saved-filter-save"]').trigger('click')
    await flushPromises()
    expect(findingsApi.saveFilter).toHaveBeenCalledWith('Mine', 'assignee=me')
  })
})

describe('FindingsView assignee filter', () => {
  it('offers me, nobody and the people of every project in view, or of the project picked', async () => {
    vi.mocked(findingsApi.listBulkAssignees).mockResolvedValue([{ id: 9, username: 'bob', email: 'b@x', full_name: '' }])
    route.query = { view: 'flat' }
    const wrapper = mountView()
    await flushPromises()
    expect(findingsApi.listBulkAssignees).toHaveBeenLastCalledWith({ filter: {}, any_project: true })
    const select = wrapper.get('[data-testid="filter-assignee"]').findComponent(NSelect)
    expect((select.props('options') as Array<{ label: string }>).map((o) => o.label)).toEqual(['Me', 'Nobody', 'bob'])
    select.vm.$emit('update:value', '9')
    await flushPromises()
    expect(lastQuery()).toEqual({ assignee: '9', state: 'open', page_size: 25 })
    route.query = { view: 'flat', project: '5' }
    await flushPromises()
    expect(findingsApi.listBulkAssignees).toHaveBeenLastCalledWith({ filter: { project: '5' }, any_project: true })
  })
})
