"""The connection page and the lazy tree: databases, then kinds with counts, then pages of
50 objects; every node a link with href and hx-get; htmx requests get just the fragment."""

from __future__ import annotations

import re

from tests.explorer.conftest import BIG

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_connection_page_shows_databases_server_facts_and_the_capability_evidence(
    world, explored, host_client
):
    page = host_client(world.users["viewer"], "acme.localhost")
    html = page.get(f"/connections/{explored.pk}/").content.decode()
    for text in ("big", "small", "15.18", "TLSv1.3 · verified", "SCRAM", "Capability matrix"):
        assert text in html, text
    # each database is a tree node that works with and without JavaScript
    url = f"/explore/{explored.pk}/?db=big"
    assert f'href="{url}" hx-get="{url}"' in html
    # an entry, its answer, and the evidence behind it in an expandable row
    assert "WITH t(x) AS (SELECT 1) SELECT x FROM t" in html
    assert "<details>" in html and "verdict-yes" in html
    assert "verdict-unknown" in html and "42501 permission denied for schema pg_temp" in html
    # the tree is lazy: nothing of a database's 1,000 tables is on the connection page
    assert "table_0000" not in html
    assert "s3cret-pw" not in html


def test_a_database_node_opens_to_its_kinds_with_counts(world, explored, host_client):
    page = host_client(world.users["viewer"], "acme.localhost")
    fragment = page.get(f"/explore/{explored.pk}/?db=big", **HTMX).content.decode()
    assert "<html" not in fragment
    assert f"({BIG})" in fragment  # tables
    for kind in ("Tables", "Views", "Indexes", "Routines"):
        assert f">{kind}</a>" in fragment
    url = f"/explore/{explored.pk}/?db=big&amp;kind=tables"
    assert f'href="{url}" hx-get="{url}"' in fragment

    response = page.get(f"/explore/{explored.pk}/?db=big")
    assert "HX-Request" in response["Vary"]
    full = response.content.decode()
    assert "<html" in full and f"({BIG})" in full and ">small</b>" in full


def test_a_kind_lists_fifty_at_a_time_with_a_link_to_the_next_fifty(world, explored, host_client):
    page = host_client(world.users["viewer"], "acme.localhost")
    base = f"/explore/{explored.pk}/?db=big&kind=tables"
    first = page.get(base, **HTMX).content.decode()
    names = re.findall(r">public\.(table_\d{4})</a>", first)
    assert names == [f"table_{i:04d}" for i in range(50)]
    assert "page=2" in first and "50 of 1000 shown" in first

    last = page.get(base + "&page=20", **HTMX).content.decode()
    assert re.findall(r">public\.(table_\d{4})</a>", last)[-1] == "table_0999"
    assert "page=21" not in last and "more (" not in last

    # without JavaScript the same link opens the whole page at that node
    full = page.get(base + "&page=2").content.decode()
    assert "<html" in full and ">public.table_0050</a>" in full
    assert ">public.table_0049</a>" not in full


def test_indexes_views_and_routines_link_to_their_pages(world, explored, host_client):
    page = host_client(world.users["viewer"], "acme.localhost")
    base = f"/explore/{explored.pk}/?db=small"
    indexes = page.get(base + "&kind=indexes", **HTMX).content.decode()
    assert "table_0001_price_idx" in indexes and "on public.table_0001" in indexes
    # an index on a materialised view leads to the view
    on_view = re.search(r'href="([^"]+)">public\.totals_id_idx<', indexes).group(1)
    assert "kind=view" in on_view and "name=totals" in on_view
    assert "materialized view" in page.get(on_view.replace("&amp;", "&")).content.decode()
    views = page.get(base + "&kind=views", **HTMX).content.decode()
    view_url = re.search(r'href="([^"]+kind=view[^"]+)"', views).group(1).replace("&amp;", "&")
    assert "SELECT id FROM table_0000" in page.get(view_url).content.decode()
    routines = page.get(base + "&kind=routines", **HTMX).content.decode()
    url = re.search(r'href="([^"]+kind=routine[^"]+)"', routines).group(1).replace("&amp;", "&")
    routine = page.get(url).content.decode()
    assert "RETURNS integer" in routine and "x integer" in routine


def test_a_database_that_was_never_learned_says_so(world, explored, host_client):
    explored.databases.create(name="pending")
    page = host_client(world.users["viewer"], "acme.localhost")
    fragment = page.get(f"/explore/{explored.pk}/?db=pending", **HTMX).content.decode()
    assert "no stored snapshot yet" in fragment
    table = page.get(f"/explore/{explored.pk}/table/?db=pending&schema=public&name=x")
    assert table.status_code == 302


def test_the_tree_page_reads_no_snapshot_text_once_cached(
    world, explored, host_client, django_assert_max_num_queries
):
    """The MBs of profile JSON are not fetched for a page once the snapshot is cached."""
    page = host_client(world.users["viewer"], "acme.localhost")
    page.get(f"/explore/{explored.pk}/?db=big&kind=tables")
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as queries:
        assert page.get(f"/explore/{explored.pk}/?db=big&kind=tables").status_code == 200
    assert not any("profile_json" in q["sql"] for q in queries.captured_queries)
    assert len(queries.captured_queries) < 15
