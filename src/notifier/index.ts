/**
 * The notifier as other parts of Tidewatch use it:
 *
 *   const notifier = await Notifier.start({ configFile, dataDir, logger })
 *   await registerNotifierRoutes(app, notifier)     // or plugins: [notifierPlugin(notifier)]
 *   …
 *   await notifier.close()                          // after app.close(): stops timers and delivery
 */
export { Notifier, type NotifierStartOptions, type AlertStatus } from './notifier.js'
export { registerNotifierRoutes, notifierPlugin, type NotifierRoutesOptions, MAX_ALERTS_BODY_BYTES } from './api/routes.js'
export { loadNotifierConfig, parseNotifierConfig, DEFAULT_RECEIVER_TIMEOUT_MS, type NotifierConfig } from './config.js'
