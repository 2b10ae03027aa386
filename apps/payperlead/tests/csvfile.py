"""Reading a report CSV as a client should: the lines, and the trailer that proves it whole."""

import csv
import io


def read_report_csv(response) -> tuple[list[dict], list[str]]:
    """(lines as dicts, trailer cells); fails if the last row is not the `#end` trailer."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, *lines, trailer = rows
    assert trailer[0] == "#end", f"no trailer: the file is incomplete ({trailer})"
    assert int(trailer[1]) == len(lines)
    return [dict(zip(header, line, strict=True)) for line in lines], trailer
