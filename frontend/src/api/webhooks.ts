// A project's webhook delivery log (owners only), redelivery, and the signing secret's rotation.
import { http } from './client'
import type { Page, ScanConfiguration, WebhookMessage, WebhookMessageDetail } from './types'

const deliveries = (projectId: number) => `/projects/${projectId}/webhook-deliveries/`

export const listWebhookDeliveries = (projectId: number, configurationId: number, page = 1) =>
  http.get<Page<WebhookMessage>>(deliveries(projectId), { configuration: configurationId, page, page_size: 10 })
export const redeliverWebhook = (projectId: number, messageId: number) =>
  http.post<WebhookMessageDetail>(`${deliveries(projectId)}${messageId}/redeliver/`)
export const rotateWebhookSecret = (projectId: number, configurationId: number) =>
  http.post<ScanConfiguration>(`/projects/${projectId}/scan-configurations/${configurationId}/webhook-secret/rotate/`)
