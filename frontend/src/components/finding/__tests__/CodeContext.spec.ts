// The code of a finding: numbered lines, the flagged ones marked; the tool's snippet otherwise.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import CodeContext from '@/components/finding/CodeContext.vue'

describe('CodeContext', () => {
  it('numbers the lines and marks the flagged ones', () => {
    const wrapper = mount(CodeContext, {
      props: { context: { start: 8, lines: ['a = 1', '', 'run(cmd)', 'b = 2'], highlight: [10, 10] }, snippet: 'run(cmd)' },
    })
    const lines = wrapper.findAll('.line')
    expect(lines.map((line) => line.attributes('data-line'))).toEqual(['8', '9', '10', '11'])
    expect(wrapper.findAll('[data-flagged="true"]').map((line) => line.find('.text').text())).toEqual(['run(cmd)'])
    expect(wrapper.find('figcaption').text()).toBe('Line 10 flagged')
    expect(wrapper.find('[data-testid="finding-snippet"]').exists()).toBe(false)
  })

  it('falls back to the tool’s snippet without a captured context', () => {
    const wrapper = mount(CodeContext, { props: { context: null, snippet: 'eval(x)' } })
    expect(wrapper.find('[data-testid="finding-snippet"]').text()).toBe('eval(x)')
    expect(wrapper.find('figcaption').text()).toBe('As the tool reported it')
  })

  it('shows nothing when there is no code at all', () => {
    expect(mount(CodeContext, { props: { context: null, snippet: '' } }).html()).toBe('<!--v-if-->')
  })
})
