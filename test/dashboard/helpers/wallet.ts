// An EIP-1193 wallet injected into the page before it loads (page.addInitScript) and announced by EIP-6963, that
// forwards every request to the real `hardhat node` (its accounts are unlocked there, so the node signs and sends):
// each click in the dashboard sends a real transaction. The test steers it like a user would: which account, which
// chain the wallet is on, which chains it knows, rejecting the next request (4001), a permit signature the token
// will refuse.
import type { Page } from "playwright-core";

// Page-side callbacks run in the browser; this Node project compiles without the DOM library.
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the browser's, untyped here

export interface WalletOptions {
  /** The node's JSON-RPC URL. */
  rpcUrl: string;
  account: string;
  /** The chain the wallet is on at first (default the node's, 31337). */
  chainId?: number;
  /** Chains the wallet knows besides its first one; switching to another answers 4902 until it is added. */
  knownChains?: number[];
  name?: string;
}

export interface TestWallet {
  /** The wallet's state; change it between steps. */
  state: { account: string; chainId: number; known: Set<number>; reject: Set<string>; corruptPermit: boolean; calls: string[] };
  /** Makes the next request of `method` answer 4001 (the user rejected it). */
  rejectNext(method: string): void;
  /** Switches the wallet's account, as a user would in the wallet (accountsChanged). */
  setAccount(account: string): Promise<void>;
}

interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

async function nodeRpc(url: string, method: string, params: unknown): Promise<{ result?: unknown; error?: RpcError }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }) });
  return (await res.json()) as { result?: unknown; error?: RpcError };
}

/**
 * Connects the page with the listed test wallet (Connect a wallet, then its EIP-6963 entry) and waits until the panel
 * is in `expectState` ("connected": the role line drawn; "wrong-chain": the switch offered).
 */
export async function connectWallet(page: Page, expectState = "connected"): Promise<void> {
  await page.getByRole("button", { name: "Connect a wallet" }).click();
  await page.getByRole("button", { name: "Test Wallet" }).click();
  await page.waitForFunction((s) => window.document.getElementById("wallet").dataset.state === s, expectState);
  if (expectState === "connected") await page.locator('[data-field="walletRole"]').waitFor();
}

/** Installs the wallet into `page` (before its first navigation). */
export async function installWallet(page: Page, options: WalletOptions): Promise<TestWallet> {
  const state: TestWallet["state"] = {
    account: options.account,
    chainId: options.chainId ?? 31337,
    known: new Set([options.chainId ?? 31337, ...(options.knownChains ?? [])]),
    reject: new Set(),
    corruptPermit: false,
    calls: [],
  };
  const emit = (event: string, data: unknown) => page.evaluate(([e, d]) => window.__testWalletEmit(e, d), [event, data] as const);
  await page.exposeFunction("__testWalletRpc", async (method: string, params: unknown): Promise<{ result?: unknown; error?: RpcError }> => {
    state.calls.push(method);
    if (state.reject.delete(method)) return { error: { code: 4001, message: "User rejected the request." } };
    const p = (params ?? []) as Record<string, unknown>[];
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return { result: [state.account] };
      case "eth_chainId":
        return { result: `0x${state.chainId.toString(16)}` };
      case "wallet_switchEthereumChain": {
        const id = Number(p[0].chainId);
        if (!state.known.has(id)) return { error: { code: 4902, message: `Unrecognized chain ID ${p[0].chainId as string}.` } };
        state.chainId = id;
        await emit("chainChanged", `0x${id.toString(16)}`);
        return { result: null };
      }
      case "wallet_addEthereumChain": {
        const id = Number(p[0].chainId);
        state.known.add(id);
        state.chainId = id;
        await emit("chainChanged", `0x${id.toString(16)}`);
        return { result: null };
      }
      case "eth_signTypedData_v4": {
        if (!state.corruptPermit) return nodeRpc(options.rpcUrl, method, params);
        // the user signs, but another value than the one the page will submit: the token refuses the permit
        const [who, text] = params as [string, string];
        const data = JSON.parse(text) as { message: { value: string } };
        data.message.value = String(BigInt(data.message.value) + 1n);
        return nodeRpc(options.rpcUrl, method, [who, JSON.stringify(data)]);
      }
      case "eth_sendTransaction":
        if (state.chainId !== 31337) return { error: { code: -32603, message: `The wallet is on chain ${state.chainId}.` } };
        return nodeRpc(options.rpcUrl, method, params);
      default:
        return nodeRpc(options.rpcUrl, method, params);
    }
  });
  await page.addInitScript((name: string) => {
    const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
    const provider = {
      async request({ method, params }: { method: string; params?: unknown }) {
        const answer = await window.__testWalletRpc(method, params);
        if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code, data: answer.error.data });
        return answer.result;
      },
      on(event: string, fn: (...args: unknown[]) => void) {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(fn);
      },
      removeListener(event: string, fn: (...args: unknown[]) => void) {
        listeners.get(event)?.delete(fn);
      },
    };
    window.__testWalletEmit = (event: string, data: unknown) => {
      for (const fn of listeners.get(event) ?? []) fn(data);
    };
    const info = Object.freeze({ uuid: "6f1e8f7c-3c1d-4d39-9d1c-000000031337", name, icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E", rdns: "test.dsx.wallet" });
    const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
    window.addEventListener("eip6963:requestProvider", announce);
    announce();
  }, options.name ?? "Test Wallet");
  return {
    state,
    rejectNext: (method) => void state.reject.add(method),
    async setAccount(account) {
      state.account = account;
      await emit("accountsChanged", [account]);
    },
  };
}
