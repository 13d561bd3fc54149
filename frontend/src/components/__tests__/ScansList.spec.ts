// The scans table: the ref looked at (with a default-branch tag and the short commit), and an
// import's trigger with its report's name and format.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import type { Scan } from '@/api/types'

vi.mock('@/api/imports', () => ({ listImportFormats: vi.fn() }))

import * as importsApi from '@/api/imports'
import ScansList from '@/components/ScansList.vue'
import { resetImportReportsCache } from '@/composables/useImportReports'

const base = { project: { id: 4, name: 'Shop' }, configuration: null, triggered_by: null, status: 'completed', progress: 100, current_step: '', summary: {}, error_message: '', created_at: '', queued_at: null, started_at: null, finished_at: null }
const scans = [
  { ...base, id: 1, trigger: 'manual', configuration: { id: 2, name: 'Nightly' }, ref: '', commit_sha: '', is_default_branch: true, report_name: '', report_format: '' },
  { ...base, id: 2, trigger: 'import', ref: 'feature/login', commit_sha: '0123456789abcdef', is_default_branch: false, report_name: 'many.json', report_format: 'semgrep' },
] as unknown as Scan[]

beforeEach(() => {
  resetImportReportsCache()
  vi.mocked(importsApi.listImportFormats).mockReset()
  vi.mocked(importsApi.listImportFormats).mockResolvedValue([{ id: 'semgrep', name: 'Semgrep JSON', tool: 'semgrep', media: 'JSON', description: '' }])
})

describe('ScansList', () => {
  it('shows the ref, a default-branch tag and the short commit of each scan', async () => {
    const wrapper = mount(ScansList, { props: { scans }, global: { stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    const [run, imported] = wrapper.findAll('tbody tr')
    expect(run!.get('[data-testid="scan-ref"]').text()).toBe('default branch')
    expect(imported!.get('[data-testid="scan-ref"] .ref').text()).toBe('feature/login')
    expect(imported!.get('[data-testid="scan-ref"] code').text()).toBe('0123456')
    expect(imported!.get('[data-testid="scan-ref"] code').attributes('title')).toBe('Commit 0123456789abcdef')
    expect(imported!.find('[data-testid="default-branch-tag"]').exists()).toBe(false)
  })

  it('shows an import as such, with its report and format, asking for format names once', async () => {
    const wrapper = mount(ScansList, { props: { scans }, global: { stubs: { RouterLink: RouterLinkStub } } })
    await flushPromises()
    const imported = wrapper.get('[data-scan-id="2"]')
    expect(imported.text()).toContain('Import')
    expect(imported.get('[data-testid="scan-report"]').text()).toBe('many.json · Semgrep JSON')
    expect(wrapper.get('[data-scan-id="1"]').find('[data-testid="scan-report"]').exists()).toBe(false)
    expect(importsApi.listImportFormats).toHaveBeenCalledOnce()

    await wrapper.setProps({ scans: [...scans] }) // a refresh of the list
    await flushPromises()
    expect(importsApi.listImportFormats).toHaveBeenCalledOnce()
  })
})
