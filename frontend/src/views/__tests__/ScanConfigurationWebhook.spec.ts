// The configuration page's notification webhook: its format, the signing secret shown once
// (after saving the first URL or rotating), and the delivery log for owners only.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { NMessageProvider } from 'naive-ui'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

vi.mock('vue-router', () => ({ useRouter: () => ({ push: vi.fn(), replace: vi.fn() }), useRoute: () => ({ query: {} }) }))
vi.mock('@/api/projects', () => ({ getProject: vi.fn(), listTargets: vi.fn(), listTargetGroups: vi.fn() }))
vi.mock('@/api/scans', () => ({
  listTools: vi.fn(),
  getToolPresets: vi.fn(),
  getConfiguration: vi.fn(),
  createConfiguration: vi.fn(),
  updateConfiguration: vi.fn(),
  cloneConfiguration: vi.fn(),
  startScan: vi.fn(),
}))
vi.mock('@/api/webhooks', () => ({ rotateWebhookSecret: vi.fn(), listWebhookDeliveries: vi.fn(), redeliverWebhook: vi.fn() }))

import * as projectsApi from '@/api/projects'
import * as scansApi from '@/api/scans'
import * as webhooksApi from '@/api/webhooks'
import ScanConfigurationView from '@/views/ScanConfigurationView.vue'

const empty = { count: 0, next: null, previous: null, results: [] }
const configuration = {
  id: 3,
  project: 4,
  name: 'Nightly',
  description: '',
  targets: [],
  target_groups: [],
  tools: [],
  schedule_type: 'manual',
  schedule_enabled: true,
  schedule_once_at: null,
  schedule_cron: '',
  schedule_timezone: 'UTC',
  next_run_at: null,
  webhook_enabled: false,
  webhook_token: null,
  notify_on_completion: true,
  notify_on_failure: true,
  notify_min_severity: 'high',
  notify_emails: [],
  notify_webhook_url: 'https://hooks.slack.com/services/…',
  notify_webhook_format: 'slack',
  notify_webhook_secret: null,
  tool_timeout_seconds: 1800,
  created_by: null,
  created_at: '',
  updated_at: '',
}

function mountView(id: number | null = 3) {
  const Host = defineComponent({ setup: () => () => h(NMessageProvider, null, () => h(ScanConfigurationView, { projectId: 4, id })) })
  // The tool picker is not under test.
  return mount(Host, { attachTo: document.body, global: { stubs: { RouterLink: RouterLinkStub, ToolPicker: true } } })
}

function asRole(role: string) {
  vi.mocked(projectsApi.getProject).mockResolvedValue({ id: 4, role } as never)
}

beforeEach(() => {
  setActivePinia(createPinia())
  vi.mocked(projectsApi.listTargets).mockResolvedValue(empty as never)
  vi.mocked(projectsApi.listTargetGroups).mockResolvedValue(empty as never)
  vi.mocked(scansApi.listTools).mockResolvedValue(empty as never)
  vi.mocked(scansApi.getToolPresets).mockResolvedValue({ presets: [] } as never)
  vi.mocked(scansApi.getConfiguration).mockResolvedValue(configuration as never)
  vi.mocked(webhooksApi.listWebhookDeliveries).mockReset().mockResolvedValue(empty as never)
  vi.mocked(webhooksApi.rotateWebhookSecret).mockReset()
  asRole('owner')
})

describe('ScanConfigurationView webhook', () => {
  it('shows the chosen format and, for owners, the delivery log; no secret on a plain read', async () => {
    const wrapper = mountView()
    await flushPromises()
    expect(wrapper.get('[data-testid="config-hook-format"]').text()).toContain('Slack incoming webhook')
    expect(wrapper.find('[data-testid="webhook-secret-alert"]').exists()).toBe(false)
    expect(webhooksApi.listWebhookDeliveries).toHaveBeenCalledWith(4, 3, 1)
    expect(wrapper.text()).toContain('Recent deliveries')
    wrapper.unmount()
  })

  it('hides the delivery log from members, who may still rotate the secret', async () => {
    asRole('member')
    vi.mocked(webhooksApi.rotateWebhookSecret).mockResolvedValue({ ...configuration, notify_webhook_secret: 'new-secret-value' } as never)
    const wrapper = mountView()
    await flushPromises()
    expect(wrapper.text()).not.toContain('Recent deliveries')
    expect(webhooksApi.listWebhookDeliveries).not.toHaveBeenCalled()

    await wrapper.get('[data-testid="rotate-webhook-secret"]').trigger('click')
    await flushPromises()
    const confirm = [...document.querySelectorAll('.n-popconfirm button')].find((b) => b.textContent?.includes('Confirm')) as HTMLButtonElement
    confirm.click()
    await flushPromises()

    expect(webhooksApi.rotateWebhookSecret).toHaveBeenCalledWith(4, 3)
    expect(wrapper.get('[data-testid="webhook-secret"]').text()).toBe('new-secret-value')
    wrapper.unmount()
  })

  it('sends the format on save and shows the secret the response issued', async () => {
    vi.mocked(scansApi.updateConfiguration).mockResolvedValue({ ...configuration, notify_webhook_secret: 'issued-once' } as never)
    const wrapper = mountView()
    await flushPromises()
    await wrapper.get('[data-testid="save-configuration"]').trigger('click')
    await flushPromises()
    const [, , body] = vi.mocked(scansApi.updateConfiguration).mock.calls[0]
    expect(body).toMatchObject({ notify_webhook_format: 'slack', notify_webhook_url: 'https://hooks.slack.com/services/…' })
    expect(wrapper.get('[data-testid="webhook-secret"]').text()).toBe('issued-once')
    wrapper.unmount()
  })
})
