// The "Grouped by issue / All findings" switch: which one is on, and asking for the other.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import FindingsViewSwitch from '@/components/FindingsViewSwitch.vue'

describe('FindingsViewSwitch', () => {
  it('marks the view shown and asks for the other', async () => {
    const wrapper = mount(FindingsViewSwitch, { props: { grouped: true } })
    expect(wrapper.get('[data-testid="view-grouped"]').attributes('aria-pressed')).toBe('true')
    expect(wrapper.get('[data-testid="view-flat"]').attributes('aria-pressed')).toBe('false')
    await wrapper.get('[data-testid="view-flat"]').trigger('click')
    expect(wrapper.emitted('update:grouped')).toEqual([[false]])
    await wrapper.setProps({ grouped: false })
    expect(wrapper.get('[data-testid="view-flat"]').attributes('aria-pressed')).toBe('true')
    await wrapper.get('[data-testid="view-grouped"]').trigger('click')
    expect(wrapper.emitted('update:grouped')?.at(-1)).toEqual([true])
  })
})
