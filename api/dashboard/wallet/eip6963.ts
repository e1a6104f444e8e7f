/// <reference lib="dom" />
// EIP-6963 wallet discovery: every injected wallet announces itself (its name, icon and EIP-1193 provider) in answer
// to an "eip6963:requestProvider" event; a wallet that only sets window.ethereum (EIP-1193) is listed too.

/** An EIP-1193 provider (what an injected wallet hands the page). */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
  on?(event: string, listener: (...args: never[]) => void): void;
  removeListener?(event: string, listener: (...args: never[]) => void): void;
}

/** EIP-6963's announcement: who the wallet is, and its provider. */
export interface WalletDetail {
  info: { uuid: string; name: string; icon: string; rdns: string };
  provider: Eip1193Provider;
}

/**
 * Listens for wallets announcing themselves and asks them to; calls `onChange` with the list each time it grows.
 * A bare `window.ethereum` with no announcement is offered as "Browser wallet".
 */
export function discoverWallets(onChange: (wallets: WalletDetail[]) => void): void {
  const found = new Map<string, WalletDetail>();
  window.addEventListener("eip6963:announceProvider", (event) => {
    const detail = (event as CustomEvent<WalletDetail>).detail;
    if (!detail?.info?.uuid || typeof detail.provider?.request !== "function" || found.has(detail.info.uuid)) return;
    found.set(detail.info.uuid, detail);
    onChange([...found.values()]);
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  // wallets answer synchronously or soon after; a legacy-only wallet never does
  setTimeout(() => {
    const legacy = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
    if (found.size === 0 && legacy && typeof legacy.request === "function") {
      found.set("window.ethereum", { info: { uuid: "window.ethereum", name: "Browser wallet", icon: "", rdns: "" }, provider: legacy });
      onChange([...found.values()]);
    }
  }, 500);
}
