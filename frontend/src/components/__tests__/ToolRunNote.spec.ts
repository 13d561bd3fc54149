// A tool run's note: why it was skipped or partial, what it analysed, what it could not.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import StatusTag from '@/components/StatusTag.vue'
import ToolRunNote from '@/components/ToolRunNote.vue'
import { SCAN_FINAL, TOOL_RESULT_FINAL, statusTagType } from '@/utils/labels'

const partialCoverage = {
  unit: 'files' as const,
  analysed: 11,
  unanalysed: [
    { path: 'app/half.py', reason: 'partly parsed (syntax error)' },
    { path: 'web/bad.js', reason: 'timed out' },
  ],
  unanalysed_count: 2,
  summary: '11 files analysed; 2 files could not be analysed.',
}

describe('ToolRunNote', () => {
  it('lists what a partial run could not analyse, with its coverage summary', () => {
    const wrapper = mount(ToolRunNote, {
      props: { tool: 'Semgrep', status: 'partial', errorMessage: 'Partial: Semgrep could not analyse 2 files', coverage: partialCoverage },
    })
    expect(wrapper.text()).toContain('Semgrep partial: not everything was analysed')
    expect(wrapper.find('[data-testid="coverage-summary"]').text()).toBe('Coverage: 11 files analysed; 2 files could not be analysed.')
    const items = wrapper.findAll('[data-testid="unanalysed"] li').map((li) => li.text())
    expect(items).toEqual(['app/half.py: partly parsed (syntax error)', 'web/bad.js: timed out'])
    expect(wrapper.find('[data-note="partial"]').exists()).toBe(true)
  })

  it('says why a tool was skipped', () => {
    const wrapper = mount(ToolRunNote, {
      props: { tool: 'npm audit', status: 'skipped', errorMessage: 'Not applicable: no package-lock.json', coverage: null },
    })
    expect(wrapper.text()).toContain('npm audit skipped: nothing to look at')
    expect(wrapper.text()).toContain('Not applicable: no package-lock.json')
    expect(wrapper.find('[data-testid="unanalysed"]').exists()).toBe(false)
  })

  it('shows only the coverage of a complete run', () => {
    const wrapper = mount(ToolRunNote, {
      props: { tool: 'Bandit', status: 'completed', errorMessage: '', coverage: { ...partialCoverage, unanalysed: [], unanalysed_count: 0, summary: '12 files analysed.' } },
    })
    expect(wrapper.text()).toBe('Coverage: 12 files analysed.')
  })
})

describe('StatusTag', () => {
  it.each([
    ['completed_with_errors', 'Completed with errors', 'warning'],
    ['partial', 'Partial', 'warning'],
    ['skipped', 'Skipped', 'default'],
  ])('labels %s', (status, label, type) => {
    const wrapper = mount(StatusTag, { props: { status } })
    expect(wrapper.text()).toBe(label)
    expect(wrapper.attributes('data-status')).toBe(status)
    expect(statusTagType(status)).toBe(type)
  })

  it('treats the new end states as final', () => {
    expect(SCAN_FINAL).toContain('completed_with_errors')
    expect(TOOL_RESULT_FINAL).toContain('partial')
  })
})
