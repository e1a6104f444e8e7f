import { expect } from "chai";
import { ConfigError } from "../../sdk/errors";
import { parseLocalDateTime, parseTimestamp, TimeZoneClock } from "../../oracle/sources/time";
import { at } from "./support";

describe("parseTimestamp", () => {
  it("when the time has Z, an offset with or without colon, or hours only, it returns unix seconds", () => {
    expect(parseTimestamp("2026-10-03T14:22:05Z")).to.equal(1791037325n);
    expect(parseTimestamp("2026-10-03T16:22:05+02:00")).to.equal(1791037325n);
    expect(parseTimestamp("2026-10-03T16:22:05+0200")).to.equal(1791037325n);
    expect(parseTimestamp("2026-10-03T16:22:05+02")).to.equal(1791037325n);
    expect(parseTimestamp("2026-10-03T09:22:05-05:00")).to.equal(1791037325n);
    expect(parseTimestamp("2026-10-03 14:22:05z")).to.equal(1791037325n);
  });

  it("when seconds are omitted or fractional, it reads whole seconds (the fraction is dropped)", () => {
    expect(parseTimestamp("2026-10-03T14:22Z")).to.equal(1791037320n);
    expect(parseTimestamp("2026-10-03T14:22:05.999Z")).to.equal(1791037325n);
    expect(parseTimestamp("2026-10-03T14:22:05,5Z")).to.equal(1791037325n);
  });

  it("when the zone is missing, it refuses unless zone-less times are UTC", () => {
    expect(parseTimestamp("2026-10-03T14:22:05")).to.equal(undefined);
    expect(parseTimestamp("2026-10-03 14:22:05", { zonelessIsUtc: true })).to.equal(1791037325n);
  });

  it("when the date or time is impossible or before 1970, it refuses", () => {
    for (const bad of [
      "2026-02-29T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-10-03T24:00:00Z",
      "2026-10-03T14:60:00Z",
      "2026-10-03T14:22:60Z",
      "2026-10-03T14:22:05+24:00",
      "1969-12-31T23:59:59Z",
      "1970-01-01T00:30:00+01:00",
      "03/10/2026 14:22",
      "",
    ]) {
      expect(parseTimestamp(bad), bad).to.equal(undefined);
    }
    expect(parseTimestamp("2028-02-29T00:00:00Z")).to.equal(at("2028-02-29T00:00:00Z"));
  });
});

describe("parseLocalDateTime", () => {
  it("when given sacct's format (T or space), it returns the wall-clock fields", () => {
    expect(parseLocalDateTime("2026-10-03T09:15:00")).to.deep.equal({ year: 2026, month: 10, day: 3, hour: 9, minute: 15, second: 0 });
    expect(parseLocalDateTime("2026-10-03 09:15:00")).to.deep.include({ hour: 9 });
  });

  it("when given a zone, a short form or an impossible date, it returns undefined", () => {
    expect(parseLocalDateTime("2026-10-03T09:15:00Z")).to.equal(undefined);
    expect(parseLocalDateTime("2026-10-03T09:15")).to.equal(undefined);
    expect(parseLocalDateTime("2026-09-31T09:15:00")).to.equal(undefined);
  });
});

describe("TimeZoneClock", () => {
  const local = (text: string) => {
    const ldt = parseLocalDateTime(text);
    if (!ldt) throw new Error(text);
    return ldt;
  };

  it("when the zone is UTC (default), it reads the wall clock as UTC", () => {
    expect(new TimeZoneClock().toUnix(local("2026-10-03T14:22:05"))).to.equal(1791037325n);
    expect(new TimeZoneClock("Etc/UTC").candidates(local("2026-10-03T14:22:05"))).to.deep.equal([1791037325n]);
  });

  it("when the zone has no DST, it applies the fixed offset", () => {
    expect(new TimeZoneClock("Asia/Kolkata").toUnix(local("2026-10-03T19:52:05"))).to.equal(1791037325n);
  });

  it("when a time is in standard or daylight time, it applies that offset (Australia/Sydney)", () => {
    const sydney = new TimeZoneClock("Australia/Sydney");
    expect(sydney.toUnix(local("2026-10-04T01:59:59"))).to.equal(at("2026-10-03T15:59:59Z"));
    expect(sydney.toUnix(local("2026-10-04T03:00:00"))).to.equal(at("2026-10-03T16:00:00Z"));
    expect(sydney.toUnix(local("2027-01-15T12:00:00"))).to.equal(at("2027-01-15T01:00:00Z"));
  });

  it("when a time falls in the spring-forward gap, it moves it forward by the gap", () => {
    const sydney = new TimeZoneClock("Australia/Sydney");
    expect(sydney.candidates(local("2026-10-04T02:30:00"))).to.deep.equal([at("2026-10-03T16:30:00Z")]);
    const newYork = new TimeZoneClock("America/New_York");
    expect(newYork.candidates(local("2026-03-08T02:30:00"))).to.deep.equal([at("2026-03-08T07:30:00Z")]);
  });

  it("when a time is in the repeated fall-back hour, it returns both instants, earlier first", () => {
    const berlin = new TimeZoneClock("Europe/Berlin");
    expect(berlin.candidates(local("2026-10-25T02:10:00"))).to.deep.equal([at("2026-10-25T00:10:00Z"), at("2026-10-25T01:10:00Z")]);
    expect(berlin.toUnix(local("2026-10-25T02:10:00"))).to.equal(at("2026-10-25T00:10:00Z"));
    expect(berlin.candidates(local("2026-10-25T03:00:00"))).to.deep.equal([at("2026-10-25T02:00:00Z")]);
  });

  it("when the transition is not on the hour (America/St_Johns 2010, 00:01), it stays exact", () => {
    const stJohns = new TimeZoneClock("America/St_Johns");
    // DST ended at 00:01 NDT on 2010-11-07: 00:00:30 is repeated, 00:01:30 is not.
    expect(stJohns.candidates(local("2010-11-07T00:00:30"))).to.have.length(2);
    expect(stJohns.candidates(local("2010-11-07T00:01:30"))).to.deep.equal([at("2010-11-07T03:31:30Z")]);
  });

  it("when the zone name is unknown, it throws a ConfigError naming the timezone setting", () => {
    expect(() => new TimeZoneClock("Mars/Olympus_Mons"))
      .to.throw(ConfigError)
      .with.property("setting", "timezone");
  });

  it("when it converts every minute of a DST day, it agrees with a brute-force search", () => {
    const zone = new TimeZoneClock("Australia/Sydney");
    const start = at("2026-10-03T13:00:00Z");
    for (let t = start; t < start + 86_400n; t += 60n) {
      const offset = BigInt(zone.offsetAt(Number(t)));
      const wall = new Date(Number(t + offset) * 1000).toISOString().slice(0, 19);
      expect(zone.candidates(local(wall))).to.include(t);
    }
  });
});
