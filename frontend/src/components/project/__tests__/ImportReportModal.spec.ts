// The import form: format help, drop a file, a new target, field errors from the API, and the
// new scan opened on 202.
import { flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider, NSelect } from 'naive-ui'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

import { ApiError } from '@/api/client'
import type { ImportFormat } from '@/api/imports'
import type { ScanDetail, Target } from '@/api/types'

const push = vi.fn()
vi.mock('vue-router', () => ({ useRouter: () => ({ push }) }))
vi.mock('@/api/imports', () => ({ listImportFormats: vi.fn(), importReport: vi.fn() }))
vi.mock('@/api/projects', () => ({ listTargets: vi.fn() }))

import * as importsApi from '@/api/imports'
import * as projectsApi from '@/api/projects'
import ImportReportModal from '@/components/project/ImportReportModal.vue'

const FORMATS: ImportFormat[] = [
  { id: 'semgrep', name: 'Semgrep JSON', tool: 'semgrep', media: 'JSON', description: 'Output of `semgrep --json`.' },
  { id: 'sarif', name: 'SARIF 2.1.0', tool: null, media: 'SARIF 2.1.0 (JSON)', description: 'Any SARIF producer.' },
  { id: 'generic', name: 'SecuLite generic JSON', tool: null, media: 'JSON', description: 'For tools without a parser.', schema_url: '/api/v1/imports/formats/generic/schema/' },
]
const target = { id: 9, name: 'shop', asset_type: 'git_repository' } as Target

function mountModal() {
  const Host = defineComponent({
    setup: () => () => h(NMessageProvider, null, () => h(ImportReportModal, { projectId: 4, show: true })),
  })
  return mount(Host, { attachTo: document.body })
}
const $ = <T extends Element = HTMLElement>(selector: string) => document.querySelector<T>(selector)
const selects = (wrapper: ReturnType<typeof mountModal>) => wrapper.findAllComponents(NSelect)

async function dropFile(file: File): Promise<void> {
  const event = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent
  Object.defineProperty(event, 'dataTransfer', { value: { files: [file] } })
  $('[data-testid="import-drop"]')!.dispatchEvent(event)
  await flushPromises()
}
async function submit(): Promise<void> {
  $<HTMLFormElement>('[data-testid="import-form"]')!.dispatchEvent(new Event('submit', { cancelable: true }))
  await flushPromises()
}

beforeEach(() => {
  push.mockReset()
  vi.mocked(importsApi.importReport).mockReset()
  vi.mocked(importsApi.listImportFormats).mockResolvedValue(FORMATS)
  vi.mocked(projectsApi.listTargets).mockResolvedValue({ count: 1, results: [target] })
})
afterEach(() => {
  document.body.innerHTML = ''
})

