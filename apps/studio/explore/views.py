"""Explorer pages: the lazy tree, table and object detail, search, ER diagram.

Every page reads the stored snapshots through snapshots.catalog_for (parsed once per
profile hash), never the live server. Which database/object a page shows travels in the
query string (`?db=sales&schema=public&name=orders`): names are what a person sees and
links to, and the only id in the path is the connection's, checked by get_connection_for.
Tree nodes answer an htmx request with just their children, a plain request with the whole
page opened at that node, so links work without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

from apps.connections.access import get_connection_for
from apps.studio.explore import er
from apps.studio.explore.catalog import KIND_LABELS, KINDS, Item
from apps.studio.explore.snapshots import catalog_for, databases_of
from apps.workspaces.access import requires
from apps.workspaces.permissions import Action

PAGE_SIZE = 50
ER_PAGE_SIZE = 30  # tables per database diagram page
ER_MAX_NEIGHBOURS = 40  # boxes around one table before the diagram is cut


def url_for(view: str, connection, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(view, args=[connection.pk]) + (f"?{query}" if query else "")


def item_url(connection, database: str, item: Item) -> str:
    """Where a list or search entry leads: tables to the table page, columns and indexes
    to their table's page (or their materialised view's), views and routines to the
    object page."""
    if item.kind == "table":
        return url_for("explore_table", connection, db=database, schema=item.schema, name=item.name)
    if item.kind in ("column", "index") and item.owner_kind == "table":
        url = url_for("explore_table", connection, db=database, schema=item.schema, name=item.table)
        return url + (f"#col-{item.name}" if item.kind == "column" else "")
    kind, name = ("view", item.table) if item.kind == "index" else (item.kind, item.name)
    return url_for(
        "explore_object",
        connection,
        db=database,
        kind=kind,
        schema=item.schema,
        name=name,
        args=item.arguments,
    )


def _locate(request, connection_id: int):
    """(connection, database row or None, its catalog or None) from the path and `?db=`."""
    connection = get_connection_for(request, connection_id, Action.VIEW)
    name = request.GET.get("db", "")
    database = databases_of(connection).filter(name=name).first() if name else None
    return connection, database, catalog_for(database) if database else None


def _render(request, template: str, context: dict):
    """A page whose answer depends on HX-Request (fragment or whole page) says so, so a
    browser's cache never hands the fragment back for a plain visit."""
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _page(items, request):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# --- the tree ---------------------------------------------------------------------------


def database_nodes(connection, open_db: str = "", open_kind: str = "", request=None) -> list:
    """Tree rows for the connection's databases; the open one carries its kind nodes."""
    nodes = []
    for database in databases_of(connection):
        node = {"db": database, "url": url_for("explore_tree", connection, db=database.name)}
        if database.name == open_db:
            node["kinds"] = kind_nodes(connection, database, open_kind, request)
        nodes.append(node)
    return nodes


def kind_nodes(connection, database, open_kind: str = "", request=None) -> list:
    catalog = catalog_for(database)
    if catalog is None:
        return []
    counts = catalog.counts()
    nodes = []
    for kind in KINDS:
        url = url_for("explore_tree", connection, db=database.name, kind=kind)
        node = {"kind": kind, "label": KIND_LABELS[kind], "count": counts[kind], "url": url}
        if kind == open_kind and request is not None:
            node["page"] = item_page(connection, database, catalog, kind, request)
        nodes.append(node)
    return nodes


def item_page(connection, database, catalog, kind: str, request) -> dict:
    page = _page(catalog.items(kind), request)
    rows = [(item, item_url(connection, database.name, item)) for item in page]
    more = (
        url_for(
            "explore_tree", connection, db=database.name, kind=kind, page=page.next_page_number()
        )
        if page.has_next()
        else ""
    )
    return {"page": page, "rows": rows, "more": more}


