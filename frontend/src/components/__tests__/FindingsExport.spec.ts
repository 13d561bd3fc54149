// The export control: one download link per format, following the list's filters.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import FindingsExport from '@/components/FindingsExport.vue'

describe('FindingsExport', () => {
  it('links each format with the current filters and sort', async () => {
    const wrapper = mount(FindingsExport, { props: { filters: { project: 7, severity: 'high' }, ordering: '-last_seen_at' } })
    const links = wrapper.findAll('a[download]')
    expect(links.map((a) => a.text())).toEqual(['CSV', 'JSON', 'SARIF'])
    expect(links[0]!.attributes('href')).toBe('/api/v1/findings/export/?project=7&severity=high&ordering=-last_seen_at&format=csv')

    await wrapper.setProps({ filters: { status: 'new' }, ordering: undefined })
    expect(wrapper.find('a[data-format="sarif"]').attributes('href')).toBe('/api/v1/findings/export/?status=new&format=sarif')
  })
})
