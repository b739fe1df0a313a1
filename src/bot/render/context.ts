// What rendering needs besides the result itself: the catalog of the room's language and a few settings.
import type { Command, ParamName } from "../commands/framework.ts";
import type { BotMessages } from "../messages/catalog.ts";

export interface RenderContext {
  messages: BotMessages;
  prefix: string;
  serverName: string;
  approvalsRequired: number;
  declinesRequired: number;
  moderatorPowerLevel: number;
  now: Date;
  /** Every command, for !help and usage lines. */
  commands: readonly Command[];
}

export function labelOf(r: RenderContext): (name: ParamName) => string {
  return (name) => r.messages.paramLabels[name];
}