@requires(Action.VIEW)
def tree(request, connection_id: int):
    connection, database, catalog = _locate(request, connection_id)
    kind = request.GET.get("kind", "")
    if request.htmx and database is not None:
        if kind in KINDS and catalog is not None:
            context = item_page(connection, database, catalog, kind, request)
            return _render(request, "studio/explore/_items.html", context)
        kinds = kind_nodes(connection, database)
        return _render(request, "studio/explore/_kinds.html", {"kinds": kinds, "db": database})
    open_db = database.name if database else ""
    context = {
        "connection": connection,
        "nodes": database_nodes(connection, open_db, kind, request),
    }
    return _render(request, "studio/explore/tree.html", context)


# --- table and object pages -------------------------------------------------------------


def _column_rows(table) -> list[dict]:
    pk = set(table.primary_key.columns) if table.primary_key else set()
    fk = {c for key in table.foreign_keys for c in key.columns}
    unique = {u.columns[0] for u in table.uniques if len(u.columns) == 1}
    rows = []
    for column in table.columns:
        marks = [m for m, on in (("PK", column.name in pk), ("FK", column.name in fk)) if on]
        if column.name in unique:
            marks.append("UQ")
        rows.append({"c": column, "marks": marks})
    return rows


def _table_link(connection, database, schema: str, name: str) -> str:
    return url_for("explore_table", connection, db=database.name, schema=schema, name=name)


@requires(Action.VIEW)
def table_detail(request, connection_id: int):
    connection, database, catalog = _locate(request, connection_id)
    if catalog is None:
        return redirect(url_for("explore_tree", connection, db=getattr(database, "name", "")))
    schema, name = request.GET.get("schema", ""), request.GET.get("name", "")
    table = catalog.table(schema, name)
    if table is None:
        raise Http404(f"No table {name} in {database.name}")
    outgoing = [
        {"fk": fk, "url": _table_link(connection, database, fk.ref_schema, fk.ref_table)}
        for fk in table.foreign_keys
    ]
    incoming = [
        {"ref": ref, "url": _table_link(connection, database, *ref.table.key)}
        for ref in catalog.referenced_by(table)
    ]
    context = {
        "connection": connection,
        "db": database,
        "table": table,
        "label": f"{table.schema}.{table.name}" if table.schema else table.name,
        "columns": _column_rows(table),
        "outgoing": outgoing,
        "incoming": incoming,
        "ddl": ";\n\n".join(catalog.table_ddl(table)) + ";",
        "stats": (catalog.snapshot.stats.get("tables") or {}).get(
            f"{table.schema}.{table.name}" if table.schema else table.name
        ),
        "er_url": url_for("explore_er", connection, db=database.name, schema=schema, name=name),
        "diagram": _diagram(request, connection, database, catalog),
    }
    context["svg"] = mark_safe(context["diagram"]["svg"])  # built by er.py, text escaped
    return render(request, "studio/explore/table.html", context)


@requires(Action.VIEW)
def object_detail(request, connection_id: int):
    """A view or a routine: its definition as the server normalised it."""
    connection, database, catalog = _locate(request, connection_id)
    if catalog is None:
        return redirect(url_for("explore_tree", connection, db=getattr(database, "name", "")))
    kind, schema, name = (request.GET.get(k, "") for k in ("kind", "schema", "name"))
    if kind == "view":
        found = catalog.view(schema, name)
    elif kind == "routine":
        found = catalog.routine(schema, name, request.GET.get("args", ""))
    else:
        found = None
    if found is None:
        raise Http404(f"No {kind or 'object'} {name} in {database.name}")
    context = {"connection": connection, "db": database, "kind": kind, "obj": found}
    return render(request, "studio/explore/object.html", context)


# --- search -----------------------------------------------------------------------------


