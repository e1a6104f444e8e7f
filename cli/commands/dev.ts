// `dsx dev time --to <time> | --advance <duration>`: moves a local development chain's clock forward
// (evm_setNextBlockTimestamp, then evm_mine), so notices, dispute windows and periods can be played through
// without raw JSON-RPC. Local chains only: chain id 31337, or a node that answers hardhat_metadata
// (Hardhat) or anvil_nodeInfo (Anvil); anything else is refused before a call is made. A chain's clock
// only moves forward.
import { Command } from "commander";
import type { Chain, PublicClient, Transport } from "viem";
import { createChainClients } from "../../sdk/chain";
import { ConfigError, DsxError, ValidationError, durationText, isoTime } from "../../sdk/errors";
import { LOCAL_CHAIN_ID } from "../../sdk/keys";
import { nodeChainIdOf } from "../../sdk/context";
import { commandOf, leaf } from "../command";
import { emit, type Io } from "../io";
import { chainIdOption, globals, parseDuration, parseTime } from "../options";

type Client = PublicClient<Transport, Chain>;

/** A JSON-RPC call of a method viem does not type (the development nodes' own). */
const rpc = (client: Client, method: string, params: unknown[] = []): Promise<unknown> =>
  (client.request as unknown as (args: { method: string; params: unknown[] }) => Promise<unknown>)({ method, params });

/** Whether the node answers `method` (a development node's own method). */
const answers = (client: Client, method: string): Promise<boolean> => rpc(client, method).then(() => true, () => false);

/** What makes the node a local development chain ("chain 31337", "a Hardhat node", …), or undefined. */
async function localChainKind(client: Client, chainId: number): Promise<string | undefined> {
  if (chainId === LOCAL_CHAIN_ID) return `chain ${LOCAL_CHAIN_ID}`;
  if (await answers(client, "hardhat_metadata")) return "a Hardhat node";
  if (await answers(client, "anvil_nodeInfo")) return "an Anvil node";
  return undefined;
}

/** Sends a development method; a node that refuses it is told as one line with the fix. */
async function devCall(client: Client, rpcUrl: string, method: string, params: unknown[] = []): Promise<void> {
  try {
    await rpc(client, method, params);
  } catch (cause) {
    const why = cause instanceof Error ? ((cause as { details?: string }).details ?? cause.message).split("\n")[0] : String(cause);
    throw new DsxError(`The node at ${rpcUrl} refused ${method} (${why}).`, {
      fix: "Run a development node that can move its clock: a Hardhat node (npm run node) or Anvil.",
      cause,
    });
  }
}

export function devCommand(io: Io): Command {
  const dev = new Command("dev").description("tools for a local development chain (chain 31337, a Hardhat or an Anvil node)");

  leaf(
    dev,
    "time",
    "move a local chain's clock forward: to a time, or by a duration; mines one block at the new time",
    ["dsx dev time --advance 7d", "dsx dev time --to 2026-10-09T00:00Z --json"],
    "--advance counts from the latest block's time, exactly (7d, 36h, 90m, 3600s, or seconds); --to takes unix\n" +
      "seconds or ISO 8601 (a bare date is midnight UTC). Only on a local chain (chain 31337, or a node that\n" +
      "answers hardhat_metadata or anvil_nodeInfo); a chain's clock cannot go back.",
  )
    .option("--to <time>", "the new time of the chain (after its current time)")
    .option("--advance <duration>", "how far to move the chain's time forward, e.g. 7d, 36h, 90m, 3600s")
    .action(async (o: { to?: string; advance?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const g = globals(cmd);
      if ((o.to === undefined) === (o.advance === undefined)) {
        throw new ValidationError("Give exactly one of --to and --advance.", { fix: "E.g. --advance 7d, or --to 2026-10-09T00:00Z." });
      }
      const to = o.to === undefined ? undefined : parseTime(o.to, "--to");
      const advance = o.advance === undefined ? undefined : BigInt(parseDuration(o.advance, "--advance"));
      if (advance === 0n) throw new ValidationError("--advance 0 would not move the clock.", { fix: "Give a duration above 0, e.g. --advance 1h." });

      const chainId = await nodeChainIdOf(g.rpcUrl);
      const expected = chainIdOption(g.chainId);
      if (expected !== undefined && expected !== chainId) {
        throw new ConfigError("chainId", `The node at ${g.rpcUrl} is chain ${chainId}, not ${expected}.`, { fix: "Pass the right --chain-id or --rpc-url." });
      }
      const { publicClient } = createChainClients({ rpcUrl: g.rpcUrl, chainId });
      const kind = await localChainKind(publicClient, chainId);
      if (kind === undefined) {
        throw new ConfigError("rpcUrl", `The node at ${g.rpcUrl} (chain ${chainId}) is not a local development chain, so its clock cannot be moved.`, {
          fix: `Point --rpc-url at a local node: chain ${LOCAL_CHAIN_ID}, a Hardhat node (npm run node) or Anvil. On a real network, wait for the time to come.`,
        });
      }

      const before = await publicClient.getBlock({ blockTag: "latest" });
      const target = to ?? before.timestamp + advance!;
      if (target <= before.timestamp) {
        throw new ValidationError(
          `--to ${isoTime(target)} is ${target === before.timestamp ? "the chain's time already" : `${durationText(before.timestamp - target)} before the chain's time`}: the chain is at ${isoTime(before.timestamp)} (block ${before.number}), and its clock only moves forward.`,
          { fix: `Give a time after ${isoTime(before.timestamp)}, or --advance <duration>; to go back, restart the node.` },
        );
      }
      await devCall(publicClient, g.rpcUrl, "evm_setNextBlockTimestamp", [Number(target)]);
      await devCall(publicClient, g.rpcUrl, "evm_mine");
      const after = await publicClient.getBlock({ blockTag: "latest" });
      const moved = after.timestamp - before.timestamp;
      emit(
        io,
        g.json,
        { command: "dev time", chainId, from: before.timestamp, to: after.timestamp, advanced: moved, block: after.number },
        `chain ${chainId}${kind.startsWith("chain") ? "" : ` (${kind})`}: time moved from ${isoTime(before.timestamp)} to ${isoTime(after.timestamp)} (+${durationText(moved)}), block ${after.number}`,
      );
    });

  return dev;
}
