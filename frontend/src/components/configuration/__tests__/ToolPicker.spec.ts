// The configuration editor's tool list: filtered by the chosen targets' kind (picked tools stay),
// and a preset adds its runnable tools.
import { mount } from '@vue/test-utils'
import { NMessageProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { defineComponent, h, ref } from 'vue'

import ToolPicker from '@/components/configuration/ToolPicker.vue'
import { useToolsStore } from '@/stores/useToolsStore'

const CODE = ['git_repository', 'codebase_path', 'file_upload']
function tool(slug: string, types: string[], extra: Record<string, unknown> = {}) {
  return { id: slug.length, slug, name: slug, category: 'sast', supported_asset_types: types, available: true, enabled: true, unavailable_reason: '', config_schema: {}, default_config: {}, version: '', ...extra }
}

function mountPicker(assetTypes: string[], picked: Record<string, Record<string, unknown>> = {}) {
  const value = ref(picked)
  const Host = defineComponent({
    setup: () => () =>
      h(NMessageProvider, null, () =>
        h(ToolPicker, {
          modelValue: value.value,
          'onUpdate:modelValue': (v: Record<string, Record<string, unknown>>) => (value.value = v),
          assetTypes: new Set(assetTypes),
          canWrite: true,
          errorsFor: () => ({}),
        }),
      ),
  })
  return { wrapper: mount(Host), value }
}

const listed = (wrapper: ReturnType<typeof mount>) => wrapper.findAll('[data-tool]').map((li) => li.attributes('data-tool'))

beforeEach(() => {
  setActivePinia(createPinia())
  const store = useToolsStore()
  store.tools = [
    tool('semgrep', CODE),
    tool('bandit', CODE),
    tool('gitleaks', CODE, { available: false, unavailable_reason: 'not installed' }),
    tool('zap_baseline', ['url']),
  ] as never
  store.presets = {
    target_kinds: [
      { id: 'code', name: 'Code', asset_types: CODE },
      { id: 'web', name: 'Web', asset_types: ['url'] },
    ],
    presets: [
      { id: 'code', name: 'Code: SAST + secrets + IaC', description: '', target_kind: 'code', tools: ['semgrep', 'bandit', 'gitleaks'] },
      { id: 'web-baseline', name: 'Web baseline', description: '', target_kind: 'web', tools: ['zap_baseline'] },
    ],
  }
})

describe('ToolPicker', () => {
  it('lists every tool and preset while no target is chosen', () => {
    const { wrapper } = mountPicker([])
    expect(listed(wrapper)).toEqual(['bandit', 'semgrep', 'zap_baseline', 'gitleaks'])
    expect(wrapper.findAll('[data-preset]').map((b) => b.attributes('data-preset'))).toEqual(['code', 'web-baseline'])
  })

  it("shows only the tools and presets of the chosen targets' kind, and picked tools too", () => {
    const { wrapper } = mountPicker(['codebase_path'], { zap_baseline: {} })
    expect(listed(wrapper)).toEqual(['bandit', 'semgrep', 'zap_baseline', 'gitleaks'])
    const { wrapper: plain } = mountPicker(['codebase_path'])
    expect(listed(plain)).toEqual(['bandit', 'semgrep', 'gitleaks'])
    expect(plain.findAll('[data-preset]').map((b) => b.attributes('data-preset'))).toEqual(['code'])
    expect(plain.find('[data-testid="tools-hidden"]').text()).toContain('1 tool that does not scan this kind of target is hidden')
  })

  it('adds the runnable tools of a preset and keeps the options of tools already picked', async () => {
    const { wrapper, value } = mountPicker(['codebase_path'], { bandit: { severity_level: 'high' } })
    await wrapper.find('[data-preset="code"]').trigger('click')
    expect(value.value).toEqual({ bandit: { severity_level: 'high' }, semgrep: {} })
  })
})
