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

app.mount('#app')
