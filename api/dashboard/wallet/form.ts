/// <reference lib="dom" />
// One action as a form: Check (parse the fields, simulate, show what will change or the refusal with its fix),
// then Send (each step opens the wallet; the transaction is followed — pending, mined, reverted with its reason,
// replaced — and the page waits for the index with ?minBlock before it shows new figures).
import { type Hex } from "viem";
import { waitForIndex } from "./api";
import { refusalOf, Refusal, type ActionSpec, type Ctx, type Prepared } from "./actions";
import { FieldError, parseField } from "./fields";
import { rejected } from "./session";
import { h, uid } from "./ui";

export interface FormHooks {
  ctx(): Promise<Ctx>;
  /** After the index has the transaction's block: say so where a redraw keeps it, and redraw the panel's figures. */
  done(block: number, message: string): void;
  /** Instead of fields: a file (the auditor's report), read as bytes. */
  file?: { label: string; prepare(bytes: Uint8Array, ctx: Ctx): Promise<Prepared> };
  /** Instead of Send: the prepared call is added to a Safe batch (safe.ts); returns the sentence to show. */
  batch?: { add(spec: ActionSpec, prepared: Prepared, ctx: Ctx): string };
}

/** The action's form, inside a <details> (closed until opened: keyboard and screen-reader friendly). */
export function actionForm(spec: ActionSpec, hooks: FormHooks): HTMLElement {
  // found by id when it speaks: a redraw of the panel keeps the outcome element on screen (main.ts), so the form
  // that replaced this one and a send still in flight both write where the user reads
  const outcomeId = `outcome-${spec.key}`;
  const outcome = h("div", { id: outcomeId, class: "wallet-outcome", "data-outcome": "", "aria-live": "polite" });
  const inputs = new Map<string, { el: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement; error: HTMLElement }>();
  const rows = spec.fields.map((f) => {
    const id = uid(`f-${spec.key}-${f.name}`);
    const errId = `${id}-error`;
    const helpId = f.help ? `${id}-help` : null;
    const describedBy = [helpId, errId].filter(Boolean).join(" ");
    const el =
      f.kind === "choice"
        ? (h("select", { id, name: f.name, "aria-describedby": describedBy }, ...(f.choices ?? []).map(([value, label]) => h("option", { value }, label))) as HTMLSelectElement)
        : f.kind === "reason" || f.kind === "addresses"
          ? (h("textarea", { id, name: f.name, rows: 3, spellcheck: f.kind === "reason" ? "true" : "false", "aria-describedby": describedBy }, f.value ?? "") as HTMLTextAreaElement)
          : (h("input", { id, name: f.name, type: "text", value: f.value ?? "", autocomplete: "off", spellcheck: "false", inputmode: f.kind === "amount" ? "decimal" : f.kind === "uint" ? "numeric" : null, "aria-describedby": describedBy }) as HTMLInputElement);
    const error = h("p", { id: errId, class: "field-error", role: "alert" });
    inputs.set(f.name, { el, error });
    return h("div", { class: "field" }, h("label", { for: id }, f.label), el, f.help ? h("p", { id: helpId, class: "muted" }, f.help) : null, error);
  });
  let fileBytes: Uint8Array | null = null;
  let fileRow: HTMLElement | null = null;
  if (hooks.file) {
    const id = uid(`f-${spec.key}-file`);
    const error = h("p", { id: `${id}-error`, class: "field-error", role: "alert" });
    const input = h("input", { id, type: "file", accept: "application/json,.json", "aria-describedby": `${id}-error` }) as HTMLInputElement;
    const read = async (file: File | undefined) => {
      fileBytes = file ? new Uint8Array(await file.arrayBuffer()) : null;
      error.textContent = "";
    };
    input.addEventListener("change", () => void read(input.files?.[0]));
    fileRow = h("div", { class: "field drop", "data-drop": "" }, h("label", { for: id }, hooks.file.label), input, error);
    fileRow.addEventListener("dragover", (e) => e.preventDefault());
    fileRow.addEventListener("drop", (e) => {
      e.preventDefault();
      void read((e as DragEvent).dataTransfer?.files?.[0]);
    });
    inputs.set("file", { el: input, error });
  }
  const check = h("button", { type: "submit" }, spec.submit ?? "Check");
  const form = h("form", { class: "wallet-form", novalidate: true, "data-action": spec.key }, ...rows, fileRow, h("div", { class: "actions" }, check), outcome) as HTMLFormElement;

  const say = (state: string, ...lines: (string | Node)[]) => {
    const el = document.getElementById(outcomeId) ?? outcome;
    el.dataset.outcome = state;
    el.replaceChildren(...lines.map((l) => (typeof l === "string" ? h("p", null, l) : l)));
  };
  const refuse = (err: unknown, ctx?: Ctx) => {
    if (rejected(err)) {
      say("rejected", h("p", { role: "alert" }, "You rejected the request in your wallet: nothing was sent. You can check and send again."));
      return;
    }
    const r = err instanceof Refusal ? err : refusalOf(err, ctx?.now);
    say("refused", h("div", { role: "alert" }, h("p", { class: "refusal" }, r.message), r.fix ? h("p", { class: "fix" }, `How to fix it: ${r.fix}`) : null));
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void (async () => {
      const values: Record<string, unknown> = {};
      let first: HTMLElement | null = null;
      for (const f of spec.fields) {
        const { el, error } = inputs.get(f.name)!;
        try {
          values[f.name] = parseField(f, el.value);
          error.textContent = "";
          el.removeAttribute("aria-invalid");
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
          error.textContent = err.message;
          el.setAttribute("aria-invalid", "true");
          first ??= el;
        }
      }
      if (hooks.file && !fileBytes) {
        const { el, error } = inputs.get("file")!;
        error.textContent = "Choose or drop the audit report file first.";
        first ??= el;
      }
      if (first) {
        say("invalid");
        first.focus();
        return;
      }
      check.setAttribute("disabled", "");
      say("checking", "Simulating with your account…");
      let ctx: Ctx | undefined;
      try {
        ctx = await hooks.ctx();
        const prepared = hooks.file ? await hooks.file.prepare(fileBytes!, ctx) : await spec.prepare(values, ctx);
        const batch = hooks.batch;
        const send = batch
          ? h("button", { type: "button", class: "send" }, "Add to the Safe batch")
          : h("button", { type: "button", class: "send" }, `Send from your wallet (${prepared.steps.length === 1 ? "one transaction" : `${prepared.steps.length} transactions`})`);
        send.addEventListener("click", () => {
          if (!batch) return void run(prepared, ctx!, send);
          try {
            say("added", batch.add(spec, prepared, ctx!));
          } catch (err) {
            refuse(err, ctx);
          }
        });
        say("preview", h("p", null, batch ? "The simulation as the Safe passed. What will change when the Safe executes it:" : "The simulation passed. What will change:"), h("ul", null, ...prepared.lines.map((l) => h("li", null, l))), send);
        send.focus();
      } catch (err) {
        refuse(err, ctx);
      } finally {
        check.removeAttribute("disabled");
      }
    })();
  });

  async function run(prepared: Prepared, ctx: Ctx, send: HTMLElement) {
    send.setAttribute("disabled", "");
    const client = ctx.session.publicClient;
    let lastBlock = 0n;
    /** What the wallet did to a transaction while it was pending (sped up, cancelled, replaced). */
    const replaced: string[] = [];
    for (const [i, step] of prepared.steps.entries()) {
      const n = prepared.steps.length > 1 ? ` (${i + 1} of ${prepared.steps.length}: ${step.label})` : "";
      say("wallet", `Confirm in your wallet${n}…`);
      let hash: Hex;
      try {
        hash = await step.send();
      } catch (err) {
        refuse(err, ctx);
        return;
      }
      say("pending", h("p", null, `Pending${n}: `, h("code", { "data-tx": hash }, hash)));
      let receipt;
      try {
        receipt = await client.waitForTransactionReceipt({
          hash,
          pollingInterval: 250,
          onReplaced: (r) => {
            replaced.push(`${r.reason} in the wallet by ${r.transaction.hash}`);
            say("pending", h("p", null, `The transaction was ${r.reason} in your wallet; following `, h("code", null, r.transaction.hash), "…"));
          },
        });
      } catch (err) {
        refuse(err, ctx);
        return;
      }
      if (receipt.status === "reverted") {
        // the reason: the same call replayed on the block it was mined in
        let why = new Refusal("The transaction reverted.", "Check the page's figures and try again.");
        try {
          await client.simulateContract({ ...step.call, account: ctx.account, blockNumber: receipt.blockNumber });
        } catch (err) {
          why = refusalOf(err, ctx.now);
        }
        say("reverted", h("div", { role: "alert" }, h("p", null, `Reverted in block ${receipt.blockNumber}${n}: ${why.message}`), why.fix ? h("p", { class: "fix" }, `How to fix it: ${why.fix}`) : null));
        return;
      }
      lastBlock = receipt.blockNumber;
      say("mined", `Mined in block ${receipt.blockNumber}${n}${replaced.length ? ` (${replaced.join("; ")})` : ""}.`);
    }
    say("indexing", `Mined in block ${lastBlock}; waiting for the index to reach it…`);
    try {
      const block = await waitForIndex(lastBlock);
      const after = prepared.afterIndexed ? ` ${await prepared.afterIndexed(lastBlock)}` : "";
      const message = `${spec.title}: done, mined in block ${lastBlock}${replaced.length ? ` (${replaced.join("; ")})` : ""} and indexed; the figures include it.${after}`;
      say("indexed", message);
      hooks.done(block, message);
    } catch (err) {
      say("mined", `Mined in block ${lastBlock}, but the index has not reached it yet (${err instanceof Error ? err.message : String(err)}). Reload later to see the new figures.`);
    }
  }

  // a Safe action is keyed apart from the wallet's own actions (data-safe-action): the lists of what a role may send stay as they were
  return h("details", { class: "wallet-action", [hooks.batch ? "data-safe-action" : "data-action-key"]: spec.key }, h("summary", null, spec.title), form);
}
