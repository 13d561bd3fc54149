// The compare view: counts, the new and fixed findings with links, what "no base scan" means,
// and picking another base (a ref, or a previous scan) through the URL.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { NSelect } from 'naive-ui'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { ApiError } from '@/api/client'
import type { Finding, Scan, ScanCompare, ScanDetail } from '@/api/types'

const replace = vi.fn()
vi.mock('vue-router', () => ({ useRouter: () => ({ replace }) }))
vi.mock('@/api/scans', () => ({ compareScan: vi.fn(), getScan: vi.fn(), listProjectScans: vi.fn() }))

import * as scansApi from '@/api/scans'
import CompareView from '@/views/CompareView.vue'

const scan = { id: 12, project: { id: 4, name: 'Shop' }, ref: 'feature/login', commit_sha: 'abcdef1234567', is_default_branch: false, tool_results: [] } as unknown as ScanDetail
const finding = (id: number, title: string, severity: Finding['severity']) =>
  ({ id, title, severity, status: 'new', file_path: 'app/views.py', line_start: 10 + id, tool: { id: 1, slug: 'semgrep', name: 'Semgrep' }, target: { id: 9, name: 'shop', asset_type: 'git_repository' } }) as unknown as Finding
const baseScan = { id: 10, ref: 'main', commit_sha: '1111111aaaa', status: 'completed' as const, finished_at: '2026-12-01T10:00:00Z' }
const answer = (over: Partial<ScanCompare> = {}): ScanCompare => ({
  scan: { id: 12, ref: 'feature/login', commit_sha: 'abcdef1234567', status: 'completed', finished_at: null },
  base: 'main',
  base_scan: baseScan,
  counts: { new: 1, fixed: 1, unchanged: 41 },
  new: [finding(1, 'SQL injection', 'high')],
  fixed: [finding(2, 'Weak hash', 'medium')],
  truncated: false,
  ...over,
})

function mountView(base?: string) {
  return mount(CompareView, { props: { id: 12, base }, global: { stubs: { RouterLink: RouterLinkStub } } })
}

beforeEach(() => {
  replace.mockReset()
  vi.mocked(scansApi.getScan).mockResolvedValue(scan)
  vi.mocked(scansApi.compareScan).mockReset()
  vi.mocked(scansApi.listProjectScans).mockResolvedValue({ count: 2, results: [{ id: 12 } as Scan, { ...baseScan, is_default_branch: true } as unknown as Scan] })
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('CompareView', () => {
  it('shows the counts and the new and fixed findings with links, against the default branch', async () => {
    vi.mocked(scansApi.compareScan).mockResolvedValue(answer())
    const wrapper = mountView()
    await flushPromises()

    expect(scansApi.compareScan).toHaveBeenCalledWith(12, undefined)
    expect(wrapper.get('[data-testid="compare-title"]').text()).toBe('Scan #12 compared with main')
    expect(wrapper.get('[data-testid="count-new"]').text()).toBe('1')
    expect(wrapper.get('[data-testid="count-fixed"]').text()).toBe('1')
    expect(wrapper.get('[data-testid="count-unchanged"]').text()).toBe('41')
    const newRows = wrapper.get('[data-testid="compare-new"]').findAll('tbody tr')
    expect(newRows).toHaveLength(1)
    expect(newRows[0]!.text()).toContain('SQL injection')
    expect(newRows[0]!.text()).toContain('app/views.py:11')
    expect(newRows[0]!.get('[data-severity="high"]').text()).toContain('High')
    expect(newRows[0]!.findComponent(RouterLinkStub).props('to')).toBe('/findings/1')
    expect(wrapper.get('[data-testid="compare-fixed"]').text()).toContain('Weak hash')
    expect(wrapper.get('[data-testid="compare-base-scan-info"]').text()).toContain('#10')
    expect(wrapper.find('[data-testid="compare-no-base"]').exists()).toBe(false)
  })

  it('explains that everything is new when the base has no completed scan', async () => {
    vi.mocked(scansApi.compareScan).mockResolvedValue(answer({ base_scan: null, counts: { new: 1, fixed: 0, unchanged: 0 }, fixed: [] }))
    const wrapper = mountView()
    await flushPromises()
    expect(wrapper.get('[data-testid="compare-no-base"]').text()).toContain('No completed scan of main yet: everything is new.')
    expect(wrapper.get('[data-testid="compare-fixed"]').text()).toContain('Nothing to compare with, so nothing is fixed.')
    expect(wrapper.get('[data-testid="compare-base-scan-info"]').text()).toBe('none')
  })

  it('compares with a typed ref or a picked previous scan through the URL', async () => {
    vi.mocked(scansApi.compareScan).mockResolvedValue(answer({ base: 'develop' }))
    const wrapper = mountView('develop')
    await flushPromises()
    expect(scansApi.compareScan).toHaveBeenCalledWith(12, 'develop')
    const input = wrapper.get<HTMLInputElement>('#compare-base-ref')
    expect(input.element.value).toBe('develop')
    await input.setValue(' release/2 ')
    await wrapper.get('form').trigger('submit')
    expect(replace).toHaveBeenLastCalledWith({ query: { base: 'release/2' } })

    const picker = wrapper.findComponent(NSelect)
    // The scan itself is not offered as its own base.
    expect((picker.props('options') as Array<{ value: number }>).map((o) => o.value)).toEqual([10])
    picker.vm.$emit('update:value', 10)
    expect(replace).toHaveBeenLastCalledWith({ query: { base: '10' } })
  })

  it('shows a rejected base at the base field and keeps the picker', async () => {
    vi.mocked(scansApi.compareScan).mockRejectedValue(new ApiError(400, 'invalid', 'Check the base.', { base: ['Not a valid git ref.'] }))
    const wrapper = mountView('..bad')
    await flushPromises()
    expect(wrapper.get('#compare-base-ref').element.closest('.n-form-item')!.textContent).toContain('Not a valid git ref.')
    expect(wrapper.find('[data-testid="compare-counts"]').exists()).toBe(false)
  })
})
