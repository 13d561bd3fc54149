// The webhook delivery log: each message with its status and attempts, and Redeliver adding
// the new attempt from the API's answer.
import { RouterLinkStub, flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

const toast = { success: vi.fn(), warning: vi.fn(), error: vi.fn() }
vi.mock('naive-ui', async (importOriginal) => ({
  ...(await importOriginal<typeof import('naive-ui')>()),
  useMessage: () => toast,
}))
vi.mock('@/api/webhooks', () => ({ listWebhookDeliveries: vi.fn(), redeliverWebhook: vi.fn() }))

import * as webhooksApi from '@/api/webhooks'
import WebhookDeliveries from '@/components/configuration/WebhookDeliveries.vue'

const first = {
  number: 1,
  trigger: 'first',
  attempted_at: '2026-12-03T10:00:00Z',
  duration_ms: 42,
  ok: false,
  status_code: 503,
  error: 'HTTP 503 from the webhook.',
  response_excerpt: 'upstream down',
  triggered_by: null,
}
const message = {
  id: 9,
  guid: '6f1c0c1e-0000-4000-8000-000000000009',
  event: 'scan.completed',
  format: 'slack',
  configuration: { id: 3, name: 'Nightly' },
  scan: 17,
  recipient: 'https://hooks.slack.com/services/…',
  status: 'failed',
  next_retry_at: null,
  created_at: '2026-12-03T10:00:00Z',
  attempts: [first],
}

beforeEach(() => {
  Object.values(toast).forEach((fn) => fn.mockReset())
  vi.mocked(webhooksApi.listWebhookDeliveries).mockReset().mockResolvedValue({ count: 1, next: null, previous: null, results: [message] } as never)
  vi.mocked(webhooksApi.redeliverWebhook).mockReset()
})

async function mountLog() {
  const wrapper = mount(WebhookDeliveries, {
    props: { projectId: 4, configurationId: 3 },
    global: { stubs: { RouterLink: RouterLinkStub } },
  })
  await flushPromises()
  return wrapper
}

describe('WebhookDeliveries', () => {
  it('lists the configuration’s messages with each attempt’s outcome', async () => {
    const wrapper = await mountLog()
    expect(webhooksApi.listWebhookDeliveries).toHaveBeenCalledWith(4, 3, 1)
    const [item] = wrapper.findAll('[data-testid="webhook-message"]')
    expect(item.get('[data-testid="webhook-message-status"]').text()).toBe('failed')
    expect(item.text()).toContain('scan.completed')
    expect(item.text()).toContain('https://hooks.slack.com/services/…')
    expect(item.findComponent(RouterLinkStub).props('to')).toBe('/scans/17')
    const attempts = item.findAll('[data-testid="webhook-attempt"]')
    expect(attempts).toHaveLength(1)
    expect(attempts[0].text()).toContain('#1 · First attempt')
    expect(attempts[0].text()).toContain('HTTP 503 from the webhook.')
    expect(attempts[0].text()).toContain('42 ms')
    expect(attempts[0].get('pre').text()).toBe('upstream down')
  })

  it('redelivers and shows the new attempt', async () => {
    const again = { ...first, number: 2, trigger: 'redeliver', ok: true, status_code: 200, error: '', response_excerpt: '', triggered_by: { id: 1, username: 'olivia', email: '', full_name: 'Olivia Owner' } }
    vi.mocked(webhooksApi.redeliverWebhook).mockResolvedValue({ ...message, status: 'sent', attempts: [again, first], payload: {} } as never)
    const wrapper = await mountLog()

    await wrapper.get('[data-testid="redeliver-9"]').trigger('click')
    await flushPromises()

    expect(webhooksApi.redeliverWebhook).toHaveBeenCalledWith(4, 9)
    expect(wrapper.get('[data-testid="webhook-message-status"]').text()).toBe('sent')
    const attempts = wrapper.findAll('[data-testid="webhook-attempt"]').map((row) => row.text())
    expect(attempts).toHaveLength(2)
    expect(attempts[0]).toContain('#2 · Redelivered by Olivia Owner')
    expect(attempts[0]).toContain('HTTP 200')
    expect(toast.success).toHaveBeenCalledWith('Redelivered.')
  })

  it('says when a redelivery failed, and shows an API refusal', async () => {
    const failed = { ...first, number: 2, trigger: 'redeliver', error: 'Connection failed: ConnectionRefusedError', status_code: null }
    vi.mocked(webhooksApi.redeliverWebhook).mockResolvedValueOnce({ ...message, attempts: [failed, first], payload: {} } as never)
    const wrapper = await mountLog()
    await wrapper.get('[data-testid="redeliver-9"]').trigger('click')
    await flushPromises()
    expect(toast.warning).toHaveBeenCalledWith('Redelivery failed: Connection failed: ConnectionRefusedError')

    vi.mocked(webhooksApi.redeliverWebhook).mockRejectedValueOnce(new Error('The scan configuration has no webhook URL any more.'))
    await wrapper.get('[data-testid="redeliver-9"]').trigger('click')
    await flushPromises()
    expect(toast.error).toHaveBeenCalled()
  })

  it('says so when nothing was sent yet', async () => {
    vi.mocked(webhooksApi.listWebhookDeliveries).mockResolvedValue({ count: 0, next: null, previous: null, results: [] } as never)
    const wrapper = await mountLog()
    expect(wrapper.text()).toContain('Nothing was sent to this webhook yet.')
  })
})
