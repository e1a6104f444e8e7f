// Generic metering files of a week (SERVICES §2 input 2): JSON Lines for Nordlys' pods, CSV for Southern Cross'
// endpoints.
import type { PartnerSpec } from "../../demo/program";
import { csvLine, isoIn } from "./format";
import type { MeterRecord } from "./scenario";

/** A metering file: JSON Lines for Nordlys' Kubernetes pods, CSV for Southern Cross' dedicated endpoints. */
export function meteringFile(partner: PartnerSpec, records: readonly MeterRecord[]): string {
  if (partner.key === "nordlys") {
    return records
      .map((r) => {
        const obj: Record<string, unknown> = {
          recordId: r.recordId,
          account: r.account,
          sku: r.sku,
          // the pod scheduler writes UTC; the usage exporter writes the node's local offset
          start: isoIn(r.start, "UTC"),
          end: isoIn(r.end, partner.timezone),
          gpus: r.gpus,
          ...(r.gpuSeconds !== undefined ? { gpuSeconds: r.gpuSeconds } : {}),
          ...r.extra,
        };
        return `${JSON.stringify(obj)}\n`;
      })
      .join("");
  }
  const header = "recordId,account,sku,start,end,gpus,gpuSeconds,endpoint,site";
  const rows = records.map((r) =>
    csvLine([r.recordId, r.account, r.sku, isoIn(r.start, partner.timezone), isoIn(r.end, partner.timezone), String(r.gpus), r.gpuSeconds === undefined ? "" : String(r.gpuSeconds), r.extra.endpoint, r.extra.site]),
  );
  return `${[header, ...rows].join("\n")}\n`;
}
