// The tool catalogue (names, availability, override schemas), loaded once and shared.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import * as scansApi from '@/api/scans'
import type { Tool, ToolPresets } from '@/api/types'

export const useToolsStore = defineStore('tools', () => {
  const tools = ref<Tool[]>([])
  /** Kinds of target and the presets for each, as the API defines them. */
  const presets = ref<ToolPresets>({ target_kinds: [], presets: [] })
  const loaded = ref(false)
  let pending: Promise<void> | null = null

  const bySlug = computed(() => new Map(tools.value.map((tool) => [tool.slug, tool])))
  /** Tools a configuration can use now: available on the worker and enabled by admins. */
  const usable = computed(() => tools.value.filter((tool) => tool.available && tool.enabled))

  /** Load the catalogue once; concurrent callers share one request. */
  async function load(force = false): Promise<void> {
    if (loaded.value && !force) return
    if (!pending) {
      pending = scansApi
        .listTools()
        .then((page) => {
          tools.value = page.results
          loaded.value = true
        })
        .finally(() => {
          pending = null
        })
    }
    await pending
  }

  /** Load the presets once (only the configuration editor needs them). */
  async function loadPresets(): Promise<void> {
    if (presets.value.target_kinds.length) return
    presets.value = await scansApi.getToolPresets()
  }

  /** Why a tool cannot be picked, or null when it can. */
  function unavailableReason(tool: Tool): string | null {
    if (!tool.enabled) return 'Disabled by an administrator.'
    if (!tool.available) return tool.unavailable_reason || 'Not installed on the worker.'
    return null
  }

  async function setEnabled(id: number, enabled: boolean): Promise<void> {
    const updated = await scansApi.setToolEnabled(id, enabled)
    tools.value = tools.value.map((tool) => (tool.id === id ? updated : tool))
  }

  return { tools, presets, loaded, bySlug, usable, load, loadPresets, unavailableReason, setEnabled }
})
