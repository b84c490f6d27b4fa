"""Table detail, search across all objects, and the ER diagram (valid SVG, the expected
boxes and lines), on a learned 1,000-table database."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
HTMX = {"HTTP_HX_REQUEST": "true"}


def table_url(conn, name: str, db: str = "big") -> str:
    return f"/explore/{conn.pk}/table/?db={db}&schema=public&name={name}"


def test_table_detail_shows_columns_constraints_indexes_keys_both_ways_and_ddl(
    world, explored, host_client
):
    html = host_client(world.users["viewer"], "acme.localhost")
    page = html.get(table_url(explored, "table_0005")).content.decode()
    # columns: types, defaults, nullability, identity, generated
    assert 'id="col-label"' in page and "varchar(200)" in page and "&#x27;none&#x27;" in page
    assert "identity (always)" in page
    assert "generated <code>price_cents * 2</code> stored" in page
    assert "<b>not null</b>" in page
    # constraints and indexes
    for text in ("table_0005_pkey", "table_0005_label_key", "price_cents &gt;= 0"):
        assert text in page, text
    assert "table_0005_price_idx" in page
    # foreign keys: the one it holds, and the one pointing at it
    out = table_url(explored, "table_0004").replace("&", "&amp;")
    back = table_url(explored, "table_0006").replace("&", "&amp;")
    references, referenced_by = page.split("<h2>Referenced by</h2>")
    assert f'href="{out}"' in references.split("<h2>References")[1]
    assert "table_0005_parent_fk" in references and "on delete cascade" in references
    assert f'href="{back}"' in referenced_by and "table_0006_parent_fk" in referenced_by
    # its neighbourhood drawn inline: the tables one foreign key away
    drawn = re.findall(r'data-table="([^"]+)"', page)
    assert sorted(drawn) == ["public.table_0004", "public.table_0005", "public.table_0006"]
    # DDL rendered by the engine for this one table
    ddl = re.search(r'<pre class="sql">(.*?)</pre>', page, re.S).group(1)
    assert ddl.startswith("CREATE TABLE public.table_0005 (")
    assert "CREATE INDEX table_0005_price_idx ON public.table_0005" in ddl
    assert "REFERENCES public.table_0004 (id) ON DELETE CASCADE" in ddl


def test_unknown_table_is_404_and_missing_database_goes_to_the_tree(world, explored, host_client):
    page = host_client(world.users["viewer"], "acme.localhost")
    assert page.get(table_url(explored, "nope")).status_code == 404
    response = page.get(f"/explore/{explored.pk}/table/")
    assert response.status_code == 302 and response["Location"] == f"/explore/{explored.pk}/"


def test_search_finds_columns_tables_indexes_views_and_routines_paginated(
    world, explored, host_client
):
    page = host_client(world.users["viewer"], "acme.localhost")
    base = f"/explore/{explored.pk}/search/"
    html = page.get(base, {"q": "PARENT_ID"}).content.decode()
    # 999 in "big" plus 2 in "small", 50 per page
    assert "1001 matches" in html and "page 1 of 21" in html
    assert len(re.findall(r'<td class="muted">column</td>', html)) == 50
    assert "#col-parent_id" in html
    last = page.get(base, {"q": "parent_id", "page": 21}, **HTMX).content.decode()
    assert "<html" not in last and len(re.findall(r">column</td>", last)) == 1
    assert "next →" not in last and "← previous" in last

    def kinds(q: str) -> set[str]:
        found = page.get(base, {"q": q}).content.decode()
        return set(re.findall(r'<td class="muted">(\w+)</td>', found))

    assert kinds("table_0042") >= {"table", "index"}
    assert kinds("cheap_things") == {"view"}
    assert kinds("double_it") == {"routine"}
    assert "0 matches" in page.get(base, {"q": "zzz"}).content.decode()


def parse_svg(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def fk_lines(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if p.get("class") == "fk"]


def boxes(root: ET.Element) -> list[str]:
    return [g.get("data-table") for g in root.iter(f"{SVG}g") if "table" in g.get("class", "")]


def test_er_diagram_of_a_database_is_valid_svg_capped_per_page(world, explored, host_client):
    page = host_client(world.users["viewer"], "acme.localhost")
    svg = page.get(f"/explore/{explored.pk}/er.svg?db=big")
    assert svg["Content-Type"] == "image/svg+xml"
    root = parse_svg(svg.content.decode())
    assert boxes(root) == [f"public.table_{i:04d}" for i in range(30)]
    assert len(fk_lines(root)) == 29  # the chain, within the page
    text = "".join(root.itertext())
    assert "PK" in text and "FK" in text and "parent_id bigint" in text

    html = page.get(f"/explore/{explored.pk}/er/?db=big&page=2").content.decode()
    assert "Showing tables 31 to 60 of 1000" in html
    assert 'data-table="public.table_0030"' in html and "page=3" in html


def test_er_diagram_of_a_table_shows_its_neighbours_linked(world, explored, host_client):
    page = host_client(world.users["viewer"], "acme.localhost")
    url = f"/explore/{explored.pk}/er.svg?db=big&schema=public&name=table_0005"
    root = parse_svg(page.get(url).content.decode())
    assert sorted(boxes(root)) == ["public.table_0004", "public.table_0005", "public.table_0006"]
    assert len(fk_lines(root)) == 2
    links = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert table_url(explored, "table_0004") in links
    focus = [g for g in root.iter(f"{SVG}g") if "focus" in g.get("class", "")]
    assert [g.get("data-table") for g in focus] == ["public.table_0005"]
    html = page.get(url.replace("er.svg", "er/")).content.decode()
    assert "table_0005 and its neighbours" in html and "<svg" in html
