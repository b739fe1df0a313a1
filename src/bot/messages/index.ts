// The bot's catalogs by language.
import type { Locale } from "../../registration/types.ts";
import type { BotMessages } from "./catalog.ts";
import { de } from "./de.ts";
import { en } from "./en.ts";

export const botCatalogs: Record<Locale, BotMessages> = { en, de };
export type { BotMessages };