@requires(Action.VIEW)
def search(request, connection_id: int):
    """Every object of every learned database of the connection whose name matches."""
    connection = get_connection_for(request, connection_id, Action.VIEW)
    query = request.GET.get("q", "").strip()
    hits = []
    if query:
        for database in databases_of(connection):
            catalog = catalog_for(database)
            if catalog is not None:
                hits += [(database.name, item) for item in catalog.search(query)]
    page = _page(hits, request)
    rows = [(db, item, item_url(connection, db, item)) for db, item in page]

    def page_url(number: int) -> str:
        return url_for("explore_search", connection, q=query, page=number)

    context = {
        "connection": connection,
        "q": query,
        "page": page,
        "rows": rows,
        "total": len(hits),
        "prev_url": page_url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": page_url(page.next_page_number()) if page.has_next() else "",
    }
    template = "studio/explore/_results.html" if request.htmx else "studio/explore/search.html"
    return _render(request, template, context)


# --- ER diagram -------------------------------------------------------------------------


def _diagram(request, connection, database, catalog) -> dict:
    """The SVG and the words around it: one table's neighbourhood or a page of tables."""

    def link(table) -> str:
        return _table_link(connection, database, table.schema, table.name)

    schema, name = request.GET.get("schema", ""), request.GET.get("name", "")
    if name:
        table = catalog.table(schema, name)
        if table is None:
            raise Http404(f"No table {name} in {database.name}")
        parents = [
            catalog.table(fk.ref_schema, fk.ref_table)
            for fk in table.foreign_keys
            if catalog.table(fk.ref_schema, fk.ref_table)
        ]
        parents = list({t.key: t for t in parents}.values())
        children = list({r.table.key: r.table for r in catalog.referenced_by(table)}.values())
        shown = len(parents) + len(children)
        note = ""
        if shown > ER_MAX_NEIGHBOURS:
            note = f"Showing {ER_MAX_NEIGHBOURS} of the {shown} tables linked to {table.name}."
            parents = parents[:ER_MAX_NEIGHBOURS]
            children = children[: max(0, ER_MAX_NEIGHBOURS - len(parents))]
        svg = er.neighbourhood_svg(table, parents, children, link)
        title = f"{table.name} and its neighbours"
        return {"svg": svg, "note": note, "title": title, "page": None}
    page = Paginator(catalog.snapshot.tables, ER_PAGE_SIZE).get_page(request.GET.get("page"))
    note = ""
    if page.paginator.num_pages > 1:
        note = (
            f"Showing tables {page.start_index()} to {page.end_index()} of {page.paginator.count}, "
            f"{ER_PAGE_SIZE} per diagram; lines are drawn between tables on the same page."
        )
    svg = er.database_svg(list(page), link)
    return {"svg": svg, "note": note, "title": f"Database {database.name}", "page": page}


@requires(Action.VIEW)
def er_diagram(request, connection_id: int):
    connection, database, catalog = _locate(request, connection_id)
    if catalog is None:
        return redirect(url_for("explore_tree", connection, db=getattr(database, "name", "")))
    diagram = _diagram(request, connection, database, catalog)
    params = {k: request.GET.get(k, "") for k in ("db", "schema", "name", "page")}
    page = diagram["page"]
    nav = {}
    if page is not None:
        base = {"db": database.name}
        if page.has_previous():
            nav["prev_url"] = url_for(
                "explore_er", connection, **base, page=page.previous_page_number()
            )
        if page.has_next():
            number = page.next_page_number()
            nav["next_url"] = url_for("explore_er", connection, **base, page=number)
    context = {
        "connection": connection,
        "db": database,
        "svg": mark_safe(diagram["svg"]),  # built by er.py, every text escaped
        "note": diagram["note"],
        "title": diagram["title"],
        "svg_url": url_for("explore_er_svg", connection, **params),
        **nav,
    }
    return render(request, "studio/explore/er.html", context)


@requires(Action.VIEW)
def er_svg(request, connection_id: int):
    """The same diagram as a standalone image/svg+xml document (to save or embed)."""
    connection, database, catalog = _locate(request, connection_id)
    if catalog is None:
        return redirect(url_for("explore_tree", connection, db=getattr(database, "name", "")))
    svg = _diagram(request, connection, database, catalog)["svg"]
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + svg, content_type="image/svg+xml"
    )
