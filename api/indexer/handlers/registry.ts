// The event handlers' registry, in the shape of Ponder's `ponder.on("Contract:Event", handler)`: each domain's file
// registers what its events do to the replay state; the model looks the handler up per log. A log whose event has
// no handler is an error, never dropped: events that change nothing the index keeps are ignored by name.
import { dsxCreditAbi, revenueShareLedgerAbi } from "../../../sdk/abis";
import type { CreditEvent, DecodedLog, LedgerEvent, LogPosition } from "../events";
import { ReplayError, where, type LedgerState } from "../state";

type LedgerEventName = LedgerEvent["eventName"];
type CreditEventName = CreditEvent["eventName"];
type Source = DecodedLog["source"];

/** An event as handlers name it: `<source>:<event>`, the source being the log's contract (`ledger` or `credit`). */
export type EventKey = `ledger:${LedgerEventName}` | `credit:${CreditEventName}`;

/** The decoded event (`eventName`, typed `args`) a key names. */
export type EventOf<K extends EventKey> = K extends `ledger:${infer N}`
  ? Extract<LedgerEvent, { eventName: N }>
  : K extends `credit:${infer N}`
    ? Extract<CreditEvent, { eventName: N }>
    : never;

/** What a handler gets: the decoded event, where its log sits (block, time, transaction), the state to update. */
export interface HandlerArgs<K extends EventKey> {
  event: EventOf<K>;
  log: LogPosition;
  state: LedgerState;
}

/** Applies one event to the state (synchronously, in chain order). */
export type Handler<K extends EventKey> = (args: HandlerArgs<K>) => void;

/** Thrown for a log whose event no handler takes and that is not ignored by name. */
export class UnhandledEventError extends ReplayError {
  override name = "UnhandledEventError";
}

const ABI_EVENTS: Record<Source, ReadonlySet<string>> = {
  ledger: new Set(revenueShareLedgerAbi.flatMap((item) => (item.type === "event" ? [item.name] : []))),
  credit: new Set(dsxCreditAbi.flatMap((item) => (item.type === "event" ? [item.name] : []))),
};

const ignoreEvent: Handler<EventKey> = () => undefined;

/** Handlers by event; one per event, each event of the two ABIs handled or ignored by name. */
export class HandlerRegistry {
  private readonly handlers: Record<Source, Map<string, Handler<EventKey>>> = { ledger: new Map(), credit: new Map() };

  /**
   * Registers what `key`'s event does to the state.
   * @throws Error when `key` names no event of its contract's ABI or already has a handler.
   * @example registry.on("ledger:Paused", ({ state }) => { state.program.paused = true; state.programDirty = true; });
   */
  on<K extends EventKey>(key: K, handler: Handler<K>): this {
    const [source, name] = split(key);
    if (!ABI_EVENTS[source]?.has(name)) throw new Error(`${key}: the ${source} ABI has no such event`);
    if (this.handlers[source].has(name)) throw new Error(`${key} already has a handler`);
    this.handlers[source].set(name, handler as Handler<EventKey>);
    return this;
  }

  /** Events that change nothing the index keeps (roles, EIP-712 domain, approvals): applied as no-ops. */
  ignore(...keys: EventKey[]): this {
    for (const key of keys) this.on(key, ignoreEvent);
    return this;
  }

  /**
   * The handler of a decoded log's event.
   * @throws UnhandledEventError naming the event and the log when none is registered.
   */
  handlerFor(log: DecodedLog): Handler<EventKey> {
    const handler = this.handlers[log.source].get(log.event.eventName);
    if (handler) return handler;
    throw new UnhandledEventError(
      `no handler for ${log.source}:${log.event.eventName} at ${where(log)}: register one in api/indexer/handlers/ (or ignore it there by name)`,
    );
  }

  /** The events of the two ABIs with neither a handler nor an ignore (none in a complete registry). */
  unhandled(): EventKey[] {
    const missing: EventKey[] = [];
    for (const source of ["ledger", "credit"] as const) {
      for (const name of ABI_EVENTS[source]) if (!this.handlers[source].has(name)) missing.push(`${source}:${name}` as EventKey);
    }
    return missing;
  }
}

function split(key: string): [Source, string] {
  const colon = key.indexOf(":");
  return [key.slice(0, colon) as Source, key.slice(colon + 1)];
}
