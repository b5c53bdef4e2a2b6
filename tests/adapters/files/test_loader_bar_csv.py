"""load_bar_csv: the bundled FTX BTC-PERP file and plain bar CSVs load exactly, stamped at the bar's close."""

from __future__ import annotations

import calendar
import gzip
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from adapters.files import DataFileError, LoadStats, load_bar_csv
from engine.messages import Bar

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
BUNDLED = DATA / "btc-perp-1m.csv"
HEADER = "timestamp,open,high,low,close,volume\n"
MINUTE_NS = 60_000_000_000


def expected_ns(text: str) -> int:
    """The row's naive-UTC time in ns, computed without the loader's parser."""
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f")
    return calendar.timegm(moment.timetuple()) * 1_000_000_000 + moment.microsecond * 1_000


def bars(path: Path, **options: object) -> list[Bar]:
    return list(load_bar_csv(path, exchange_id="ftx", symbol="BTC-PERP", **options))  # type: ignore[arg-type]


def write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def bundled() -> list[Bar]:
    return bars(BUNDLED)


def test_the_bundled_file_loads_45031_bars_in_strictly_increasing_time(bundled: list[Bar]) -> None:
    assert len(bundled) == 45_031
    assert all(a.ts_event < b.ts_event for a, b in pairwise(bundled))
    assert {(bar.exchange_id, bar.symbol, bar.interval) for bar in bundled} == {("ftx", "BTC-PERP", "1m")}


def test_first_and_last_bundled_bars_are_exact_and_stamped_one_interval_after_the_row_time(
    bundled: list[Bar],
) -> None:
    lines = BUNDLED.read_text().splitlines()
    for bar, line in ((bundled[0], lines[1]), (bundled[-1], lines[-1])):
        text, *values = line.split(",")
        assert bar.ts_event == bar.ts_init == expected_ns(text) + MINUTE_NS
        assert [bar.open, bar.high, bar.low, bar.close, bar.volume] == [Decimal(v) for v in values]
    assert bundled[0].open == Decimal("46319.0") and bundled[0].volume == Decimal("2300413.7295")
    assert bundled[0].ts_event == expected_ns("2021-12-31 23:02:00.000000")
    assert bundled[-1].close == Decimal("38544.0") and bundled[-1].volume == Decimal("685906.9735")
    assert bundled[-1].ts_event == expected_ns("2022-02-01 05:32:00.000000")


def test_interpolated_rows_keep_their_fractional_prices_exactly(bundled: list[Bar]) -> None:
    by_open = {bar.ts_event - MINUTE_NS: bar for bar in bundled}
    first = by_open[expected_ns("2022-01-01 03:03:00.000000")]
    assert (first.open, first.high, first.close) == (
        Decimal("46821.75"),
        Decimal("46830.5"),
        Decimal("46810.75"),
    )
    assert first.volume == Decimal("289169.9847625")
    # the float artefacts of whoever interpolated survive as written, digit for digit
    assert by_open[expected_ns("2022-01-01 03:08:00.000000")].volume == Decimal("218102.59507500002")
    later = [by_open[expected_ns(f"2022-01-13 03:0{minute}:00.000000")] for minute in range(2, 10)]
    assert {b.open - a.open for a, b in pairwise(later[1:])} == {Decimal("0.75")}
    assert later[-1].close == Decimal("43607.125")


