"""A generator of bad files, each with what a user should see: a refusal (one sentence, store
unchanged) or rows loaded and rejected that add up to the file's data rows.

Data rows are counted here by construction (the lines written after the header), never by the
import's own reader.
"""
from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass, field

HEADER = "Opportunity ID,Stage,Amount,Close Date"


@dataclass
class Bad:
    name: str
    data: bytes
    data_rows: int | None = None       # None: a refusal is expected
    refusal: str = ""                  # words the refusal sentence holds
    rejected_rows: list[int] | None = None   # the row numbers that must be rejected (None: not checked)
    accounts: dict[str, str] = field(default_factory=dict)   # id -> account name as stored


def good_row(i: int) -> str:
    return f"{i},Closed Won,{i * 10},2026-01-15"


def deals(rows: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header] + rows) + "\n").encode("utf-8")


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("deals.csv", deals([good_row(1)]).decode())
    return buffer.getvalue()


def _broken_quote_rows(total: int, broken: set[int]) -> list[str]:
    return [f'{i},"Deal {i},Closed Won,{i},2026-01-15' if i in broken else good_row(i)
            for i in range(1, total + 1)]


def refusals() -> list[Bad]:
    rng = random.Random(13)
    return [
        Bad("empty.csv", b"", refusal="empty"),
        Bad("whitespace.csv", b"  \r\n\n\t\n", refusal="empty"),
        Bad("bom_only.csv", b"\xef\xbb\xbf", refusal="empty"),
        Bad("utf16_bom_only.csv", b"\xff\xfe", refusal="empty"),
        Bad("binary.csv", bytes(rng.randrange(256) for _ in range(5000)), refusal="binary"),
        Bad("nul_only.csv", b"\x00" * 1000, refusal="binary"),
        Bad("login.csv", b"<!DOCTYPE html><html><body>Sign in</body></html>", refusal="web page"),
        Bad("report.csv", b"\r\n  <html><table><tr><td>1</td></tr></table></html>", refusal="web page"),
        Bad("deals.csv", _zip(), refusal="zip"),
        Bad("deals.pdf.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", refusal="PDF"),
        Bad("header_only.csv", (HEADER + "\n").encode(), refusal="header but no rows"),
        Bad("header_only_no_newline.csv", HEADER.encode(), refusal="header but no rows"),
        Bad("single_line_10mb.csv", b"a," * 5_000_000, refusal="stage or outcome"),
        # every amount too large: most rows would be rejected, so nothing loads without --force
        Bad("all_amounts_huge.csv", deals([f"{i},Closed Won,1{'0' * 16},2026-01-15" for i in range(1, 6)]),
            refusal="too large"),
        Bad("all_dates_placeholder.csv", deals([f"{i},Closed Won,10,9999-12-31" for i in range(1, 6)]),
            refusal="outside the dates"),
        Bad("quotes_everywhere.csv", deals(_broken_quote_rows(120, set(range(1, 120, 2)))),
            refusal="quote never closes"),
    ]


def row_level() -> list[Bad]:
    mixed = (HEADER + ",Account\n").encode() + b"".join(
        (f"{i},Closed Won,10,2026-01-15,Soci\u00e9t\u00e9 {i}\n").encode("cp1252" if i % 3 == 0 else "utf-8")
        for i in range(1, 10))
    plain = HEADER + ",Account\n" + "".join(f"{i},Closed Won,10,2026-01-15,M\u00fcller {i}\n" for i in range(1, 5))
    return [
        Bad("ten_mb_value.csv", deals(["1,Closed Won," + "9" * 10_000_000 + ",2026-01-15", good_row(2)]),
            data_rows=2, rejected_rows=[1]),
        Bad("5000_columns.csv", deals([good_row(i) + "," * 4996 for i in range(1, 4)],
                                      HEADER + "," + ",".join(f"Extra {k}" for k in range(4996))),
            data_rows=3, rejected_rows=[]),
        # 1e16 and 1e308 do not fit an amount; -0 is zero; NaN and Infinity are not numbers
        Bad("extreme_numbers.csv", deals([good_row(1), "2,Closed Won,10000000000000000,2026-01-15",
                                          "3,Closed Won,1e308,2026-01-15", "4,Closed Won,-0,2026-01-15",
                                          "5,Closed Won,NaN,2026-01-15", "6,Closed Won,Infinity,2026-01-15",
                                          "7,Closed Won,1" + "0" * 400 + ",2026-01-15",
                                          good_row(8), good_row(9), good_row(10), good_row(11), good_row(12)]),
            data_rows=12, rejected_rows=[2, 3, 5, 6, 7]),
        Bad("extreme_dates.csv", deals([good_row(1), "2,Closed Won,10,9999-12-31", "3,Closed Won,10,0001-01-01",
                                        "4,Closed Won,10,2026-02-30", "5,Closed Won,10,1969-12-31",
                                        good_row(6), good_row(7), good_row(8), good_row(9)]),
            data_rows=9, rejected_rows=[2, 3, 4, 5]),
        Bad("mixed_encodings.csv", mixed, data_rows=9, rejected_rows=[],
            accounts={str(i): f"Soci\u00e9t\u00e9 {i}" for i in range(1, 10)}),
        Bad("windows_1252.csv", plain.encode("cp1252"), data_rows=4, rejected_rows=[],
            accounts={"1": "M\u00fcller 1"}),
        Bad("utf16_bom.csv", plain.encode("utf-16"), data_rows=4, rejected_rows=[], accounts={"2": "M\u00fcller 2"}),
        Bad("utf16le_no_bom.csv", plain.encode("utf-16-le"), data_rows=4, rejected_rows=[],
            accounts={"3": "M\u00fcller 3"}),
        Bad("utf16be_no_bom.csv", plain.encode("utf-16-be"), data_rows=4, rejected_rows=[],
            accounts={"4": "M\u00fcller 4"}),
        # the quote opened in row 10 never closes: row 10 is rejected, rows 11-1000 still load
        Bad("unterminated_quote.csv", deals(_broken_quote_rows(1000, {10})), data_rows=1000, rejected_rows=[10]),
        Bad("three_unterminated_quotes.csv", deals(_broken_quote_rows(200, {5, 77, 150})), data_rows=200,
            rejected_rows=[5, 77, 150]),
        Bad("unterminated_quote_last_row.csv", deals(_broken_quote_rows(20, {20})), data_rows=20,
            rejected_rows=[20]),
        Bad("duplicate_headers.csv", deals([good_row(i) + ",x" for i in range(1, 5)], HEADER + ",Stage"),
            data_rows=4, rejected_rows=[]),
        Bad("nul_bytes.csv", deals([good_row(i).replace("Won", "W\x00on") for i in range(1, 6)]), data_rows=5,
            rejected_rows=[]),
        Bad("crlf_mixed_with_blank_lines.csv", (HEADER + "\r\n" + good_row(1) + "\r\n\r\n" + good_row(2) + "\n"
                                                + good_row(3) + "\r\n").encode(), data_rows=3, rejected_rows=[]),
        Bad("quoted_newlines.csv", deals(['1,"Closed Won",10,"2026-01-15"', '2,"Closed\nWon",10,2026-01-15',
                                          good_row(3)]), data_rows=3),
    ]
