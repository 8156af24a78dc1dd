/**
 * The live leaderboard: vote events through Kafka into Redis sorted sets,
 * pushed over a WebSocket to a page whose rows glide to their new ranks.
 * See apps/leaderboard/README.md.
 *
 * @module
 */
export { type AppOptions, type LeaderboardApp, startLeaderboardApp, WEB_DIR } from "./app.ts";
export {
  type Board,
  type BoardChanges,
  type BoardRow,
  type BoardTotals,
  diffBoards,
  totalsChanged,
} from "./board.ts";
export {
  LEADERBOARD_CONFIG_FILE,
  LEADERBOARD_TOPIC_ROLES,
  type LeaderboardConfig,
  LeaderboardConfigSchema,
  type LeaderboardTopic,
  loadLeaderboardConfig,
  topicByRole,
  topicSpecByRole,
} from "./leaderboard_config.ts";
export { runVoteConsumer, type VoteConsumerOptions, type VoteConsumerStats } from "./consume.ts";
export {
  type DecodedVote,
  decodeVote,
  encodeVote,
  MAX_VOTE_BYTES,
  newVoteEvent,
  SKIN_ID_PATTERN,
  SkinIdSchema,
  VOTE_KINDS,
  type VoteEvent,
  VoteEventSchema,
  type VoteKind,
  type VoteRejection,
} from "./event.ts";
export { BoardHub, type HubOptions } from "./hub.ts";
export { ensureLeaderboardTopics, VotePublisher } from "./kafka.ts";
export { RateLimiter } from "./rate_limit.ts";
export { type RedisServer, startRedisServer } from "./redis_server.ts";
export {
  type Asset,
  CONTENT_SECURITY_POLICY,
  createLeaderboardHandler,
  type HandlerDeps,
  loadAssets,
  VoteRequestSchema,
} from "./server.ts";
export { type PlannedVote, type SimulationConfig, VotePlanner, zipfSampler } from "./simulate.ts";
export { type ApplyResult, connectStore, LeaderboardStore, type StoreOptions } from "./store.ts";
export { runVoters, type VoterStats } from "./voters.ts";
