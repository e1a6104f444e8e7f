// Differential test of the hand-written time-zone clock (oracle/sources/time.ts) against temporal-polyfill, whose
// time-zone arithmetic (transition search, gap and overlap disambiguation) is written independently. Both read the
// runtime's tz database through Intl, so this tests the clock's arithmetic, not the database.
// Readings: every minute from 90 minutes before to 90 minutes after each DST transition from 2019 to 2030, the seconds
// on either side of each gap's and overlap's edges, and random readings across the years; plus `offsetAt` at
// instants around each transition.
import { expect } from "chai";
import { Temporal } from "temporal-polyfill";
import { LocalDateTime, TimeZoneClock } from "../../oracle/sources/time";
import { prng } from "../../scripts/lib/prng";

/**
 * Zones chosen for their rules: one-hour DST both hemispheres, 30-minute (Lord_Howe) and 2-hour (Troll) shifts,
 * odd offsets (St_Johns, Chatham, Kathmandu), midnight transitions (Havana, Santiago), DST abolished or reinstated
 * within the range (Sao_Paulo, Tehran, Cairo, Nuuk, Mexico_City), Ramadan suspensions (Casablanca), negative DST in the
 * tz source (Dublin), and no DST (Kolkata).
 */
const ZONES = [
  "Europe/Berlin",
  "Europe/London",
  "Europe/Dublin",
  "America/New_York",
  "America/Los_Angeles",
  "America/St_Johns",
  "America/Havana",
  "America/Santiago",
  "America/Sao_Paulo",
  "America/Mexico_City",
  "America/Nuuk",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "Pacific/Auckland",
  "Pacific/Chatham",
  "Asia/Tehran",
  "Asia/Jerusalem",
  "Asia/Kathmandu",
  "Asia/Kolkata",
  "Africa/Cairo",
  "Africa/Casablanca",
  "Antarctica/Troll",
];
const FROM_YEAR = 2019;
const TO_YEAR = 2030;
const WINDOW_MINUTES = 90;
const RANDOM_PER_ZONE = 1_000;
const SEED = 14;

/** The wall-clock fields of `wall` (seconds of a reading taken as UTC). */
function localOf(wall: number): LocalDateTime {
  const d = new Date(wall * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** Temporal's instants for a reading: both in an overlap, one normally, the "compatible" one in a gap. */
function temporalCandidates(ldt: LocalDateTime, timeZone: string): number[] {
  const plain = new Temporal.PlainDateTime(ldt.year, ldt.month, ldt.day, ldt.hour, ldt.minute, ldt.second);
  const earlier = plain.toZonedDateTime(timeZone, { disambiguation: "earlier" });
  const later = plain.toZonedDateTime(timeZone, { disambiguation: "later" });
  if (earlier.epochMilliseconds === later.epochMilliseconds) return [earlier.epochMilliseconds / 1000];
  if (earlier.toPlainDateTime().equals(plain)) return [earlier.epochMilliseconds / 1000, later.epochMilliseconds / 1000];
  return [plain.toZonedDateTime(timeZone, { disambiguation: "compatible" }).epochMilliseconds / 1000];
}

/** Temporal's offset from UTC (seconds) of `timeZone` at unix time `t`. */
function temporalOffset(t: number, timeZone: string): number {
  return Temporal.Instant.fromEpochMilliseconds(t * 1000).toZonedDateTimeISO(timeZone).offsetNanoseconds / 1e9;
}

/** The zone's transitions (unix seconds) from FROM_YEAR to the end of TO_YEAR, by Temporal. */
function transitions(timeZone: string): number[] {
  const found: number[] = [];
  let at: Temporal.ZonedDateTime | null = Temporal.ZonedDateTime.from({ timeZone, year: FROM_YEAR, month: 1, day: 1 });
  while ((at = at.getTimeZoneTransition("next")) !== null && at.year <= TO_YEAR) found.push(at.epochMilliseconds / 1000);
  return found;
}

describe("TimeZoneClock against temporal-polyfill", function () {
  this.timeout(120_000);

  it(`when reading wall-clock times around every DST transition ${FROM_YEAR}–${TO_YEAR} in ${ZONES.length} zones, it gives Temporal's instants and offsets`, function () {
    const next = prng(SEED);
    const mismatches: string[] = [];
    const counts = { readings: 0, overlaps: 0, gaps: 0, offsets: 0, transitions: 0 };
    const first = Date.UTC(FROM_YEAR, 0, 1) / 1000;
    const span = Date.UTC(TO_YEAR + 1, 0, 1) / 1000 - first;

    for (const zone of ZONES) {
      const clock = new TimeZoneClock(zone);
      const walls = new Set<number>();
      for (const t of transitions(zone)) {
        counts.transitions++;
        const edges = [t + temporalOffset(t - 1, zone), t + temporalOffset(t, zone)];
        for (const edge of edges) for (const d of [-1, 0, 1]) walls.add(edge + d);
        const from = Math.min(...edges) - WINDOW_MINUTES * 60;
        for (let wall = from; wall <= Math.max(...edges) + WINDOW_MINUTES * 60; wall += 60) walls.add(wall);
        for (const instant of [t - 3601, t - 1, t, t + 1, t + 3600]) {
          counts.offsets++;
          const got = clock.offsetAt(instant);
          const want = temporalOffset(instant, zone);
          if (got !== want) mismatches.push(`${zone} offsetAt(${instant}): ${got}, Temporal ${want}`);
        }
      }
      for (let i = 0; i < RANDOM_PER_ZONE; i++) walls.add(first + Math.floor(next() * span));

      for (const wall of walls) {
        const ldt = localOf(wall);
        const got = clock.candidates(ldt).map(Number);
        const want = temporalCandidates(ldt, zone);
        counts.readings++;
        if (want.length === 2) counts.overlaps++;
        else if (want[0] !== wall - temporalOffset(want[0], zone)) counts.gaps++;
        if (got.join() !== want.join()) {
          mismatches.push(`${zone} ${new Date(wall * 1000).toISOString().slice(0, 19)}: [${got}], Temporal [${want}]`);
        }
      }
    }

    expect(mismatches.length, mismatches.slice(0, 20).join("\n")).to.equal(0);
    // Not vacuous: the window covered many transitions, repeated hours and gaps.
    expect(counts.transitions).to.be.greaterThan(300);
    expect(counts.overlaps).to.be.greaterThan(8_000);
    expect(counts.gaps).to.be.greaterThan(8_000);
    expect(counts.readings).to.be.greaterThan(100_000);
  });
});
