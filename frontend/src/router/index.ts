// Routes: public sign-in pages, and the signed-in app (staff-only pages under /manage/, since
// /admin/ belongs to Django's admin). Every page is loaded on demand.
import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw, type Router } from 'vue-router'

import { useAuthStore } from '@/stores/useAuthStore'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    staff?: boolean
    title?: string
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: 'Sign in' } },
  { path: '/login/two-factor', name: 'mfa-challenge', component: () => import('@/views/MfaChallengeView.vue'), meta: { public: true, title: 'Two-factor sign-in' } },
  { path: '/login/two-factor/setup', name: 'mfa-enrol', component: () => import('@/views/MfaEnrolView.vue'), meta: { public: true, title: 'Set up two-factor authentication' } },
  { path: '/register', name: 'register', component: () => import('@/views/RegisterView.vue'), meta: { public: true, title: 'Create an account' } },
  { path: '/forgot-password', name: 'forgot-password', component: () => import('@/views/ForgotPasswordView.vue'), meta: { public: true, title: 'Forgotten password' } },
  { path: '/reset-password', name: 'reset-password', component: () => import('@/views/ResetPasswordView.vue'), meta: { public: true, title: 'Choose a new password' } },
  { path: '/activate', name: 'activate', component: () => import('@/views/ActivateView.vue'), meta: { public: true, title: 'Activate your account' } },
  { path: '/confirm-email', name: 'confirm-email', component: () => import('@/views/ConfirmEmailView.vue'), meta: { public: true, title: 'Confirm your email address' } },
  { path: '/invitations/accept', name: 'accept-invitation', component: () => import('@/views/AcceptInvitationView.vue'), meta: { title: 'Accept an invitation' } },
  { path: '/', name: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { title: 'Dashboard' } },
  { path: '/projects', name: 'projects', component: () => import('@/views/ProjectsView.vue'), meta: { title: 'Projects' } },
  { path: '/projects/:id(\\d+)', name: 'project', component: () => import('@/views/ProjectView.vue'), props: (r) => ({ id: Number(r.params.id) }), meta: { title: 'Project' } },
  {
    path: '/projects/:projectId(\\d+)/configurations/new',
    name: 'configuration-new',
    component: () => import('@/views/ScanConfigurationView.vue'),
    props: (r) => ({ projectId: Number(r.params.projectId), id: null }),
    meta: { title: 'New scan configuration' },
  },
  {
    path: '/projects/:projectId(\\d+)/configurations/:id(\\d+)',
    name: 'configuration',
    component: () => import('@/views/ScanConfigurationView.vue'),
    props: (r) => ({ projectId: Number(r.params.projectId), id: Number(r.params.id) }),
    meta: { title: 'Scan configuration' },
  },
  { path: '/scans/:id(\\d+)', name: 'scan', component: () => import('@/views/ScanView.vue'), props: (r) => ({ id: Number(r.params.id) }), meta: { title: 'Scan' } },
  {
    path: '/scans/:id(\\d+)/compare',
    name: 'scan-compare',
    component: () => import('@/views/CompareView.vue'),
    props: (r) => ({ id: Number(r.params.id), base: typeof r.query.base === 'string' ? r.query.base : undefined }),
    meta: { title: 'Compare' },
  },
  { path: '/organizations', name: 'organizations', component: () => import('@/views/OrganizationsView.vue'), meta: { title: 'Organizations' } },
  { path: '/organizations/:id(\\d+)', name: 'organization', component: () => import('@/views/OrganizationView.vue'), props: (r) => ({ id: Number(r.params.id) }), meta: { title: 'Organization' } },
  { path: '/findings', name: 'findings', component: () => import('@/views/FindingsView.vue'), meta: { title: 'Findings' } },
  { path: '/findings/:id(\\d+)', name: 'finding', component: () => import('@/views/FindingView.vue'), props: (r) => ({ id: Number(r.params.id) }), meta: { title: 'Finding' } },
  { path: '/profile', name: 'profile', component: () => import('@/views/ProfileView.vue'), meta: { title: 'Profile' } },
  { path: '/audit', name: 'audit-log', component: () => import('@/views/AuditLogView.vue'), meta: { title: 'Audit log' } },
  { path: '/manage/users', name: 'admin-users', component: () => import('@/views/AdminUsersView.vue'), meta: { staff: true, title: 'Users' } },
  { path: '/manage/tools', name: 'admin-tools', component: () => import('@/views/AdminToolsView.vue'), meta: { staff: true, title: 'Tools' } },
  { path: '/manage/health', name: 'admin-health', component: () => import('@/views/AdminHealthView.vue'), meta: { staff: true, title: 'System health' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'Not found' } },
]

/** Where sign-in should send the user back to: only paths inside this app. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/'
}

/** After a sign-in: back to `next` in the app, or to the Django admin (a page of its own). */
export async function goAfterSignIn(router: Router, next: unknown): Promise<void> {
  if (typeof next === 'string' && next.startsWith('/admin/')) {
    window.location.assign(next)
    return
  }
  await router.replace(safeNext(next))
}

export async function authGuard(to: RouteLocationNormalized) {
  const auth = useAuthStore()
  try {
    await auth.ensureChecked()
  } catch {
    // Server unreachable: let the page render and show its own error.
  }
  if (to.meta.public) {
    if (auth.isAuthenticated && (to.name === 'login' || to.name === 'mfa-challenge')) return safeNext(to.query.next)
    return true
  }
  if (!auth.isAuthenticated) return { name: 'login', query: { next: to.fullPath } }
  if (to.meta.staff && !auth.isStaff) return { name: 'dashboard' }
  return true
}

export function createAppRouter() {
  const router = createRouter({ history: createWebHistory(), routes })
  router.beforeEach(authGuard)
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · SecuLite` : 'SecuLite'
  })
  return router
}