describe('ImportReportModal', () => {
  it('guesses the format from a dropped file and says what that format expects', async () => {
    const wrapper = mountModal()
    await flushPromises()
    await dropFile(new File(['{"results":[]}'], 'semgrep-report.json'))

    expect($('[data-testid="import-chosen"]')!.textContent).toContain('semgrep-report.json')
    expect($('[data-testid="import-format-help"]')!.textContent).toContain('Output of semgrep --json.')
    expect($('[data-testid="import-format-help"] code')!.textContent).toBe('semgrep --json')
    expect($('[data-testid="generic-schema-link"]')).toBeNull()

    await selects(wrapper)[0]!.vm.$emit('update:value', 'generic')
    await flushPromises()
    const link = $<HTMLAnchorElement>('[data-testid="generic-schema-link"]')!
    expect(link.getAttribute('href')).toBe('/api/v1/imports/formats/generic/schema/')
    expect($('[data-testid="import-format-help"]')!.textContent).toContain('docs/import-formats.md')
    wrapper.unmount()
  })

  it('lets the file input pick the report, and says what is missing before uploading', async () => {
    const wrapper = mountModal()
    await flushPromises()
    await submit()
    expect(document.body.textContent).toContain('Choose the report file, or drop it on the area.')
    expect(document.body.textContent).toContain('Choose the format of the report.')
    expect(document.body.textContent).toContain('Choose a target, or “New target”.')
    expect(importsApi.importReport).not.toHaveBeenCalled()

    const input = $<HTMLInputElement>('#import-file')!
    expect($(`label[for="import-file"]`)).not.toBeNull() // the drop area is also a labelled file input
    Object.defineProperty(input, 'files', { value: [new File(['x'], 'out.sarif')] })
    input.dispatchEvent(new Event('change'))
    await flushPromises()
    expect($('[data-testid="import-chosen"]')!.textContent).toContain('out.sarif')
    expect(document.body.textContent).not.toContain('Choose the report file')
    expect((selects(wrapper)[0]!.props('value'))).toBe('sarif')
    wrapper.unmount()
  })

  it('uploads to a new target and opens the scan on 202', async () => {
    vi.mocked(importsApi.importReport).mockImplementation(async (_project, _input, options) => {
      options?.onProgress?.(3, 6)
      return { id: 77 } as ScanDetail
    })
    vi.mocked(projectsApi.listTargets).mockResolvedValue({ count: 0, results: [] })
    const wrapper = mountModal()
    await flushPromises()
    // No target yet: a new one is the only choice and is preselected.
    expect($('[data-testid="import-new-target"]')).not.toBeNull()
    await dropFile(new File(['{"results":[]}'], 'semgrep.json'))
    const name = $<HTMLInputElement>('#import-target-name')!
    name.value = 'shop-api'
    name.dispatchEvent(new Event('input'))
    const identifier = $<HTMLInputElement>('#import-target-identifier')!
    identifier.value = 'https://git.example.com/acme/shop.git'
    identifier.dispatchEvent(new Event('input'))
    const ref = $<HTMLInputElement>('#import-ref')!
    ref.value = 'feature/login'
    ref.dispatchEvent(new Event('input'))
    await submit()

    const [project, input] = vi.mocked(importsApi.importReport).mock.calls[0]!
    expect(project).toBe(4)
    expect(input).toMatchObject({ format: 'semgrep', target: { kind: 'new', name: 'shop-api', type: 'git_repository', identifier: 'https://git.example.com/acme/shop.git' }, ref: 'feature/login' })
    expect(input.file.name).toBe('semgrep.json')
    expect(push).toHaveBeenCalledWith('/scans/77')
    wrapper.unmount()
  })

  it('shows the API field errors at their fields and keeps the form', async () => {
    vi.mocked(importsApi.importReport).mockRejectedValue(
      new ApiError(400, 'invalid', 'Check the highlighted fields.', {
        commit: ['No such commit in this repository.'],
        file: ['This is not Semgrep JSON: no "results" list.'],
      }),
    )
    const wrapper = mountModal()
    await flushPromises()
    await dropFile(new File(['[]'], 'semgrep.json'))
    await selects(wrapper)[1]!.vm.$emit('update:value', 9)
    const commit = $<HTMLInputElement>('#import-commit')!
    commit.value = 'abcdef1'
    commit.dispatchEvent(new Event('input'))
    await submit()

    expect(vi.mocked(importsApi.importReport).mock.calls[0]![1].target).toEqual({ kind: 'existing', id: 9 })
    expect($('[data-testid="import-error"]')!.textContent).toContain('Check the highlighted fields.')
    const commitItem = commit.closest('.n-form-item')!
    expect(commitItem.textContent).toContain('No such commit in this repository.')
    expect($('[data-testid="import-drop"]')!.textContent).toContain('This is not Semgrep JSON')
    expect(commit.value).toBe('abcdef1')
    expect($('[data-testid="import-progress"]')).toBeNull()
    expect(push).not.toHaveBeenCalled()
    wrapper.unmount()
  })
})
