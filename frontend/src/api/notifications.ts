// In-app notifications (the bell) and the notification preferences per event and channel.
import { http } from './client'
import type { components } from './schema'

type S = components['schemas']

export type AppNotification = S['Notification']
export type NotificationPage = S['PaginatedNotificationList']
export type NotificationOrder = 'newest' | 'unread'
export type NotificationSettings = S['NotificationPreferencesOutput']
export type NotificationSettingsUpdate = S['PatchedNotificationPreferencesInputRequest']
export type NotificationEventSetting = S['EventPreference']

export const listNotifications = (query: { order?: NotificationOrder; page_size?: number; cursor?: string } = {}) =>
  http.get<NotificationPage>('/notifications/', query)
export const getUnreadCount = () => http.get<S['NotificationUnreadCount']>('/notifications/unread-count/')
export const markNotificationRead = (id: number) => http.post<AppNotification>(`/notifications/${id}/read/`)
export const markAllNotificationsRead = () => http.post<S['NotificationsMarked']>('/notifications/read-all/')
export const getNotificationSettings = () => http.get<NotificationSettings>('/notifications/preferences/')
export const updateNotificationSettings = (body: NotificationSettingsUpdate) =>
  http.patch<NotificationSettings>('/notifications/preferences/', body)
