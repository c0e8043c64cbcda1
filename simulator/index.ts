export {
  FakeLogStream,
  type FakeSink,
  type FakeStreamStatus,
  LogStreamRegistry,
} from "./log-streams.ts";
export {
  LogstashFake,
  type LogstashFault,
  type LogstashOptions,
  startLogstash,
} from "./logstash.ts";
export { SlackFake, type SlackFault, startSlack } from "./slack.ts";
export {
  StreamPusher,
  type StreamPusherOptions,
  type StreamStatus,
  startStreamPusher,
} from "./stream.ts";
export { startTenant, type TenantFault, type TenantOptions, TenantSimulator } from "./tenant.ts";
