/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard's wallet side (issue 16, SERVICES §8): a panel beside the read-only pages. It lists the wallets that
// announce themselves (EIP-6963), connects to the one chosen, keeps it on the deployment's chain, says what the
// connected address is to the ledger and offers only the actions of that role. Without a wallet nothing changes.
import { anyoneActions, auditorActions, partnerActions, prepareAuditRecord, startupActions, type ActionSpec, type Ctx } from "./actions";
import { apiGet } from "./api";
import { discoverWallets, type WalletDetail } from "./eip6963";
import { actionForm, type FormHooks } from "./form";
import { rolesOf, rolesText } from "./roles";
import { safeSection } from "./safe";
import { rejected, Session, type Program } from "./session";
import { h } from "./ui";

const panel = document.getElementById("wallet");
const body = document.getElementById("wallet-body");
const result = document.getElementById("wallet-result");

let wallets: WalletDetail[] = [];
let session: Session | null = null;
let program: Program | null = null;
let listOpen = false;
let drawSeq = 0;
/** The message of the last failure to connect or switch (role="alert"). */
let problem = "";

async function loadProgram(): Promise<Program> {
  program ??= (await apiGet("/v1/program")).data as Program;
  return program;
}

function setResult(state: string, text: string) {
  if (!result) return;
  result.dataset.state = state;
  result.dataset.seq = String(Number(result.dataset.seq ?? "0") + 1);
  result.textContent = text;
}

async function connect(wallet: WalletDetail) {
  problem = "";
  session?.disconnect();
  const s = new Session(wallet, await loadProgram(), () => void draw());
  try {
    await s.connect();
    session = s;
    listOpen = false;
    if (!s.onChain) await switchChain();
  } catch (err) {
    s.disconnect();
    problem = rejected(err) ? `You rejected the connection in ${wallet.info.name}. Choose a wallet to try again.` : `${wallet.info.name} did not connect: ${err instanceof Error ? err.message : String(err)}`;
  }
  await draw();
  (panel?.querySelector("[data-focus]") as HTMLElement | null)?.focus();
}

async function switchChain() {
  if (!session) return;
  problem = "";
  try {
    await session.switchChain();
  } catch (err) {
    problem = rejected(err)
      ? `You rejected the network switch: the wallet stays on chain ${session.chainId}, so nothing can be sent. Switch when ready.`
      : `The wallet could not switch to chain ${session.program.chainId}: ${err instanceof Error ? err.message : String(err)}. Add the network in the wallet (docs/dashboard.md).`;
  }
  await draw();
}

function walletList(): HTMLElement {
  if (wallets.length === 0) {
    return h("p", { class: "muted", "data-field": "noWallet" }, "No browser wallet found. Install one (MetaMask, Rabby, Coinbase Wallet, …) and reload to act from it; the dashboard stays read-only without.");
  }
  const toggle = h("button", { type: "button", "aria-expanded": String(listOpen), "aria-controls": "wallet-list", "data-focus": session ? null : "" }, "Connect a wallet");
  toggle.addEventListener("click", () => {
    listOpen = !listOpen;
    void draw().then(() => (document.querySelector("#wallet-list button") as HTMLElement | null)?.focus());
  });
  const list = h(
    "ul",
    { id: "wallet-list", class: "wallet-list", hidden: !listOpen, "aria-label": "Wallets found in this browser" },
    ...wallets.map((w) =>
      h(
        "li",
        null,
        h(
          "button",
          { type: "button", "data-wallet": w.info.rdns || w.info.uuid, onclick: () => void connect(w) },
          w.info.icon ? h("img", { src: w.info.icon, alt: "", width: 20, height: 20 }) : null,
          w.info.name,
        ),
      ),
    ),
  );
  return h("div", null, toggle, list);
}

async function ctxOf(s: Session): Promise<Ctx> {
  if (!s.account) throw new Error("No account is connected.");
  if (!s.onChain) throw new Error(`Your wallet is on chain ${s.chainId}; switch it to chain ${s.program.chainId} first.`);
  const block = await s.publicClient.getBlock();
  return { session: s, account: s.account, now: block.timestamp };
}

function group(title: string, field: string, specs: ActionSpec[], hooks: FormHooks, extra: HTMLElement[] = []): HTMLElement | null {
  if (specs.length === 0 && extra.length === 0) return null;
  return h("section", { class: "wallet-group", "data-role": field, "aria-label": title }, h("h3", null, title), ...specs.map((s) => actionForm(s, hooks)), ...extra);
}

