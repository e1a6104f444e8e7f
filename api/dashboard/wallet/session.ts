/// <reference lib="dom" />
// The connected wallet: its account and chain (followed live through accountsChanged / chainChanged), the
// deployment's chain enforced (wallet_switchEthereumChain, wallet_addEthereumChain for a local chain), and viem
// clients on the wallet's own EIP-1193 provider (the page itself talks only to its API: CSP connect-src 'self').
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  getAddress,
  type Address,
  type Chain,
  type PublicClient,
  type WalletClient,
} from "viem";
import type { WalletDetail } from "./eip6963";

/** The deployment, as `GET /v1/program` gives it. */
export interface Program {
  chainId: number;
  ledger: Address;
  credit: Address;
  settlementToken: Address;
  treasury: Address;
  constants: { disputeWindow: number; authNotice: number; migrationNotice: number; payoutNotice: number; signerNotice: number; reportingGrace: number };
}

/** The RPC URL a wallet is told for the local chain (the demo's `hardhat node`). */
export const LOCAL_RPC_URL = "http://127.0.0.1:8545";
const LOCAL_CHAIN_ID = 31337;

/** An error a wallet returns (EIP-1193 `code`: 4001 the user rejected, 4902 unknown chain). */
export function walletCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "number" && code >= 4000 && code < 5000) return code;
  }
  return undefined;
}

/** Whether the user said no in the wallet (EIP-1193 error 4001). */
export const rejected = (err: unknown) => walletCode(err) === 4001;

export class Session {
  readonly chain: Chain;
  account: Address | undefined;
  chainId: number | undefined;
  readonly publicClient: PublicClient;
  private listeners: [string, (...args: never[]) => void][] = [];

  constructor(
    readonly wallet: WalletDetail,
    readonly program: Program,
    private readonly onChange: () => void,
  ) {
    this.chain = defineChain({
      id: program.chainId,
      name: program.chainId === LOCAL_CHAIN_ID ? "DSX local chain" : `Chain ${program.chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: program.chainId === LOCAL_CHAIN_ID ? [LOCAL_RPC_URL] : [] } },
    });
    this.publicClient = createPublicClient({ chain: this.chain, transport: custom(wallet.provider), pollingInterval: 250 });
  }

  /** Whether the wallet is on the deployment's chain. */
  get onChain(): boolean {
    return this.chainId === this.program.chainId;
  }

  /** A wallet client for the connected account (sends through the wallet, which signs). */
  walletClient(): WalletClient {
    if (!this.account) throw new Error("No account is connected.");
    return createWalletClient({ account: this.account, chain: this.chain, transport: custom(this.wallet.provider) });
  }

  /** Asks the wallet for its accounts (the wallet's own prompt) and follows its account and chain changes. */
  async connect(): Promise<void> {
    const provider = this.wallet.provider;
    const accounts = (await provider.request({ method: "eth_requestAccounts" })) as string[];
    this.account = accounts[0] ? getAddress(accounts[0]) : undefined;
    this.chainId = Number(await provider.request({ method: "eth_chainId" }));
    const onAccounts = (list: string[]) => {
      this.account = list[0] ? getAddress(list[0]) : undefined;
      this.onChange();
    };
    const onChain = (id: string) => {
      this.chainId = Number(id);
      this.onChange();
    };
    this.listen("accountsChanged", onAccounts as (...args: never[]) => void);
    this.listen("chainChanged", onChain as (...args: never[]) => void);
  }

  private listen(event: string, fn: (...args: never[]) => void): void {
    this.wallet.provider.on?.(event, fn);
    this.listeners.push([event, fn]);
  }

  /** Stops following the wallet (the wallet itself stays connected to the site until the user says otherwise). */
  disconnect(): void {
    for (const [event, fn] of this.listeners) this.wallet.provider.removeListener?.(event, fn);
    this.listeners = [];
    this.account = undefined;
  }

  /**
   * Asks the wallet to switch to the deployment's chain; a wallet that does not know the local chain (4902) is
   * asked to add it (chain id 31337, {@link LOCAL_RPC_URL}). Throws what the wallet answered (4001: the user said no).
   */
  async switchChain(): Promise<void> {
    const chainId = `0x${this.program.chainId.toString(16)}`;
    const provider = this.wallet.provider;
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    } catch (err) {
      if (walletCode(err) !== 4902 || this.program.chainId !== LOCAL_CHAIN_ID) throw err;
      await provider.request({
        method: "wallet_addEthereumChain",
        params: [{ chainId, chainName: this.chain.name, nativeCurrency: this.chain.nativeCurrency, rpcUrls: [LOCAL_RPC_URL] }],
      });
    }
    this.chainId = Number(await provider.request({ method: "eth_chainId" }));
  }
}
