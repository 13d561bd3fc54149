// The scan page of an import: its report, format, ref and commit, and the link to compare it
// with its base once it has stored findings.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'

import type { ScanDetail } from '@/api/types'

vi.mock('vue-router', () => ({ useRouter: () => ({ push: vi.fn() }), useRoute: () => ({ query: {} }) }))
vi.mock('@/api/scans', () => ({ getScan: vi.fn(), cancelScan: vi.fn(), rescan: vi.fn(), getRawOutput: vi.fn(), rawOutputUrl: () => '' }))
vi.mock('@/api/projects', () => ({ getProject: vi.fn() }))
vi.mock('@/api/imports', () => ({ listImportFormats: vi.fn() }))
vi.mock('@/api/findings', () => ({ listFindings: vi.fn(), bulkTriage: vi.fn(), findingsExportUrl: () => '', FINDINGS_EXPORT_FORMATS: [] }))
// The live feed is not under test: the page shows the detail it loaded.
vi.mock('@/composables/useScanLiveStatus', () => ({
  useScanLiveStatus: () => ({ live: ref(null), error: ref(null), polling: ref(false), start: vi.fn(), stop: vi.fn() }),
}))

import * as findingsApi from '@/api/findings'
import * as importsApi from '@/api/imports'
import * as projectsApi from '@/api/projects'
import * as scansApi from '@/api/scans'
import ScanView from '@/views/ScanView.vue'

const imported = {
  id: 21,
  project: { id: 4, name: 'Shop' },
  configuration: null,
  trigger: 'import',
  triggered_by: { id: 1, username: 'ci' },
  status: 'completed',
  progress: 100,
  current_step: '',
  summary: { total: 3, new: 3, existing: 0, resolved: 0 },
  error_message: '',
  created_at: '',
  queued_at: null,
  started_at: null,
  finished_at: null,
  configuration_snapshot: {},
  checkouts: {},
  ref: 'feature/login',
  commit_sha: '89abcdef0123',
  is_default_branch: false,
  tool_results: [{ id: 5, tool: { id: 1, slug: 'semgrep', name: 'Semgrep' }, target: { id: 9, name: 'shop', asset_type: 'git_repository' }, status: 'completed', tool_version: '1.85.0', exit_code: null, started_at: null, finished_at: null, duration_ms: null, findings_count: 3, error_message: '', coverage: null, isolation: '', raw_output_available: true, commit_sha: '', report_format: 'semgrep', report_name: 'many.json' }],
} as unknown as ScanDetail

function mountView() {
  const Host = defineComponent({ setup: () => () => h(NMessageProvider, null, () => h(ScanView, { id: 21 })) })
  return mount(Host, { global: { stubs: { RouterLink: RouterLinkStub } } })
}

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(scansApi.getScan).mockResolvedValue(imported)
  vi.mocked(projectsApi.getProject).mockResolvedValue({ id: 4, role: 'member' } as Awaited<ReturnType<typeof projectsApi.getProject>>)
  vi.mocked(importsApi.listImportFormats).mockResolvedValue([{ id: 'semgrep', name: 'Semgrep JSON', tool: 'semgrep', media: 'JSON', description: '' }])
  vi.mocked(findingsApi.listFindings).mockResolvedValue({ count: 0, count_exact: true, next: null, previous: null, results: [] })
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('ScanView of an import', () => {
  it('shows the trigger, report, format, ref and commit, and links to the compare view', async () => {
    const wrapper = mountView()
    await flushPromises()
    expect(wrapper.get('[data-testid="scan-trigger"]').text()).toBe('Import by ci')
    expect(wrapper.get('[data-testid="scan-report-name"]').text()).toBe('many.json')
    expect(wrapper.get('[data-testid="scan-report-format"]').text()).toBe('Semgrep JSON')
    const scanRef = wrapper.get('[data-testid="scan-ref"]')
    expect(scanRef.get('.ref').text()).toBe('feature/login')
    expect(scanRef.get('code').text()).toBe('89abcde')
    expect(scanRef.find('[data-testid="default-branch-tag"]').exists()).toBe(false)
    const compare = wrapper.findAllComponents(RouterLinkStub).find((link) => link.props('to') === '/scans/21/compare')
    expect(compare).toBeDefined()
  })

  it('offers no compare while the scan is still running', async () => {
    vi.mocked(scansApi.getScan).mockResolvedValue({ ...imported, status: 'running' } as ScanDetail)
    const wrapper = mountView()
    await flushPromises()
    expect(wrapper.findAllComponents(RouterLinkStub).some((link) => link.props('to') === '/scans/21/compare')).toBe(false)
  })
})
