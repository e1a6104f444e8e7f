import { expect } from "chai";
import { CsvSplitter, type CsvRow } from "../../oracle/sources/csv";
import { textLines } from "../../oracle/sources/lines";

function split(text: string, maxLinesPerRow?: number): CsvRow[] {
  const splitter = new CsvSplitter(maxLinesPerRow);
  const rows: CsvRow[] = [];
  for (const line of textLines(text)) rows.push(...splitter.push(line));
  rows.push(...splitter.end());
  return rows;
}

describe("textLines", () => {
  it("when lines end with \\r\\n, \\n or \\r and the text starts with a BOM, it yields the lines numbered from 1", () => {
    expect([...textLines("\ufeffa\r\nb\nc\rd\n")]).to.deep.equal([
      { text: "a", line: 1 },
      { text: "b", line: 2 },
      { text: "c", line: 3 },
      { text: "d", line: 4 },
    ]);
    expect([...textLines("")]).to.deep.equal([]);
  });
});

describe("CsvSplitter", () => {
  it("when fields are plain, quoted, with doubled quotes, commas or empty, it returns them unquoted", () => {
    const rows = split('a,"b,c","say ""hi""",,""\n');
    expect(rows).to.deep.equal([{ ok: true, fields: ["a", "b,c", 'say "hi"', "", ""], line: 1, raw: 'a,"b,c","say ""hi""",,""' }]);
  });

  it("when a quoted field spans lines, it returns one row numbered by its first line", () => {
    const rows = split('h1,h2\n1,"first\nsecond"\n2,x\n');
    expect(rows.map((r) => r.line)).to.deep.equal([1, 2, 4]);
    expect(rows[1]).to.deep.include({ ok: true, fields: ["1", "first\nsecond"], raw: '1,"first\nsecond"' });
  });

  it("when a line has a quote inside an unquoted field or text after a closing quote, it reports that line and goes on", () => {
    const rows = split('a,b"c\n"x"y,z\nok,1\n');
    expect(rows.map((r) => r.ok)).to.deep.equal([false, false, true]);
    expect(rows[0]).to.deep.include({ line: 1, raw: 'a,b"c' });
    expect(rows[1]).to.deep.include({ line: 2 });
    expect(rows[2]).to.deep.include({ line: 3, fields: ["ok", "1"] });
  });

  it("when a quote is never closed, it reports only its line and reads the following lines again", () => {
    const rows = split('a,"open\nb,1\nc,2\n');
    expect(rows).to.have.length(3);
    expect(rows[0]).to.deep.include({ ok: false, line: 1, raw: 'a,"open', error: "a quoted field is never closed" });
    expect(rows.slice(1).map((r) => r.ok && r.fields)).to.deep.equal([
      ["b", "1"],
      ["c", "2"],
    ]);
  });

  it("when a quoted field stays open past maxLinesPerRow, it gives up on it without waiting for the end", () => {
    const splitter = new CsvSplitter(3);
    const lines = [...textLines('a,"open\nb,1\nc,2\nd,3\n')];
    const early = lines.slice(0, 3).flatMap((l) => splitter.push(l));
    expect(early.map((r) => r.line)).to.deep.equal([1, 2, 3]);
  });

  it("when lines are blank, it skips them", () => {
    expect(split("a\n\n  \nb\n").map((r) => r.line)).to.deep.equal([1, 4]);
  });
});