def test_close_timestamps_are_used_as_they_are(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-03-01 00:01:00,10,12,9,11,5\n2024-03-01 00:02:00,11,11,10,10,0\n")
    loaded = bars(path, timestamp="close")
    assert [bar.ts_event for bar in loaded] == [
        expected_ns("2024-03-01 00:01:00.000000"),
        expected_ns("2024-03-01 00:02:00.000000"),
    ]


def test_the_interval_is_inferred_from_the_first_two_rows_when_not_given(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-03-01 00:00:00,10,12,9,11,5\n2024-03-01 04:00:00,11,11,10,10,0\n")
    loaded = bars(path, interval=None)
    assert [bar.interval for bar in loaded] == ["4h", "4h"]
    assert loaded[0].ts_event == expected_ns("2024-03-01 04:00:00.000000")


def test_missing_rows_are_fine_but_time_must_increase(tmp_path: Path) -> None:
    gap = write(
        tmp_path, HEADER + "2024-03-01 00:00:00,1,1,1,1,1\n2024-03-01 00:07:00,1,1,1,1,1\n", "gap.csv"
    )
    assert len(bars(gap)) == 2
    same = write(tmp_path, HEADER + "2024-03-01 00:00:00,1,1,1,1,1\n2024-03-01 00:00:00,1,1,1,1,1\n")
    with pytest.raises(DataFileError, match=r"line 3: timestamp '2024-03-01 00:00:00' is not after"):
        bars(same)


def test_rows_closer_than_the_interval_load_with_a_warning_that_the_interval_may_be_wrong(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, HEADER + "2024-03-01 00:00:00,1,1,1,1,1\n2024-03-01 00:01:00,1,1,1,1,1\n")
    with capture_logs() as logs:
        loaded = bars(path, interval="1h")
    assert [bar.ts_event for bar in loaded] == [
        expected_ns("2024-03-01 01:00:00.000000"),
        expected_ns("2024-03-01 01:01:00.000000"),
    ]
    assert [(log["event"], log["line"]) for log in logs] == [("data_file_bars_overlap", 3)]


def test_a_byte_order_mark_and_windows_line_ends_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + (HEADER + "2024-03-01 00:00:00,1,2,1,2,3\n").replace("\n", "\r\n").encode()
    )
    (bar,) = bars(path)
    assert (bar.close, bar.volume) == (Decimal(2), Decimal(3))


def test_a_one_row_file_cannot_infer_its_interval(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-03-01 00:00:00,1,1,1,1,1\n")
    with pytest.raises(DataFileError, match="pass interval="):
        bars(path, interval=None)


def test_gzip_and_zip_files_load_like_the_plain_file(tmp_path: Path) -> None:
    text = HEADER + "2024-03-01 00:00:00.5,10.10,12,9,11,5\n"
    plain = bars(write(tmp_path, text))
    gz = tmp_path / "bars.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    packed = tmp_path / "bars.zip"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("bars.csv", text)
    assert bars(gz) == bars(packed) == plain
    assert plain[0].open == Decimal("10.10") and plain[0].ts_event == expected_ns(
        "2024-03-01 00:01:00.500000"
    )


def test_arguments_and_missing_files_fail_at_the_call_not_at_the_first_bar(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no such file"):
        load_bar_csv(tmp_path / "nope.csv", exchange_id="x", symbol="y")
    path = write(tmp_path, HEADER)
    with pytest.raises(ValueError, match="invalid bar interval"):
        load_bar_csv(path, exchange_id="x", symbol="y", interval="7x")
    with pytest.raises(ValueError, match="timestamp must be"):
        load_bar_csv(path, exchange_id="x", symbol="y", timestamp="middle")  # type: ignore[arg-type]


def test_skipped_rows_are_counted_in_stats(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2024-03-01 00:00:00,1,1,1,1,1\nbad\n\n2024-03-01 00:01:00,1,2,1,2,1\n")
    stats = LoadStats()
    assert len(bars(path, skip_bad_rows=True, stats=stats)) == 2
    assert stats == LoadStats(rows=2, skipped=1)


def test_loading_the_bundled_file_streams_one_bar_at_a_time() -> None:
    stream = load_bar_csv(BUNDLED, exchange_id="ftx", symbol="BTC-PERP")
    assert next(stream).open == Decimal("46319.0")
    stream.close()  # type: ignore[attr-defined]


# hypothesis: any valid bars survive a write and a load digit for digit, and a corrupted row is
# reported at its own line.

prices = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1e9"), places=8, allow_nan=False)
volumes = st.decimals(min_value=0, max_value=Decimal("1e12"), places=4, allow_nan=False)
rows = st.lists(
    st.tuples(st.integers(1, 10_000), st.integers(0, 999_999), prices, prices, prices, prices, volumes),
    min_size=1,
    max_size=30,
)


Spec = list[tuple[int, int, Decimal, Decimal, Decimal, Decimal, Decimal]]
Expected = list[tuple[str, Decimal, Decimal, Decimal, Decimal, Decimal]]


def render(spec: Spec) -> tuple[str, Expected]:
    """CSV text for the rows, and what each bar must hold: (time text, open, high, low, close, volume)."""
    lines, expected, seconds = [HEADER], Expected(), 1_700_000_000
    for step, micros, a, b, c, d, volume in spec:
        seconds += step
        low, open_, close, high = sorted((a, b, c, d))
        text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S") + f".{micros:06d}"
        lines.append(f"{text},{open_},{high},{low},{close},{volume}\n")
        expected.append((text, open_, high, low, close, volume))
    return "".join(lines), expected


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(spec=rows)
def test_valid_bar_rows_round_trip_exactly(tmp_path: Path, spec: Spec) -> None:
    text, expected = render(spec)
    loaded = bars(write(tmp_path, text), timestamp="close")
    assert [(bar.ts_event, bar.open, bar.high, bar.low, bar.close, bar.volume) for bar in loaded] == [
        (expected_ns(t), *values) for t, *values in expected
    ]
    assert all(str(bar.open) == str(values[0]) for bar, (_, *values) in zip(loaded, expected, strict=True))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(spec=rows, data=st.data())
def test_a_corrupted_row_is_reported_at_its_line(tmp_path: Path, spec: Spec, data: st.DataObject) -> None:
    text, _ = render(spec)
    lines = text.splitlines(keepends=True)
    index = data.draw(st.integers(1, len(lines) - 1), label="row")
    column = data.draw(st.integers(1, 5), label="column")
    fields = lines[index].rstrip("\n").split(",")
    fields[column] = "abc"
    lines[index] = ",".join(fields) + "\n"
    with pytest.raises(DataFileError) as raised:
        bars(write(tmp_path, "".join(lines)), timestamp="close")
    assert raised.value.line == index + 1
    name = HEADER.strip().split(",")[column]
    assert f"line {index + 1}: column {name!r}: 'abc' is not a number" in str(raised.value)
