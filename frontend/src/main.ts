// Boots the app: Pinia, the router, and what a 401 means (session over: sign in, come back).
import { createPinia } from 'pinia'
import { createApp } from 'vue'

import { onUnauthorized } from '@/api/client'
import App from '@/App.vue'
import { createAppRouter } from '@/router'
import { useAuthStore } from '@/stores/useAuthStore'
import '@/styles.css'

const app = createApp(App)
const pinia = createPinia()
const router = createAppRouter()
app.use(pinia)
app.use(router)

onUnauthorized(() => {
  useAuthStore(pinia).expire()
  const current = router.currentRoute.value
  if (!current.meta.public) {
    void router.push({ name: 'login', query: { next: current.fullPath } })
  }
})

// Mount once the first route is resolved: before that the current route is the empty start
// location, which is not a public page, so the signed-in shell would mount on a sign-in page
// (its calls answer 401 and the handler above would cancel the navigation in progress, as it
// did when single sign-on sends the browser back to /login?sso=done).
void router.isReady().then(() => app.mount('#app'))