async function actionsFor(s: Session): Promise<HTMLElement[]> {
  const hooks: FormHooks = {
    ctx: () => ctxOf(s),
    done: (block, message) => {
      setResult("indexed", message);
      if (result) result.dataset.block = String(block);
      void draw();
    },
  };
  const roles = await rolesOf(s.account!, s.program, s.publicClient);
  const out: (HTMLElement | null)[] = [h("p", { "data-field": "walletRole", "data-roles": rolesText(roles) }, h("strong", null, "Role: "), rolesText(roles))];
  for (const a of roles.startup) {
    const agreement = (await apiGet(`/v1/agreements/${a.id}`)).data;
    out.push(group(`Startup of agreement ${a.id}`, "startup", startupActions(agreement, s.program), hooks));
  }
  if (roles.partner) {
    const partner = (await apiGet(`/v1/partners/${s.account}`)).data;
    out.push(group("Partner", "partner", partnerActions(partner, s.program), hooks));
  }
  if (roles.auditor) {
    const record: ActionSpec = { key: "record-audit", title: "Record an audit from its report file", fields: [], submit: "Check the report", prepare: async () => ({ lines: [], steps: [] }) };
    const recordHooks: FormHooks = { ...hooks, file: { label: "Audit report (JSON file: choose it or drop it here)", prepare: prepareAuditRecord } };
    out.push(group("Auditor", "auditor", auditorActions(), hooks, [actionForm(record, recordHooks)]));
  }
  out.push(group("Anyone", "anyone", anyoneActions(s.program), hooks));
  // program and admin actions: prepared for a Safe, never sent from here (open for a role holder, offered to all)
  out.push(safeSection(s, s.account!, roles.program || roles.admin, () => ctxOf(s), () => void draw()));
  return out.filter((n): n is HTMLElement => n !== null);
}

async function draw(): Promise<void> {
  if (!body) return;
  const seq = ++drawSeq;
  const nodes: HTMLElement[] = [];
  if (problem) nodes.push(h("p", { class: "wallet-problem", role: "alert", "data-field": "walletProblem" }, problem));
  const s = session;
  if (!s || !s.account) {
    nodes.push(walletList());
  } else {
    nodes.push(
      h(
        "p",
        { "data-field": "walletAccount", "data-raw": s.account },
        `Connected with ${s.wallet.info.name}: `,
        h("code", null, s.account),
        " ",
        h("button", { type: "button", class: "link", "data-focus": "", onclick: () => { s.disconnect(); session = null; void draw(); } }, "Disconnect"),
      ),
    );
    if (!s.onChain) {
      nodes.push(
        h(
          "div",
          { class: "wallet-problem", role: "alert", "data-field": "wrongChain" },
          h("p", null, `Your wallet is on chain ${s.chainId}; this ledger is on chain ${s.program.chainId}. Nothing can be sent until it switches.`),
          h("button", { type: "button", onclick: () => void switchChain() }, `Switch to chain ${s.program.chainId}`),
        ),
      );
    } else {
      try {
        nodes.push(...(await actionsFor(s)));
      } catch (err) {
        nodes.push(h("p", { class: "wallet-problem", role: "alert" }, `Could not read your role: ${err instanceof Error ? err.message : String(err)}. It is tried again at the next change.`));
      }
    }
  }
  if (seq !== drawSeq) return;
  // open forms stay open and keep what they said (a preview's Send button too); their fields are rebuilt from the
  // fresh figures
  const keyOf = (d: Element) => d.getAttribute("data-action-key") ?? d.getAttribute("data-safe-action");
  const forms = "details[data-action-key], details[data-safe-action]";
  const open = new Set([...body.querySelectorAll(`${forms}`)].filter((d) => d.hasAttribute("open")).map(keyOf));
  const said = new Map([...body.querySelectorAll(forms)].map((d) => [keyOf(d), d.querySelector("[data-outcome]")]));
  body.replaceChildren(...nodes);
  for (const d of body.querySelectorAll(forms)) {
    const key = keyOf(d);
    if (open.has(key)) d.setAttribute("open", "");
    const old = said.get(key);
    if (old?.getAttribute("data-outcome")) d.querySelector("[data-outcome]")?.replaceWith(old);
  }
  if (panel) panel.dataset.state = !s?.account ? "disconnected" : s.onChain ? "connected" : "wrong-chain";
}

if (panel && body) {
  panel.hidden = false;
  discoverWallets((list) => {
    wallets = list;
    if (!session) void draw();
  });
  void draw();
}
