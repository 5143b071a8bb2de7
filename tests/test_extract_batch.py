"""`crawler.extract.batch`: how a saved page's dates are written in its prediction line."""

from __future__ import annotations

import pytest

from crawler.extract.batch import extract_html

PROSE = ("The council approved the new budget on Tuesday after a long debate about the cost of "
         "public transport, and the mayor said the vote would let the city hire more drivers. ")


def _html(head: str) -> str:
    return (f"<html lang='en'><head>{head}</head><body><article><h1>Budget approved</h1>"
            + "".join(f"<p>{PROSE}{i}</p>" for i in range(4)) + "</article></body></html>")


def test_a_day_without_time_is_written_as_its_local_midnight_without_offset():
    head = '<meta property="article:published_time" content="2024-03-12">'

    prediction = extract_html(_html(head), "https://news.example.de/budget")

    assert prediction["published"] == "2024-03-12T00:00:00"


@pytest.mark.parametrize(("url", "head", "published"), [
    # the host's country: an Italian paper's 23:15 UTC is the next day in Rome
    ("https://www.giornale.example.it/a", '<meta property="article:published_time" '
     'content="2020-12-05T23:15:0Z">', "2020-12-06T00:15:00+01:00"),
    # an offset written on another timestamp of the page
    ("https://news.example.com/a", '<meta property="article:published_time" '
     'content="2024-04-25T08:21:02+00:00"><meta property="article:modified_time" '
     'content="2024-04-25T04:30:00-04:00">', "2024-04-25T04:21:02-04:00"),
    # nothing says where the site is: UTC stays UTC
    ("https://news.example.com/a", '<meta property="article:published_time" '
     'content="2024-04-25T08:21:02Z">', "2024-04-25T08:21:02+00:00"),
])
def test_a_date_written_in_utc_is_shown_in_the_sites_zone_when_the_page_says_it(
        url, head, published):
    assert extract_html(_html(head), url)["published"] == published


def test_the_module_prints_one_prediction_per_manifest_line(tmp_path, capsys):
    from crawler.extract.batch import main

    (tmp_path / "a.html").write_text(_html('<meta property="og:title" content="Budget">'))
    manifest = tmp_path / "truth.jsonl"
    manifest.write_text('{"id": "p1", "file": "a.html", "url": "https://news.example.de/a"}\n')

    code = main(["--manifest", str(manifest)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 1 and '"id": "p1"' in lines[0]


def test_a_missing_manifest_is_one_line_and_exit_code_2(tmp_path, capsys):
    from crawler.extract.batch import main

    code = main(["--manifest", str(tmp_path / "absent.jsonl")])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "absent.jsonl" in err
