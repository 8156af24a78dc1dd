/**
 * The server side of the web pages (the dashboard and the leaderboard): static files with the
 * shared browser helpers of web/shared/, security headers, the Host check.
 *
 * @module
 */
export {
  type Asset,
  contentType,
  hostCheck,
  loadPageFiles,
  type PageAnswers,
  pageAnswers,
  securityHeaders,
  SHARED_FILES,
  SHARED_WEB_DIR,
} from "./static.ts";
